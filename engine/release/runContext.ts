import type { Stack } from "@pulumi/pulumi/automation";
import type { PromotionWorkflowDefinition } from "../../components/promotionWorkflow";
import type { GitCredentials } from "../../provider/git/git";
import type { ScmConfig } from "../../provider/scm/scm";
import type { WorkflowServices } from "../../provider/workflows/registry";
import type { EngineLocation } from "../pulumi/engineLocator";
import type { ReleaseStore } from "../store/releaseStore";
import type { ProgressEvent } from "./progress";
import type { ReleaseQueue } from "./releaseQueue";
import type { EnvironmentRecord, ReleaseRecord } from "../record/releaseRecord";
import type { Clock } from "./waits";

/**
 * What running a release needs from the engine: built once per product by the engine (see EngineRuntime) and
 * handed down whole, to the turn, the live record, the gates and the update, each reading the fields it needs.
 */
export interface RunContext {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly inheritedPath?: string;
    readonly gitCacheDir: string;
    readonly credentials: GitCredentials;
    readonly scm: ScmConfig;
    readonly services: WorkflowServices;
    readonly workflows: readonly PromotionWorkflowDefinition[];
    /** Where local commands run (the definitions' directory). */
    readonly workflowDir: string;
    /** How often an open pull request is looked at (ms; default 10 s). */
    readonly pullRequestPollMs?: number;
    readonly store: ReleaseStore;
    readonly queue: ReleaseQueue;
    readonly stack: Promise<Stack>;
    readonly onProgress?: (event: ProgressEvent) => void;
    /** Reports the release on its source commit; returns a warning when that failed. */
    readonly commitStatus?: (r: ReleaseRecord) => Promise<string | undefined>;
    /** Time for window and soak waits (default: real time). */
    readonly clock?: Clock;
    /** How often a running release writes its heartbeat (default: releaseQueue's `heartbeatMs`). */
    readonly heartbeatMs?: number;
    /** Aborts when this process shuts down: from then on waits park (see EnvironmentWaitsOptions.drain). */
    readonly drain?: AbortSignal;
    /** How often a waiting approval reads the record for decisions (ms, default 2 s). */
    readonly approvalPollMs?: number;
    /** The console's public URL, for hooks' `RELEASE_URL` (see PromoteEngineOptions.publicUrl). */
    readonly publicUrl?: string;
    /** This runner's name, the gates' `RUNTIME`. */
    readonly runtime?: string;
}

/** What one call asks of a release's run, beside its product's {@link RunContext}. */
export interface RunCall {
    /** Pulumi's update plan to apply (`pulumi up --plan`): a saved plan's (see plans.ts). */
    readonly updatePlan?: string;
    /**
     * `--no-wait`: an environment that would wait (approval, window, soak) stops before any write, one whose
     * pull request is open stops once it is opened (and an auto-merge tried), and the release is written
     * Suspended without an owner, for `resume` (DESIGN 3a); independent ones go on.
     */
    readonly park?: boolean;
    /** Told the release's record once it is first written (its id known to the caller). */
    readonly onCreated?: (r: ReleaseRecord) => void;
    /** A retry's: the previous attempt's environments (what already succeeded is kept). */
    readonly previous?: readonly EnvironmentRecord[];
}

/** The console `promote serve` serves by default, for `RELEASE_URL` when no public URL is set. */
export const defaultPublicUrl = "http://127.0.0.1:8080";

/** The release in the console: what hooks get as `RELEASE_URL`. */
export function releaseUrl(publicUrl: string | undefined, releaseId: string): string {
    return `${(publicUrl ?? defaultPublicUrl).replace(/\/+$/, "")}/#/releases/${encodeURIComponent(releaseId)}`;
}
