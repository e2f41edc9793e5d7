import type { Catalog } from "../components/catalog";
import type { ArgoCdConfig } from "../provider/health/argoCd";
import type { ScmConfig } from "../provider/scm/scm";
import type { ArgoServerConfig } from "../provider/workflows/argo";
import type { EngineLocation } from "./engineLocator";
import type { ReleaseTarget } from "./planRelease";
import type { ReleaseRecord } from "./releaseRecord";
import type { ProgressEvent } from "./releaseRun";
import type { Clock } from "./waits";
import type { Subject } from "../model/subject";

export interface PromoteEngineOptions {
    readonly catalog: Catalog;
    readonly engine: EngineLocation;
    /** The Pulumi backend for the promote stacks and release records. */
    readonly backendUrl: string;
    readonly passphrase: string;
    /** Where bare clones of the GitOps repositories are kept between runs. */
    readonly gitCacheDir: string;
    /** Tokens for http(s) Git remotes, by host (`*` for any). Passed to the provider through its environment. */
    readonly gitTokens?: Readonly<Record<string, string>>;
    /** The PATH to run Pulumi with (defaults to this process's). */
    readonly inheritedPath?: string;
    /** Live progress. */
    readonly onProgress?: (event: ProgressEvent) => void;
    /** How often a running release checks whether it was asked to terminate (ms). */
    readonly pollIntervalMs?: number;
    /** Where local workflow commands run (default: this process's working directory). */
    readonly workflowDir?: string;
    /** The Argo Server for Argo WorkflowTemplate gates. */
    readonly argo?: ArgoServerConfig;
    /** Argo CD, for health waits. */
    readonly argocd?: ArgoCdConfig;
    /** The code host's API (GitHub or GitHub Enterprise): pull requests (action `pr`) and commit statuses. */
    readonly scm?: ScmOptions;
    /** @deprecated the former name of `scm`. */
    readonly github?: ScmOptions;
    /** Time for promotion windows and soak waits (default: real time). Tests inject a fake clock. */
    readonly clock?: Clock;
    /**
     * The permission rules' check for approving and rejecting: the reason `subject` may not approve in this
     * environment of this product, or undefined when it may (e.g. `authorize(catalog, subject, "approve", …)`).
     */
    readonly canApprove?: (
        subject: Subject,
        target: { readonly product: string; readonly environment: string },
    ) => string | undefined;
}

/** `--no-wait`: return as soon as the release is Suspended (see ReleaseRunContext.park). */
export interface WaitOptions {
    /**
     * Do not wait in this process: an environment that would wait (approval, window, soak) stops before any
     * write, independent ones go on, and the release is left Suspended (no owner) for `resume`.
     */
    readonly noWait?: boolean;
}

/** A decision on an environment waiting for approval. */
export interface DecisionOptions {
    readonly subject: Subject;
    readonly comment?: string;
}

/** `resume` of every Suspended release whose wait is over. */
export interface ResumeOptions extends WaitOptions {
    /** Only these products (default: all). */
    readonly products?: readonly string[];
}

export interface ScmOptions extends ScmConfig {
    /**
     * Report each release on its source commit as the commit status `promotions/<product>` (pending while it
     * runs, then success, failure or error). Needs the source repository on the code host.
     */
    readonly commitStatus?: boolean;
    /** How often an open pull request is looked at (ms; default 10 s). */
    readonly pollIntervalMs?: number;
}
/** @deprecated the former name of {@link ScmOptions}. */
export type GitHubOptions = ScmOptions;

export interface PreviewOptions {
    readonly product: string;
    readonly target: ReleaseTarget;
    readonly sourceCommit?: string;
}

export interface ReleaseOptions extends PreviewOptions, WaitOptions {
    /** Called once the release has its id and is stored (before it waits or runs). */
    readonly onCreated?: (record: ReleaseRecord) => void;
    /**
     * Run through held environments instead of skipping them (a manual promotion to a held environment is
     * refused without it); the holds overridden are recorded on the release.
     */
    readonly overrideHold?: boolean;
    /** Promote outside the environments' promotion windows; the windows overridden are recorded on the release. */
    readonly overrideWindow?: boolean;
}

export interface HoldOptions {
    readonly product: string;
    readonly environment: string;
    /** Who places or releases the hold (the CLI: `--as`, else the CI's actor). */
    readonly by: string;
    readonly reason?: string;
}

export interface RollbackOptions extends WaitOptions {
    readonly product: string;
    readonly environment: string;
    /** The release to restore (default: the one before the environment's current one). */
    readonly toRelease?: string;
    /** The newest release of this version that reached the environment. */
    readonly toVersion?: string;
    /** Who rolls back (recorded on the hold the rollback places). */
    readonly by: string;
    readonly onCreated?: (record: ReleaseRecord) => void;
}

export interface RetryOptions extends WaitOptions {
    /** Retry even though a newer release has since succeeded in some of its environments (it would roll them back). */
    readonly forceOlder?: boolean;
}
