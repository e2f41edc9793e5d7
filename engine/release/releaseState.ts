/**
 * The release state machine, pure: what the promote stack's engine events mean for each resource, each
 * application and environment record, and the release's final status. No I/O: every rule here is
 * table-tested in test/unit/engine/releaseState.spec.ts.
 */
import type { EnvironmentStatus, ReleaseStatus, WaitKind } from "../../model/status";
import type { PullRequest } from "../../provider/scm/scm";
import type { HealthResult } from "../../provider/health/argoCd";
import type { EnvironmentPromotionOutputs } from "../../provider/dynamic/environmentPromotion.impl";
import type { PullRequestMergeOutputs } from "../../provider/dynamic/pullRequestMerge.impl";
import type { ApprovalState } from "../record/approvalState";
import type {
    ApplicationRecord,
    EnvironmentRecord,
    PlannedApplication,
    PlannedEnvironment,
    WorkflowRunRecord,
} from "../record/releaseRecord";
import type { ResourceGroup, ResourceRole } from "../record/resourceGroup";

/**
 * Where one resource of this release stands: `same` means the engine left it alone (nothing to do, or done by
 * an earlier release), `done` means this release's update (or an earlier attempt of it) did its work.
 */
export type ResourcePhase = "pending" | "running" | "same" | "done" | "failed";

export interface ResourceState {
    readonly group: ResourceGroup;
    readonly role: ResourceRole;
    /** For a gate: the application it gates. */
    readonly gateFor?: string;
    phase: ResourcePhase;
    startedAt?: string;
    finishedAt?: string;
    outputs?: Partial<EnvironmentPromotionOutputs> & Partial<PullRequestMergeOutputs>;
    error?: string;
}

/** The engine events that matter here, reduced to what the state machine reads (see `fromEngineEvent`). */
export type StackEvent =
    | {
          readonly kind: "pre";
          readonly urn: string;
          readonly op: string;
          readonly oldOutputs?: Record<string, unknown>;
      }
    | { readonly kind: "outputs"; readonly urn: string; readonly outputs?: Record<string, unknown> }
    | { readonly kind: "failed"; readonly urn: string }
    | {
          readonly kind: "diagnostic";
          readonly urn: string;
          readonly severity: string;
          readonly message: string;
      };

/** The lines of an engine diagnostic worth keeping in a record. */
export function cleanError(message: string): string {
    return message
        .replace(/^error:\s*/i, "")
        .replace(/\s+$/, "")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .slice(0, 6)
        .join("\n");
}

/**
 * Applies one engine event to the state of the resource it is about. `aborted` says the release was asked to
 * stop (terminate or the flow timeout): a failure then is a stop, and the resource is left not done.
 */
export function applyEvent(
    st: ResourceState,
    e: StackEvent,
    ctx: { readonly releaseId: string; readonly aborted: boolean; readonly now: string },
): void {
    switch (e.kind) {
        case "pre": {
            if (e.op === "same") {
                // Unchanged because an earlier attempt of this very release already did the work (perhaps in
                // a process that was killed before it could record it): report what the state says.
                const old = e.oldOutputs as ResourceState["outputs"];
                const ours = st.role !== "gate" && old?.releaseId === ctx.releaseId;
                st.phase = ours ? "done" : "same";
                st.outputs = ours ? old : undefined;
                st.finishedAt = ctx.now;
            } else {
                st.phase = "running";
                st.startedAt = ctx.now;
            }
            return;
        }
        case "outputs":
            if (st.phase === "running") {
                st.phase = "done";
                st.finishedAt = ctx.now;
                st.outputs = (e.outputs ?? {}) as ResourceState["outputs"];
            }
            return;
        case "failed":
        case "diagnostic":
            if (e.kind === "diagnostic" && e.severity !== "error") {
                return;
            }
            if (ctx.aborted) {
                st.phase = st.phase === "done" ? "done" : "pending";
                return;
            }
            if (st.phase === "done") {
                // Its work is done (the commit pushed, the gate passed): the engine could not record that in the
                // promote stack's state (a full or read-only disk). It stays done, and says so; a retry adopts it.
                if (e.kind === "diagnostic") {
                    st.error = [st.error, `done, but not recorded in the state: ${cleanError(e.message)}`]
                        .filter(Boolean)
                        .join("\n");
                }
                return;
            }
            st.phase = "failed";
            st.finishedAt ??= ctx.now;
            if (e.kind === "diagnostic") {
                st.error = [st.error, cleanError(e.message)].filter(Boolean).join("\n");
            }
            return;
    }
}

