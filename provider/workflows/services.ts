import type { ArgoCdConfig } from "../health/argoCd";

/**
 * What the workflow runners are configured with: each kind's settings, gathered in {@link WorkflowServices}.
 * The runners (argo.ts, local.ts) and the runner interface (runner.ts) import these; this file imports none
 * of them, so that no runner and its interface import each other.
 */

/** Where the Argo Server is, and how to authenticate. The token never leaves this process. */
export interface ArgoServerConfig {
    /** e.g. `https://argo.example.com` (the Argo Server, not the Kubernetes API). */
    readonly url: string;
    readonly namespace: string;
    /** A bearer token (`argo auth token`, or a service account token). */
    readonly token?: string;
    /** How often a running workflow is polled (ms); default 2000. */
    readonly pollIntervalMs?: number;
}

/** How local gates are run. */
export interface LocalRunnerOptions {
    /** How long a stopped gate has between SIGTERM and SIGKILL (ms); default 10 s. */
    readonly killGraceMs?: number;
    /** The environment gates take their variables from (default: this process's). */
    readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * What runners need from outside: where the Argo Server and Argo CD are, how local commands are run. A new
 * kind that needs a server adds its field here (or augments this interface from its own file).
 */
export interface WorkflowServices {
    readonly argo?: ArgoServerConfig;
    readonly argocd?: ArgoCdConfig;
    readonly local?: LocalRunnerOptions;
}
