import type { HealthResult } from "../provider/health/argoCd";
import type { ActionKind } from "../model/kinds";
import type { EnvironmentStatus, ReleaseStatus, WaitKind, WorkflowRunStatus } from "../model/status";
import type { ApprovalState, PlannedApproval } from "./approvals";
import type { WindowSpec } from "./windows";
import type { Change, ReleaseCandidate } from "../provider/promotion";

export type { EnvironmentStatus, ReleaseStatus, WorkflowRunStatus } from "../model/status";
export {
    activeReleaseStatuses as activeStatuses,
    finalReleaseStatuses as finalStatuses,
    releaseStatuses,
} from "../model/status";

export interface WorkflowRunRecord {
    readonly workflow: string;
    readonly status: WorkflowRunStatus;
    readonly runId?: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
    /** The tail of a local run's output, or the Argo UI link. */
    readonly log?: string;
}

export interface ApplicationRecord {
    readonly name: string;
    readonly status: EnvironmentStatus;
    readonly action: ActionKind;
    readonly repoURL: string;
    readonly branch?: string;
    readonly commitSha?: string;
    /** Pushes it took (more than one when another writer moved the branch first). */
    readonly pushAttempts?: number;
    /** For `pr`: the pull request that carries the change (`state`: open, merged or closed). */
    readonly pullRequest?: { readonly url: string; readonly number: number; readonly state: string };
    readonly changes: readonly Change[];
    readonly preAction?: WorkflowRunRecord;
    readonly postAction?: WorkflowRunRecord;
    /** The health wait after the action: what Argo CD reported last. */
    readonly health?: HealthResult;
}

export interface EnvironmentRecord {
    readonly name: string;
    readonly status: EnvironmentStatus;
    readonly dependsOn: readonly string[];
    readonly startedAt?: string;
    readonly finishedAt?: string;
    readonly error?: string;
    readonly applications: readonly ApplicationRecord[];
    /** The step's hook runs (onStart, onSuccess, onFail). */
    readonly hooks?: readonly WorkflowRunRecord[];
    /**
     * Why a `Skipped` environment did not run: `held` (see `hold`), or `upstream held` (after a held one).
     * Absent, `Skipped` means nothing to change.
     */
    readonly reason?: "held" | "upstream held";
    /** For `reason: held`: who held it, when and why. */
    readonly hold?: { readonly by: string; readonly at: string; readonly reason?: string };
    /** While Suspended: why (`window`, `soak`, `pullRequest`). */
    readonly waitKind?: WaitKind;
    /** While Suspended on a window or a soak: when it resumes (ISO). */
    readonly resumesAt?: string;
    /**
     * An approval gate: once the environment waits for it, the approvers, the decisions so far and the changes
     * to be written (kept after the gate opens or fails).
     */
    readonly approval?: ApprovalState;
}

/** Who is running a release: lets another process tell a live release from one whose process died. */
export interface ReleaseOwner {
    readonly host: string;
    readonly pid: number;
}

/** The durable record of one release: everything `promote release ID --json` prints, and what retry needs. */
export interface ReleaseRecord {
    readonly id: string;
    readonly product: string;
    /** The flow's name, or `manual` for a single-environment promotion. */
    readonly flow: string;
    readonly flowVersion?: string;
    readonly status: ReleaseStatus;
    readonly createdAt: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
    readonly sourceApplication: string;
    readonly sourceCommit: string;
    readonly version?: string;
    readonly error?: string;
    /** What went wrong without failing the release (e.g. a commit status GitHub refused). */
    readonly warnings?: readonly string[];
    readonly environments: readonly EnvironmentRecord[];
    /** The flow's hook runs and the trigger workflow's run. */
    readonly hooks?: readonly WorkflowRunRecord[];
    /** The immutable values every environment receives. */
    readonly candidate: ReleaseCandidate;
    /** The plan the release runs: per environment, its resolved policy and applications. */
    readonly plan: ReleasePlan;
    readonly owner?: ReleaseOwner;
    /** How many times it ran (1, then +1 per retry). */
    readonly attempts: number;
    /**
     * Set by readers, never stored: the release reads Running but the process running it is gone (what it
     * had done is read from its promote stack's checkpoint), and the command that resumes it.
     */
    readonly stale?: string;
    /** The environments this release left alone because they were held (their dependents too: see `reason`). */
    readonly heldEnvironments?: readonly string[];
    /** Holds this release ran through (`--override-hold`). */
    readonly overriddenHolds?: readonly {
        readonly environment: string;
        readonly by: string;
        readonly at: string;
        readonly reason?: string;
    }[];
    /** A rollback: the release whose candidate it restores. */
    readonly rollbackOf?: string;
    /** While Suspended (or Queued): why, e.g. `window`, `soak`, `pullRequest`. */
    readonly waitKind?: WaitKind;
    /** While Suspended on a window or a soak: when it resumes (ISO, the earliest). */
    readonly resumesAt?: string;
    /** Promotion windows this release ran through (`--override-window`), per environment. */
    readonly overriddenWindows?: readonly {
        readonly environment: string;
        readonly windows: readonly string[];
    }[];
}

export interface PlannedApplication {
    readonly name: string;
    readonly namespace: string;
    /** Wait this long for Argo CD to report it Synced and Healthy after the action (no wait when absent). */
    readonly healthWaitMs?: number;
    readonly repoURL: string;
    readonly targetRevision: string;
    readonly path: string;
}

