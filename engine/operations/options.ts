import type { Catalog } from "../../components/catalog";
import type { Initiator } from "../../model/subject";
import type { ArgoCdConfig } from "../../provider/health/argoCd";
import type { ScmConfig } from "../../provider/scm/scm";
import type { ArgoServerConfig } from "../../provider/workflows/argo";
import type { EngineLocation } from "../pulumi/engineLocator";
import type { EngineMetrics } from "../notifications/metrics";
import type { NotificationOptions } from "../notifications/notifications";
import type { ReleaseTarget } from "../record/plannedRelease";
import type { ReleaseRecord } from "../record/releaseRecord";
import type { ProgressEvent } from "../release/progress";
import type { Clock } from "../release/waits";
import type { Subject } from "../../model/subject";

export interface PromoteEngineOptions {
    readonly catalog: Catalog;
    readonly engine: EngineLocation;
    /** The Pulumi backend for the promote stacks (and, unless `storeUrl` says otherwise, the release store). */
    readonly backendUrl: string;
    /** Where release records and coordination live (engine/store/; default: the backend's own store). */
    readonly storeUrl?: string;
    readonly passphrase: string;
    /** Where bare clones of the GitOps repositories are kept between runs. */
    readonly gitCacheDir: string;
    /** Tokens for http(s) Git remotes, by host (`*` for any). Passed to the provider through its environment. */
    readonly gitTokens?: Readonly<Record<string, string>>;
    /** The PATH to run Pulumi with (defaults to this process's). */
    readonly inheritedPath?: string;
    /** Live progress. */
    readonly onProgress?: (event: ProgressEvent) => void;
    /** Where what happens outside the release records is counted (default: nowhere; see engine/metrics.ts). */
    readonly metrics?: EngineMetrics;
    /** How often a running release checks whether it was asked to terminate (ms). */
    readonly pollIntervalMs?: number;
    /** How often a running release writes its heartbeat for other hosts (ms; default 30 s). */
    readonly heartbeatMs?: number;
    /** Where local workflow commands run (default: this process's working directory). */
    readonly workflowDir?: string;
    /** The Argo Server for Argo WorkflowTemplate gates. */
    readonly argo?: ArgoServerConfig;
    /** Argo CD, for health waits. */
    readonly argocd?: ArgoCdConfig;
    /**
     * Where people reach the console (`PROMOTIONS_PUBLIC_URL`): hooks' `RELEASE_URL` is
     * `<publicUrl>/#/releases/<id>` (default {@link defaultPublicUrl}, what `promote serve` listens on).
     */
    readonly publicUrl?: string;
    /** This runner's name, the gates' `RUNTIME` (`PROMOTIONS_RUNTIME`; default: the host name). */
    readonly runtime?: string;
    /** The code host's API (GitHub or GitHub Enterprise): pull requests (action `pr`) and commit statuses. */
    readonly scm?: ScmOptions;
    /** @deprecated the former name of `scm`. */
    readonly github?: ScmOptions;
    /** Time for promotion windows and soak waits (default: real time). Tests inject a fake clock. */
    readonly clock?: Clock;
    /** Outbound notifications (the catalog's PromotionNotifications). */
    readonly notifications?: NotificationOptions;
    /**
     * The permission rules' check for approving and rejecting: the reason `subject` may not approve in this
     * environment of this product, or undefined when it may (e.g. `authorize(catalog, subject, "approve", …)`).
     */
    readonly canApprove?: (
        subject: Subject,
        target: { readonly product: string; readonly environment: string },
    ) => string | undefined;
    /**
     * Aborts when this process shuts down (`promote serve` on SIGTERM): from then on no release starts, is
     * retried or resumed here, and a wait (approval, window, soak) parks the release, Suspended without an owner,
     * for another process to resume once the wait is over. Gates and commits under way go on.
     */
    readonly drain?: AbortSignal;
}

export { defaultPublicUrl, releaseUrl } from "../release/runContext";
export type { NotificationOptions } from "../notifications/notifications";

/** `--no-wait`: return as soon as the release is Suspended (see RunCall.park). */
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
    /**
     * Policy packs (directories with a PulumiPolicy.yaml, relative to workflowDir) for every environment, on
     * top of those the policies name (`--policy-pack`).
     */
    readonly policyPacks?: readonly string[];
    /** A message written into the body of each promotion commit (`--message`, the console's dialog). */
    readonly message?: string;
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
    /**
     * Apply exactly the plan `promote preview --save-plan` saved in this file (its release id and source commit;
     * `pulumi up --plan`); refused, nothing written, when a file it changes differs from what the preview read.
     */
    readonly planFile?: string;
    /** Who starts it (recorded on the release as `initiator` and in its `audit`). */
    readonly initiator?: Initiator;
}

export interface SavePlanOptions extends PreviewOptions {
    /** Where to write the plan. */
    readonly file: string;
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
    /** Who rolls back, as the release records it (default: `by`, via `local`). */
    readonly initiator?: Initiator;
    readonly onCreated?: (record: ReleaseRecord) => void;
}

export interface RetryOptions extends WaitOptions {
    /** Retry even though a newer release has since succeeded in some of its environments (it would roll them back). */
    readonly forceOlder?: boolean;
    /** Who retries (appended to the release's `audit`). */
    readonly initiator?: Initiator;
}

export interface TerminateOptions {
    /** Who terminates (appended to the release's `audit`). */
    readonly initiator?: Initiator;
}

/** Which of a product's releases to read (all of them when empty). */
export interface ReleasesQuery {
    /** At most this many, newest first. */
    readonly limit?: number;
    /** Only releases older than this one (by id: ids sort by creation time). */
    readonly before?: string;
    readonly where?: (r: ReleaseRecord) => boolean;
    /**
     * Only the releases that can still change and the latest finished ones (the product's own records
     * stack, never the archive pages): what a watcher of changes reads.
     */
    readonly current?: boolean;
}