/** After the update: a resource still running was cut short (a stop) or lost with the update (a failure). */
export function settleUnfinished(states: Iterable<ResourceState>, aborted: boolean): void {
    for (const st of states) {
        if (st.phase === "running") {
            st.phase = aborted ? "pending" : "failed";
            st.error ??= aborted ? undefined : "the update stopped before this environment finished";
        }
    }
}

/** What the engine process learned beside the resources: workflow runs, health answers, pull requests. */
export interface Observations {
    /** By run key: `<env>/<app>/pre`, `<env>/<app>/post`, `<env>/hooks/<hook>`. */
    readonly runs?: ReadonlyMap<string, WorkflowRunRecord>;
    /** By `<env>/<app>`. */
    readonly health?: ReadonlyMap<string, HealthResult>;
    /** By `<env>/<repoURL>`. */
    readonly pullRequests?: ReadonlyMap<string, PullRequest>;
    /** By `<env>/<repoURL>`: why the host refuses to merge the open pull request now (auto-merge). */
    readonly mergeRefusals?: ReadonlyMap<string, string>;
    /** By environment: a window, soak or approval wait in progress (engine/release/waits.ts). */
    readonly waits?: ReadonlyMap<string, { readonly waitKind: WaitKind; readonly resumesAt?: string }>;
    /**
     * By environment: a wait that stopped the environment (`--no-wait`, or the process shutting down) before
     * any write, or with its pull request open: it reads Suspended (not Failed) with that wait, for a later resume.
     */
    readonly parked?: ReadonlyMap<string, { readonly waitKind: WaitKind; readonly resumesAt?: string }>;
    /** By environment: its approval gate as this attempt last saw it (decisions so far). */
    readonly approvals?: ReadonlyMap<string, ApprovalState>;
}

export const runKeys = {
    pre: (env: string, app: string) => `${env}/${app}/pre`,
    post: (env: string, app: string) => `${env}/${app}/post`,
    stepHook: (env: string, hook: StepHook) => `${env}/hooks/${hook}`,
    releaseHook: (hook: "onStart" | "onSuccess" | "onFail") => `release/${hook}`,
    trigger: "trigger",
} as const;
export type StepHook = "onStart" | "onSuccess" | "onFail";
export const stepHooks: readonly StepHook[] = ["onStart", "onSuccess", "onFail"];

/** One application's status from its promotion, its merge wait and its post-action gate. */
export function applicationStatus(
    action: string,
    promotion: ResourceState,
    merge: ResourceState | undefined,
    gate: ResourceState | undefined,
    changed: boolean | undefined,
    before: ApplicationRecord | undefined,
): EnvironmentStatus {
    const parts = [promotion, merge, gate].filter((x): x is ResourceState => x !== undefined);
    if (parts.some((x) => x.phase === "failed")) {
        return "Failed";
    }
    if (promotion.phase === "running" || gate?.phase === "running") {
        return "Running";
    }
    if (merge?.phase === "running" && promotion.outputs?.pullRequest?.state === "open") {
        return "Suspended";
    }
    if (parts.some((x) => x.phase === "pending")) {
        return promotion.phase === "pending" || promotion.phase === "same" ? "Pending" : "Running";
    }
    if (promotion.phase === "same" && merge?.phase === "done" && merge.outputs?.state === "merged") {
        // An earlier attempt opened the pull request (and parked, or its process stopped); it merged since.
        return "Succeeded";
    }
    if (promotion.phase === "same") {
        // Nothing to do now: what an earlier attempt of this release did still stands.
        return before?.status === "Succeeded" ? "Succeeded" : "Skipped";
    }
    return promotion.outputs?.status === "Skipped" || (changed === false && action !== "none")
        ? "Skipped"
        : "Succeeded";
}

