/**
 * One attempt of a release as an update of its product's promote stack (opened in engine/pulumi/promoteStack.ts,
 * its program in engine/pulumi/promoteProgram.ts): the waits and gates run from the program's hooks, and the
 * engine's events drive the release state machine (releaseState.ts).
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { engineErrors } from "../../model/errors";
import type { ActionPlan, ActionRequest } from "../../provider/actions/action";
import { handedPlan, handOn, tracePlan } from "../../provider/actions/handedPlan";
import { actionFor } from "../../provider/actions/registry";
import { withExperimental } from "../governance/plans";
import type { SoakDependency } from "../governance/windows";
import type { ProgramGates } from "../pulumi/promoteProgram";
import { plannedResources, promoteProgram, promoteProject, promotionInputs } from "../pulumi/promoteProgram";
import { clearDeadLocks, withLockRetry } from "../pulumi/workspace";
import type { ApprovalState } from "../record/approvalState";
import type {
    EnvironmentRecord,
    PlannedEnvironment,
    ReleasePlan,
    ReleaseRecord,
} from "../record/releaseRecord";
import type { Gates } from "./gates";
import type { ResourceState, StackEvent } from "./releaseState";
import {
    applyEvent,
    cleanError,
    environmentRecord,
    settleEnvironments,
    settleUnfinished,
} from "./releaseState";
import type { RunCall, RunContext } from "./runContext";
import { EnvironmentWaits, realClock } from "./waits";

/** What the update reads of the run context. */
export type UpdateContext = Pick<
    RunContext,
    | "engine"
    | "backendUrl"
    | "passphrase"
    | "inheritedPath"
    | "gitCacheDir"
    | "credentials"
    | "stack"
    | "clock"
    | "drain"
    | "approvalPollMs"
>;

/** One attempt's update: the release, its plan (held environments left out), its gates and its stop signal. */
export interface ReleaseUpdate {
    readonly release: Pick<ReleaseRecord, "id" | "product" | "flow" | "candidate">;
    readonly plan: ReleasePlan;
    readonly signal?: AbortSignal;
    readonly onEnvironment?: (env: EnvironmentRecord) => void;
    /** Runs pre-actions, post-actions and step onStart hooks (from resource hooks, in this process). */
    readonly gates?: Gates;
    /** An environment's approval state as stored on the record (where decisions are written). */
    readonly storedApproval?: (environment: string) => Promise<ApprovalState | undefined>;
}

/** The update's options as the program's hooks read them. */
type UpdateOptions = UpdateContext & Pick<RunCall, "park" | "updatePlan" | "previous"> & ReleaseUpdate;

export interface ReleaseUpdateResult {
    readonly environments: EnvironmentRecord[];
    /** Set when the update failed as a whole (not just some environments). */
    readonly error?: string;
    readonly aborted: boolean;
}

/** The events of the Automation API, reduced to what the release state machine reads. */
export function fromEngineEvent(e: EngineEvent): StackEvent | undefined {
    if (e.resourcePreEvent) {
        const m = e.resourcePreEvent.metadata;
        return { kind: "pre", urn: m.urn, op: m.op, oldOutputs: m.old?.outputs };
    }
    if (e.resOutputsEvent) {
        const m = e.resOutputsEvent.metadata;
        return { kind: "outputs", urn: m.urn, outputs: m.new?.outputs };
    }
    if (e.resOpFailedEvent) {
        return { kind: "failed", urn: e.resOpFailedEvent.metadata.urn };
    }
    if (e.diagnosticEvent?.urn) {
        const d = e.diagnosticEvent;
        return { kind: "diagnostic", urn: d.urn!, severity: d.severity, message: d.message };
    }
    return undefined;
}

