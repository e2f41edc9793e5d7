import { InvalidInputError } from "../../model/errors";
import type { HealthResult } from "../../provider/health/argoCd";
import type { ActionKind } from "../../model/kinds";
import type { EnvironmentStatus, ReleaseStatus, WaitKind, WorkflowRunStatus } from "../../model/status";
import type { Initiator } from "../../model/subject";
import { initiatorOf } from "../../model/subject";
import type { PolicyOverride } from "../../components/promotionPolicy.merge";
import type { PromotionWindowDefinition } from "../../components/promotionWindow";
import type { ApprovalState, PlannedApproval } from "./approvalState";
import type { Change, ReleaseCandidate } from "../../provider/promotion";

export type { EnvironmentStatus, ReleaseStatus, WorkflowRunStatus } from "../../model/status";
export {
    activeReleaseStatuses as activeStatuses,
    finalReleaseStatuses as finalStatuses,
    releaseStatuses,
} from "../../model/status";

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
    /**
     * The commit was pushed by an earlier attempt of this release that could not record it (killed, or its state
     * not writable): adopted by this attempt, not pushed twice.
     */
    readonly adopted?: boolean;
    /**
     * Why the write planned the change again instead of taking the plan made when the environment started (the
     * branch moved between the two: another writer, a long wait). Absent in the steady state.
     */
    readonly replanned?: string;
    /**
     * For `pr`: the pull request that carries the change (`state`: open, merged or closed); while open with
     * auto-merge, `mergeRefused` is why the host refuses to merge it now (its words, host and repository named).
     */
    readonly pullRequest?: {
        readonly url: string;
        readonly number: number;
        readonly state: string;
        readonly mergeRefused?: string;
    };
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
    readonly reason?: "held" | "upstream held" | "policy" | "upstream policy";
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

/** What people did to a release (who started it, who retried or terminated it), in the order they did it. */
export type AuditAction = "trigger" | "promote" | "rollback" | "retry" | "terminate" | "override-policy";

/** One entry of a release's audit list. */
export interface AuditEntry extends Initiator {
    readonly action: AuditAction;
    /** ISO time. */
    readonly at: string;
    /** The environment acted on, for actions about one environment (a promotion, a rollback). */
    readonly environment?: string;
    readonly comment?: string;
    /** `override-policy`: the fields chosen against the environment's policy. */
    readonly overrides?: readonly PolicyOverride[];
}

/** Who is running a release: lets another process tell a live release from one whose process died. */
export interface ReleaseOwner {
    readonly host: string;
    readonly pid: number;
    /**
     * How often this owner writes the release's heartbeat while it runs it (ms; absent: the default 30 s). A
     * reader on another host judges the release dead once its heartbeat is six of these old.
     */
    readonly heartbeatMs?: number;
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
    /**
     * When the process running the release last said it is alive (written every {@link heartbeatMs} while
     * Running): how a process on another host tells a running release from a dead one.
     */
    readonly heartbeatAt?: string;
    /**
     * When the flow's `promotionTimeoutLimit` runs out (ISO): set when the release first runs, kept across its
     * waits and whoever resumes it (resume, retry of a Suspended release, serve, watch), so the limit bounds the
     * whole release; a retry of a Failed or Terminated release starts a new limit. Past it the release ends
     * Terminated.
     */
    readonly timeoutAt?: string;
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
    /** The saved plan this release applied (`trigger --plan FILE`): a SHA-256 of the file. */
    readonly updatePlan?: { readonly sha256: string };
    /** While Suspended (or Queued): why, e.g. `window`, `soak`, `pullRequest`. */
    readonly waitKind?: WaitKind;
    /** While Suspended on a window or a soak: when it resumes (ISO, the earliest). */
    readonly resumesAt?: string;
    /**
     * The action, pre-action or post-action a promotion to one environment chose against what its policies
     * resolve to (`--action`/`--pre-action`/`--post-action`, the API's `action`/`preAction`/`postAction`), per
     * environment; through the server this needs the `override-policy` permission.
     */
    readonly policyOverrides?: readonly {
        readonly environment: string;
        readonly overrides: readonly PolicyOverride[];
    }[];
    /** Promotion windows this release ran through (`--override-window`), per environment. */
    readonly overriddenWindows?: readonly {
        readonly environment: string;
        readonly windows: readonly string[];
    }[];
    /**
     * Who started it: the request's subject (server), or the identity the CLI was given (`--as`, else the CI's
     * actor) with `via: local`. Absent for releases started by the trigger watcher.
     */
    readonly initiator?: Initiator;
    /** Every mutating action on the release, oldest first (see {@link AuditEntry}). */
    readonly audit?: readonly AuditEntry[];
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
    readonly windows?: readonly PromotionWindowDefinition[];
    /** Policy packs evaluated before the update (absolute directories), and what they see of the environment. */
    readonly policyPacks?: readonly string[];
    readonly kind?: "production" | "non-production";
    readonly tags?: readonly string[];
    /** The approval gate before this environment (see engine/governance/approvals.ts). */
    readonly approval?: PlannedApproval;
}