/** An environment's status from its applications' (a resource failure fails it even with no application). */
export function environmentStatus(
    apps: readonly { status: EnvironmentStatus }[],
    anyResourceFailed: boolean,
): EnvironmentStatus {
    if (anyResourceFailed || apps.some((a) => a.status === "Failed")) {
        return "Failed";
    }
    for (const s of ["Running", "Suspended", "Pending"] as const) {
        if (apps.some((a) => a.status === s)) {
            return s;
        }
    }
    return apps.every((a) => a.status === "Skipped") ? "Skipped" : "Succeeded";
}

function applicationRecord(
    env: PlannedEnvironment,
    app: PlannedApplication,
    promotion: ResourceState,
    all: readonly ResourceState[],
    before: ApplicationRecord | undefined,
    seen: Observations,
): ApplicationRecord {
    const merge = all.find((m) => m.role === "merge" && m.group.name === promotion.group.name);
    const gate = all.find((x) => x.role === "gate" && x.gateFor === app.name);
    const merged = merge?.phase === "done" || (merge?.phase === "same" && merge.outputs !== undefined);
    const result = promotion.outputs?.results?.find((r) => r.name === app.name);
    const status = applicationStatus(
        env.action,
        promotion,
        merge,
        gate,
        result ? result.changes.length > 0 : undefined,
        before,
    );
    const keepBefore = promotion.phase === "same" && before !== undefined && before.status !== "Pending";
    const pre = seen.runs?.get(runKeys.pre(env.name, app.name)) ?? before?.preAction;
    const post = seen.runs?.get(runKeys.post(env.name, app.name)) ?? before?.postAction;
    const health = seen.health?.get(`${env.name}/${app.name}`) ?? before?.health;
    // A pull request's commit is the environment's only once merged: then it is the merge commit.
    const commitSha = merge
        ? merged
            ? merge.outputs?.mergeCommitSha
            : undefined
        : promotion.phase === "done" && promotion.outputs?.status === "Succeeded"
          ? promotion.outputs.commitSha
          : undefined;
    const opened = promotion.outputs?.pullRequest;
    const live = seen.pullRequests?.get(`${env.name}/${promotion.group.repoURL}`);
    const refused =
        live?.state === "open"
            ? seen.mergeRefusals?.get(`${env.name}/${promotion.group.repoURL}`)
            : undefined;
    const pullRequest = live
        ? {
              url: live.url,
              number: live.number,
              state: live.state,
              ...(refused ? { mergeRefused: refused } : {}),
          }
        : opened
          ? { url: opened.url, number: opened.number, state: merged ? "merged" : opened.state }
          : before?.pullRequest;
    const branch = promotion.outputs?.branch ?? before?.branch;
    return {
        name: app.name,
        status,
        action: env.action,
        repoURL: app.repoURL,
        ...(branch ? { branch } : {}),
        ...(commitSha
            ? { commitSha }
            : keepBefore && before?.commitSha
              ? { commitSha: before.commitSha }
              : {}),
        ...(promotion.phase === "done" && promotion.outputs?.attempts
            ? { pushAttempts: promotion.outputs.attempts }
            : {}),
        ...(promotion.phase === "done" && promotion.outputs?.adopted && commitSha ? { adopted: true } : {}),
        ...(promotion.phase === "done" && promotion.outputs?.replanned
            ? { replanned: promotion.outputs.replanned }
            : {}),
        ...(pullRequest ? { pullRequest } : {}),
        changes: promotion.phase === "done" ? (result?.changes ?? []) : keepBefore ? before.changes : [],
        ...(pre ? { preAction: pre } : {}),
        ...(post ? { postAction: post } : {}),
        ...(health ? { health } : {}),
    };
}