/** The program's hooks, over this attempt's Gates (they run in this process, with its credentials). */
function programGates(
    opts: UpdateOptions,
    release: Parameters<typeof promotionInputs>[0],
    gates: Gates,
    waits: EnvironmentWaits,
    updateStartedMs: number,
): ProgramGates {
    return {
        async beforePromotion(env, group, first) {
            // Gates run only when there is something to promote (Skipped means nothing ran). The provider's diff
            // planned the change a moment ago and handed its plan on: taken, not made again. Without a diff (the
            // environment's first release) the plan is made here and handed on to the write.
            const req = { ...promotionInputs(release, env, group), credentials: opts.credentials };
            const plan = handedPlan(req, updateStartedMs) ?? (await planHere(req));
            if (!plan.pending) {
                return;
            }
            // Promotion windows, soak time and the approval gate: before any gate or write.
            await waits.before(
                env,
                plan.plans.map((p) => ({ application: p.application, changes: p.changes })),
            );
            if (first && env.hooks?.onStart) {
                await gates.hook(
                    `${env.name}/hooks/onStart`,
                    env.hooks.onStart,
                    { ENVIRONMENT: env.name },
                    {
                        environment: env.name,
                    },
                );
            }
            await gates.preActions(env, group.applications);
        },
        async awaitPullRequest(env, repoURL, number) {
            // `--no-wait`, or this process shutting down: one look (and merge try), then the environment parks.
            const left = await gates.awaitMerge(env, repoURL, number, {
                stop: () => waits.parking(),
                ...(opts.drain ? { wake: opts.drain } : {}),
            });
            if (left === "open") {
                waits.parkOnPullRequest(env);
            }
        },
        async afterPromotion(env, app, commitSha) {
            await gates.healthWait(env, app, commitSha || undefined);
            await gates.postAction(env, app, commitSha || undefined);
        },
    };
}

/** The pre-action hook's own plan (no diff handed one on), handed on to the provider's write. */
async function planHere(req: ActionRequest & { action: PlannedEnvironment["action"] }): Promise<ActionPlan> {
    const plan = await actionFor(req.action).plan(req);
    tracePlan(req, "hook", plan.tip ? { tip: plan.tip } : {});
    handOn(req, plan, false);
    return plan;
}

/**
 * Runs one attempt of a release as an update of the product's promote stack (see promoteProgram), only this
 * release's resources targeted (other flows' resources stay as they are). Independent branches run
 * concurrently; a failure stops only what depends on it. The engine's events drive the release state machine
 * (releaseState), which reports each environment as its status changes.
 */