export interface ReleasePlan {
    readonly trigger: string;
    /** The flow's hooks and trigger workflow. */
    readonly hooks?: { readonly onStart?: string; readonly onSuccess?: string; readonly onFail?: string };
    readonly triggerWorkflow?: string;
    /**
     * The source application (in the trigger environment), kept when the flow has a trigger workflow: its APP_*
     * parameters. Absent otherwise, and in records planned before it was kept.
     */
    readonly source?: PlannedApplication;
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
        ...(r.updatePlan ? { updatePlan: r.updatePlan } : {}),
        ...(r.heldEnvironments && r.heldEnvironments.length > 0
            ? { heldEnvironments: r.heldEnvironments }
            : {}),
        ...(r.overriddenHolds && r.overriddenHolds.length > 0 ? { overriddenHolds: r.overriddenHolds } : {}),
        ...(r.overriddenWindows && r.overriddenWindows.length > 0
            ? { overriddenWindows: r.overriddenWindows }
            : {}),
        ...(r.policyOverrides && r.policyOverrides.length > 0 ? { policyOverrides: r.policyOverrides } : {}),
        ...(r.waitKind ? { waitKind: r.waitKind } : {}),
        ...(r.resumesAt ? { resumesAt: r.resumesAt } : {}),
        ...(r.initiator ? { initiator: r.initiator } : {}),
        ...(r.audit && r.audit.length > 0 ? { audit: r.audit } : {}),
        environments: r.environments,
    };
}

/**
 * Refuses what cannot be a release id (a path, a control character, a blank) as bad input before anything reads
 * or writes the state for it. Ids are made by {@link newReleaseId}: letters, digits, `.`, `_` and `-`.
 */
export function checkReleaseId(id: string): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(id) || id.includes("..")) {
        throw new InvalidInputError(
            `${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)} is not a release id: ids are letters, digits, '.', '_' and '-', like r20261123-120000-1a2b (see 'promote releases --product P')`,
            { path: "id" },
        );
    }
}

/** A new, sortable release id: `r` + UTC time + random suffix. */
export function newReleaseId(now: Date = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return `r${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/** The record with one more audit entry, by `who` now. */
export function audited(
    r: ReleaseRecord,
    action: AuditAction,
    who: Initiator,
    extra: {
        readonly environment?: string;
        readonly comment?: string;
        readonly overrides?: readonly PolicyOverride[];
    } = {},
    now: Date = new Date(),
): ReleaseRecord {
    const entry: AuditEntry = {
        action,
        user: who.user,
        via: who.via,
        ...(who.address !== undefined ? { address: who.address } : {}),
        at: now.toISOString(),
        ...extra,
    };
    return { ...r, audit: [...(r.audit ?? []), entry] };
}

/**
 * The record about to be written with the audit entries another process added to the stored one meanwhile
 * (a terminate asked of a running release), in time order.
 */
export function withStoredAudit(r: ReleaseRecord, stored: ReleaseRecord | undefined): ReleaseRecord {
    const key = (e: AuditEntry) => `${e.at} ${e.action} ${e.user}`;
    const mine = new Set((r.audit ?? []).map(key));
    const added = (stored?.audit ?? []).filter((e) => !mine.has(key(e)));
    if (added.length === 0) {
        return r;
    }
    return {
        ...r,
        audit: [...(r.audit ?? []), ...added].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
    };
}

/**
 * A new release of a planned release: Queued, every environment Pending, owned by `owner`; with an
 * `initiator`, recorded as such and as the first audit entry (`trigger` for a flow, else `promote` or
 * `rollback` naming the environment).
 */
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
    initiator?: Initiator,
): ReleaseRecord {
    const single = planned.flow.name === "manual" || planned.flow.name === "rollback";
    const record: ReleaseRecord = {
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
        ...(initiator ? { initiator: initiatorOf(initiator) } : {}),
    };
    if (!initiator) {
        return record;
    }
    const environment = single ? planned.plan.environments[0]?.name : undefined;
    const action: AuditAction = !single
        ? "trigger"
        : planned.flow.name === "rollback"
          ? "rollback"
          : "promote";
    return audited(record, action, initiator, environment ? { environment } : {}, now);
}