/** One environment's record from the states of its resources (and what an earlier attempt recorded). */
export function environmentRecord(
    env: PlannedEnvironment,
    all: readonly ResourceState[],
    previous: EnvironmentRecord | undefined,
    seen: Observations = {},
): EnvironmentRecord {
    const parked = seen.parked?.get(env.name);
    const apps = all
        .filter((g) => g.role === "promotion")
        .flatMap((g) =>
            g.group.applications.map((app) =>
                applicationRecord(
                    env,
                    app,
                    g,
                    all,
                    previous?.applications.find((a) => a.name === app.name),
                    seen,
                ),
            ),
        );
    const computed = environmentStatus(parked ? [] : apps, !parked && all.some((g) => g.phase === "failed"));
    const wait = seen.waits?.get(env.name) ?? parked;
    const waiting =
        parked !== undefined || (wait !== undefined && (computed === "Running" || computed === "Pending"));
    const status: EnvironmentStatus = waiting ? "Suspended" : computed;
    const times = (pick: (g: ResourceState) => string | undefined) =>
        all
            .map(pick)
            .filter((x): x is string => x !== undefined)
            .sort();
    const starts = times((g) => g.startedAt);
    const ends = times((g) => g.finishedAt);
    const error = parked
        ? ""
        : all
              .map((g) => g.error)
              .filter(Boolean)
              .join("\n");
    const approval = seen.approvals?.get(env.name) ?? previous?.approval;
    const keepTimes = all.every((g) => g.phase === "same") && previous?.status === "Succeeded";
    const hookRuns = stepHooks
        .map(
            (h) =>
                seen.runs?.get(runKeys.stepHook(env.name, h)) ??
                previous?.hooks?.find((r) => r.workflow === env.hooks?.[h]),
        )
        .filter((r): r is WorkflowRunRecord => r !== undefined);
    const startedAt = keepTimes ? previous?.startedAt : starts[0];
    const finishedAt = keepTimes
        ? previous?.finishedAt
        : ["Succeeded", "Skipped", "Failed"].includes(status)
          ? ends[ends.length - 1]
          : undefined;
    return {
        name: env.name,
        status,
        dependsOn: env.dependsOn,
        ...(startedAt ? { startedAt } : {}),
        ...(finishedAt ? { finishedAt } : {}),
        ...(error ? { error } : {}),
        applications: parked
            ? apps.map((a) => (a.status === "Failed" ? parkedApplication(a, parked) : a))
            : apps,
        ...(hookRuns.length > 0 ? { hooks: hookRuns } : {}),
        ...(approval ? { approval } : {}),
        ...(waiting && wait
            ? { waitKind: wait.waitKind, ...(wait.resumesAt ? { resumesAt: wait.resumesAt } : {}) }
            : status === "Suspended"
              ? { waitKind: "pullRequest" as const }
              : {}),
    };
}

/**
 * An application of a parked environment whose resource failed (the park stops it with an error): Suspended on
 * its open pull request when that is the wait, Pending (not started) otherwise.
 */
function parkedApplication(a: ApplicationRecord, parked: { readonly waitKind: WaitKind }): ApplicationRecord {
    const onPullRequest = parked.waitKind === "pullRequest" && a.pullRequest?.state === "open";
    return { ...a, status: onPullRequest ? "Suspended" : "Pending" };
}

/** Statuses a dependent may start after. */
const passed: ReadonlySet<EnvironmentStatus> = new Set(["Succeeded", "Skipped"]);

/**
 * The environments of an attempt once its update is over, in plan (DAG) order:
 * - one left part-way (its commit made, its post-action never reached) ends Terminated when the release was
 *   stopped, Failed otherwise;
 * - an environment whose dependencies did not all pass stays Pending, whatever the engine reported for it
 *   (it was never run by this attempt: the engine only left the last release's state alone), unless an earlier
 *   attempt of this same release already promoted it.
 */