export async function runReleaseUpdate(
    ctx: UpdateContext,
    call: Pick<RunCall, "park" | "updatePlan" | "previous">,
    update: ReleaseUpdate,
): Promise<ReleaseUpdateResult> {
    const startedMs = Date.now();
    const opts: UpdateOptions = { ...ctx, ...call, ...update };
    const { id: releaseId, product, flow, candidate } = update.release;
    const clock = opts.clock ?? realClock;
    const now = () => new Date(clock.now()).toISOString();
    const states = new Map<string, ResourceState>(
        plannedResources(product, opts.plan, opts.gates !== undefined).map((r) => [
            r.urn,
            { group: r.group, role: r.role, ...(r.gateFor ? { gateFor: r.gateFor } : {}), phase: "pending" },
        ]),
    );
    const envRecord = (env: PlannedEnvironment): EnvironmentRecord =>
        environmentRecord(
            env,
            [...states.values()].filter((st) => st.group.environment === env.name),
            opts.previous?.find((p) => p.name === env.name),
            {
                runs: opts.gates?.runs,
                health: opts.gates?.health,
                pullRequests: opts.gates?.pullRequests,
                mergeRefusals: opts.gates?.mergeRefusals,
                waits: waits.waiting,
                parked: waits.parked,
                approvals: waits.approvals,
            },
        );
    const lastReported = new Map<string, string>();
    const report = (envName: string) => {
        const env = opts.plan.environments.find((e) => e.name === envName);
        if (!env || !opts.onEnvironment) {
            return;
        }
        const rec = envRecord(env);
        const refusals = rec.applications.map((a) => a.pullRequest?.mergeRefused ?? "").join("\0");
        const key = `${rec.status} ${rec.waitKind ?? ""} ${rec.resumesAt ?? ""} ${rec.approval?.decisions.length ?? ""} ${refusals}`;
        if (lastReported.get(envName) !== key) {
            lastReported.set(envName, key);
            opts.onEnvironment(rec);
        }
    };
    // A merge the host refuses (or stops refusing) while the environment waits shows in the release at once.
    if (opts.gates) {
        opts.gates.onMergeRefusal = report;
    }
    // Soak reads each dependency as this attempt sees it (an earlier attempt's finish time when it is done).
    const waits: EnvironmentWaits = new EnvironmentWaits({
        product: product,
        clock,
        signal: opts.signal,
        onChange: (name) => report(name),
        ...(opts.park ? { park: true } : {}),
        ...(opts.drain ? { drain: opts.drain } : {}),
        ...(opts.storedApproval ? { storedApproval: opts.storedApproval } : {}),
        ...(opts.approvalPollMs ? { approvalPollMs: opts.approvalPollMs } : {}),
        dependencies: (env) =>
            env.dependsOn.flatMap((d): SoakDependency[] => {
                const planned = opts.plan.environments.find((e) => e.name === d);
                if (!planned) {
                    return [];
                }
                const live = envRecord(planned);
                const before = opts.previous?.find((p) => p.name === d);
                // A dependency an earlier attempt finished is not redone: its version has been there since then.
                if (before?.status === "Succeeded" && before.finishedAt) {
                    return [{ name: d, status: "Succeeded", finishedAt: before.finishedAt }];
                }
                return [
                    {
                        name: d,
                        status: live.status,
                        ...(live.finishedAt ? { finishedAt: live.finishedAt } : {}),
                    },
                ];
            }),
    });
    const onEvent = (e: EngineEvent) => {
        const event = fromEngineEvent(e);
        const st = event ? states.get(event.urn) : undefined;
        if (!event || !st) {
            return;
        }
        applyEvent(st, event, {
            releaseId: releaseId,
            aborted: opts.signal?.aborted ?? false,
            now: now(),
        });
        report(st.group.environment);
    };

    const release = { releaseId, product, flow, plan: opts.plan, candidate, cacheDir: opts.gitCacheDir };
    const program = promoteProgram({
        ...release,
        ...(opts.gates ? { gates: programGates(opts, release, opts.gates, waits, startedMs) } : {}),
    });
    const stack = await opts.stack;
    let error: string | undefined;
    try {
        const up = () =>
            stack.up({
                program,
                onEvent,
                target: [...states.keys()],
                continueOnError: true,
                // Every resource of this release may run at once (the CLI's default, 4 per core, held a gate's slot
                // while later environments waited); our own locks bound what must take turns.
                parallel: Math.max(8, states.size),
                signal: opts.signal,
                message: `release ${releaseId} (${flow})`,
                ...(opts.updatePlan ? { plan: opts.updatePlan } : {}),
            });
        // A lock left by a `pulumi` killed mid-update on this host (before the release's record said Running,
        // so no reader could tell it was dead) is cleared rather than waited out.
        const clearDead = () =>
            clearDeadLocks(opts.backendUrl, promoteProject, product, () => Promise.resolve(stack));
        await withLockRetry(() => (opts.updatePlan ? withExperimental(stack, up) : up()), { clearDead });
    } catch (e) {
        error = e instanceof Error ? e.message : String(e);
    }
    const aborted = opts.signal?.aborted ?? false;
    settleUnfinished(states.values(), aborted);
    const environments = settleEnvironments(opts.plan.environments.map(envRecord), aborted, opts.previous);
    const failedEnvs = environments.some((e) => e.status === "Failed");
    return {
        environments,
        aborted,
        ...(error && !failedEnvs && !aborted ? { error: summarizeUpdateError(error) } : {}),
    };
}

/**
 * The errors of a failed `pulumi up` (the Automation API error carries the whole output), each whole (a
 * multi-error with its list, the file it could not write).
 */
function summarizeUpdateError(message: string): string {
    const errors = engineErrors(message.replace(/^\s*stderr:\s*/m, ""));
    return (errors.length > 0 ? errors.slice(0, 4).join("\n") : cleanError(message)).trim();
}