export interface PlannedEnvironment {
    readonly name: string;
    readonly dependsOn: readonly string[];
    readonly action: ActionKind;
    readonly preAction?: string;
    readonly postAction?: string;
    /** For `pr`: whether to auto-merge, and how. */
    readonly pullRequest?: {
        readonly autoMerge?: boolean;
        readonly mergeMethod?: "merge" | "squash" | "rebase";
    };
    /** The flow step's hooks. */
    readonly hooks?: { readonly onStart?: string; readonly onSuccess?: string; readonly onFail?: string };
    readonly applications: readonly PlannedApplication[];
    /** Each environment this one depends on must have held the version this long first (ms). */
    readonly soakTimeMs?: number;
    /** The promotion windows covering this environment (set when the release is created; see applyWindows). */
    readonly windows?: readonly WindowSpec[];
    /** The approval gate before this environment (see engine/approvals.ts). */
    readonly approval?: PlannedApproval;
}

export interface ReleasePlan {
    readonly trigger: string;
    /** The flow's hooks and trigger workflow. */
    readonly hooks?: { readonly onStart?: string; readonly onSuccess?: string; readonly onFail?: string };
    readonly triggerWorkflow?: string;
    readonly timeoutMs: number;
    readonly concurrency: "queue" | "terminate";
    /** Target environments in DAG order. */
    readonly environments: readonly PlannedEnvironment[];
    /**
     * Environments registered in the update but never targeted: their resources stay exactly as the state has
     * them (nothing is written or run there). Held environments and those after them, and the environments
     * after a rolled-back one: a resource left out of the program that depends on one the update changes would
     * otherwise be a delete Pulumi refuses.
     */
    readonly untargeted?: readonly PlannedEnvironment[];
}

/** The summary `promote releases --json` prints, newest first. */
export function summary(r: ReleaseRecord) {
    return {
        id: r.id,
        flow: r.flow,
        flowVersion: r.flowVersion,
        status: r.status,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        version: r.version,
        ...(r.stale ? { stale: r.stale } : {}),
        ...(r.rollbackOf ? { rollbackOf: r.rollbackOf } : {}),
        ...(r.heldEnvironments && r.heldEnvironments.length > 0
            ? { heldEnvironments: r.heldEnvironments }
            : {}),
        ...(r.waitKind ? { waitKind: r.waitKind } : {}),
        ...(r.resumesAt ? { resumesAt: r.resumesAt } : {}),
    };
}

/** The public JSON of a release (the CLI contract): the record without its internal bookkeeping. */
export function publicRecord(r: ReleaseRecord) {
    return {
        id: r.id,
        product: r.product,
        flow: r.flow,
        flowVersion: r.flowVersion,
        status: r.status,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        sourceApplication: r.sourceApplication,
        sourceCommit: r.sourceCommit,
        version: r.version,
        error: r.error,
        ...(r.stale ? { stale: r.stale } : {}),
        ...(r.warnings && r.warnings.length > 0 ? { warnings: r.warnings } : {}),
        ...(r.hooks && r.hooks.length > 0 ? { hooks: r.hooks } : {}),
        ...(r.rollbackOf ? { rollbackOf: r.rollbackOf } : {}),
        ...(r.heldEnvironments && r.heldEnvironments.length > 0
            ? { heldEnvironments: r.heldEnvironments }
            : {}),
        ...(r.overriddenHolds && r.overriddenHolds.length > 0 ? { overriddenHolds: r.overriddenHolds } : {}),
        ...(r.overriddenWindows && r.overriddenWindows.length > 0
            ? { overriddenWindows: r.overriddenWindows }
            : {}),
        ...(r.waitKind ? { waitKind: r.waitKind } : {}),
        ...(r.resumesAt ? { resumesAt: r.resumesAt } : {}),
        environments: r.environments,
    };
}

/** A new, sortable release id: `r` + UTC time + random suffix. */
export function newReleaseId(now: Date = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return `r${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/** A new release of a planned release: Queued, every environment Pending, owned by `owner`. */
export function newReleaseRecord(
    planned: {
        readonly product: { readonly name: string };
        readonly flow: { readonly name: string; readonly version?: string };
        readonly sourceApplication: { readonly name: string };
        readonly candidate: ReleaseCandidate;
        readonly plan: ReleasePlan;
    },
    owner: ReleaseOwner,
    now: Date = new Date(),
): ReleaseRecord {
    return {
        id: newReleaseId(now),
        product: planned.product.name,
        flow: planned.flow.name,
        ...(planned.flow.version ? { flowVersion: planned.flow.version } : {}),
        status: "Queued",
        createdAt: now.toISOString(),
        sourceApplication: planned.sourceApplication.name,
        sourceCommit: planned.candidate.sourceCommit,
        ...(planned.candidate.version ? { version: planned.candidate.version } : {}),
        environments: planned.plan.environments.map((e) => ({
            name: e.name,
            status: "Pending",
            dependsOn: e.dependsOn,
            applications: e.applications.map((a) => ({
                name: a.name,
                status: "Pending",
                action: e.action,
                repoURL: a.repoURL,
                changes: [],
            })),
        })),
        candidate: planned.candidate,
        plan: planned.plan,
        owner,
        attempts: 0,
    };
}