export function settleEnvironments(
    environments: readonly EnvironmentRecord[],
    aborted: boolean,
    previous: readonly EnvironmentRecord[] = [],
): EnvironmentRecord[] {
    const settled = new Map<string, EnvironmentRecord>();
    for (const e of environments) {
        let rec: EnvironmentRecord =
            e.status === "Running" ? { ...e, status: aborted ? "Terminated" : "Failed" } : e;
        const blocked = rec.dependsOn.some((d) => {
            const dep = settled.get(d);
            return dep !== undefined && !passed.has(dep.status);
        });
        const before = previous.find((p) => p.name === e.name);
        if (blocked && rec.status !== "Failed" && rec.status !== "Terminated") {
            rec =
                before && before.status === "Succeeded"
                    ? before
                    : {
                          name: rec.name,
                          status: "Pending",
                          dependsOn: rec.dependsOn,
                          applications: rec.applications.map((a) => ({
                              name: a.name,
                              status: "Pending",
                              action: a.action,
                              repoURL: a.repoURL,
                              changes: [],
                          })),
                      };
        }
        settled.set(e.name, rec);
    }
    return environments.map((e) => settled.get(e.name)!);
}

/** How a release attempt ended, before its final hooks run. */
export interface AttemptOutcome {
    readonly environments: readonly EnvironmentRecord[];
    /** The release was stopped (terminate, flow timeout). */
    readonly aborted: boolean;
    /** Why it was stopped. */
    readonly abortReason?: string;
    /** A flow hook or the trigger workflow failed before any environment ran. */
    readonly gateError?: string;
    /** The update failed as a whole (not just some environments). */
    readonly updateError?: string;
}

/** The release's status and error from how its attempt ended. */
export function releaseOutcome(o: AttemptOutcome): { status: ReleaseStatus; error?: string } {
    if (o.aborted) {
        return { status: "Terminated", error: o.abortReason };
    }
    if (o.gateError) {
        return { status: "Failed", error: o.gateError };
    }
    const failed = o.environments.filter((e) => e.status === "Failed" || e.status === "Terminated");
    if (failed.length > 0) {
        return { status: "Failed", error: failed.map((e) => `${e.name}: ${e.error ?? "failed"}`).join("\n") };
    }
    // Environments stopped while waiting (`--no-wait`): the release waits for a resume (their resources failed
    // on purpose, before any write, so the update itself reads failed).
    if (o.environments.some((e) => e.status === "Suspended")) {
        return { status: "Suspended" };
    }
    if (o.updateError) {
        return { status: "Failed", error: o.updateError };
    }
    if (o.environments.every((e) => passed.has(e.status))) {
        return { status: "Succeeded" };
    }
    const pending = o.environments.filter((e) => !passed.has(e.status)).map((e) => e.name);
    return { status: "Failed", error: `environments that did not run: ${pending.join(", ")}` };
}

/** While the update runs: Suspended as soon as any environment waits (a pull request), Running otherwise. */
export function liveReleaseStatus(environments: Iterable<EnvironmentRecord>): ReleaseStatus {
    return [...environments].some((e) => e.status === "Suspended") ? "Suspended" : "Running";
}

/** Why a running release waits (its Suspended environments' wait kind and earliest resume time), if it does. */
export function liveReleaseWait(environments: Iterable<EnvironmentRecord>): {
    waitKind?: WaitKind;
    resumesAt?: string;
} {
    const suspended = [...environments].filter((e) => e.status === "Suspended");
    const kind = suspended.find((e) => e.waitKind)?.waitKind;
    const times = suspended
        .map((e) => e.resumesAt)
        .filter((t): t is string => t !== undefined)
        .sort();
    return { ...(kind ? { waitKind: kind } : {}), ...(times.length > 0 ? { resumesAt: times[0] } : {}) };
}

/** Ends a release that will not run again (terminated while queued, its process gone): open work is closed. */
export function closeEnvironments(
    environments: readonly EnvironmentRecord[],
    status: "Terminated" | "Failed",
): EnvironmentRecord[] {
    return environments.map((e) =>
        e.status === "Running" || e.status === "Suspended"
            ? { ...e, status: status === "Terminated" ? "Terminated" : "Failed" }
            : e,
    );
}
