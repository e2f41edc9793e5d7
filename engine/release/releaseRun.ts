import { messageOf } from "../../model/errors";
import type { ReleaseStatus } from "../../model/status";
import { Gates } from "./gates";
import type { RunCall, RunContext } from "./runContext";
import { heldBack } from "../governance/holds";
import { applyPolicyPacks } from "../governance/policyPacks";
import { releaseHookRuns, runEndHooks, runStartHooks, runStepEndHooks } from "./releaseHooks";
import { keepDecisions } from "../governance/approvals";
import { finished, heartbeatMs, thisProcess } from "./releaseQueue";
import type { EnvironmentRecord, ReleasePlan, ReleaseRecord } from "../record/releaseRecord";
import { withStoredAudit } from "../record/releaseRecord";
import { liveReleaseStatus, liveReleaseWait, releaseOutcome } from "./releaseState";
import { realClock } from "./waits";

const now = () => new Date().toISOString();

export type { ProgressEvent } from "./progress";

/**
 * Waits for the release's turn and writes it Running, stepping back to Queued when a rival got there first
 * (two processes found the product free at once: the later one queues behind). The record is durable before
 * anything of the release runs. `queued`: the release starts from Queued.
 */
async function takeTurn(
    ctx: RunContext,
    initial: ReleaseRecord,
    onCreated?: (r: ReleaseRecord) => void,
): Promise<ReleaseRecord> {
    const running = (startedAt?: string): ReleaseRecord => ({
        ...initial,
        status: "Running",
        startedAt: initial.startedAt ?? startedAt ?? now(),
        timeoutAt:
            initial.timeoutAt ??
            new Date((ctx.clock ?? realClock).now() + initial.plan.timeoutMs).toISOString(),
        attempts: initial.attempts + 1,
        owner: ctx.heartbeatMs ? { ...thisProcess, heartbeatMs: ctx.heartbeatMs } : thisProcess,
    });
    // The record is written Running straight away when nothing else holds the product; it is only written
    // Queued (and waits) when another release is active or queued ahead of it.
    let record: ReleaseRecord = running();
    for (;;) {
        const waited = await ctx.queue.waitForTurn(record);
        record = running(waited ? now() : record.startedAt);
        await ctx.store.put(record);
        onCreated?.(record);
        onCreated = undefined;
        ctx.onProgress?.({ type: "release", release: record });
        if (!(await ctx.queue.rivalAhead(record))) {
            return record;
        }
        record = { ...record, status: "Queued" };
        await ctx.store.put(record);
    }
}

/**
 * What a live write shows: the status and, while Suspended, what it waits for and until when, and why a code
 * host refuses to merge a pull request it waits on (people read that from the record while it waits).
 */
function liveKey(
    status: ReleaseStatus,
    wait: { waitKind?: string; resumesAt?: string },
    environments: Iterable<EnvironmentRecord> = [],
): string {
    const refusals = [...environments].flatMap((e) =>
        e.applications.flatMap((a) => (a.pullRequest?.mergeRefused ? [a.pullRequest.mergeRefused] : [])),
    );
    return `${status} ${wait.waitKind ?? ""} ${wait.resumesAt ?? ""} ${refusals.join("\0")}`;
}

/**
 * Writes the release through while it runs: Suspended as soon as an environment waits (people look at the
 * record for the pull request) and Running again after, one write after another and never over a Terminating
 * written by someone asking the release to stop.
 */
class LiveRecord {
    private readonly live = new Map<string, EnvironmentRecord>();
    // The record was written Running before the update started.
    private shown = liveKey("Running", {});
    private writes: Promise<void>;
    private stopped = false;
    readonly warnings: string[] = [];

    constructor(
        private readonly ctx: RunContext,
        private readonly record: ReleaseRecord,
    ) {
        this.writes = Promise.resolve();
    }

    onEnvironment(environment: EnvironmentRecord): void {
        this.live.set(environment.name, environment);
        this.ctx.onProgress?.({ type: "environment", releaseId: this.record.id, environment });
        const status: ReleaseStatus = liveReleaseStatus(this.live.values());
        const wait = status === "Suspended" ? liveReleaseWait(this.live.values()) : {};
        const key = liveKey(status, wait, this.live.values());
        if (key === this.shown) {
            return;
        }
        this.shown = key;
        const snapshot: ReleaseRecord = {
            ...this.record,
            status,
            ...wait,
            environments: this.record.environments.map((e) => this.live.get(e.name) ?? e),
        };
        this.writes = this.writes.then(async () => {
            const current = await this.ctx.store.get(this.record.id).catch(() => undefined);
            if (current?.status === "Terminating" || this.shown !== key) {
                return;
            }
            // Decisions on an approval are written beside this process's writes: keep those made meanwhile. The
            // write is a sign of life too: it carries a fresh heartbeat (a snapshot without one would leave
            // other hosts judging the release by its start).
            const kept = { ...keepDecisions(snapshot, current), heartbeatAt: now() };
            this.ctx.onProgress?.({ type: "release", release: kept });
            await this.ctx.store.put(kept).catch(() => undefined);
            await this.warn(this.ctx.commitStatus?.(snapshot));
        });
    }

    async warn(w: Promise<string | undefined> | undefined): Promise<void> {
        const warning = await w;
        if (warning) {
            this.warnings.push(warning);
        }
    }

    /**
     * Writes the stored record again with a fresh `heartbeatAt` while it reads Running or Suspended (other hosts
     * tell a live release from a dead one by it); one write after another with the snapshots, never after `stop`.
     */
    beat(): void {
        if (this.stopped) {
            return;
        }
        this.writes = this.writes.then(async () => {
            const current = await this.ctx.store.get(this.record.id).catch(() => undefined);
            if (this.stopped || (current?.status !== "Running" && current?.status !== "Suspended")) {
                return;
            }
            await this.ctx.store.put({ ...current, heartbeatAt: now() }).catch(() => undefined);
        });
    }

    /** No more writes from here on (the final record is written next). */
    async stop(): Promise<void> {
        this.stopped = true;
        await this.writes;
    }

    /** The update is over: a Suspended snapshot still queued is stale (the final record is written next). */
    async close(): Promise<void> {
        this.shown = "closed";
        await this.writes;
    }
}

/**
 * Runs one attempt of a release: its turn, the timeout and terminate watch, the start hooks, the update of
 * the promote stack, the step and end hooks, and the final record. Returns the record as stored.
 */
export async function runRelease(
    ctx: RunContext,
    initial: ReleaseRecord,
    call: RunCall = {},
): Promise<ReleaseRecord> {
    const record = await takeTurn(ctx, initial, call.onCreated);
    try {
        return await attempt(ctx, call, record, initial);
    } catch (e) {
        await heartbeats.get(record.id)?.();
        // Anything unexpected (an Argo Server error, a lost backend) still ends the release: a record left
        // Running would hold the product's turn while its process lives on (serve).
        await ctx.store
            .put(finished(record, "Failed", `the release stopped on an unexpected error: ${messageOf(e)}`))
            .catch(() => undefined);
        throw e;
    }
}

/** Per running attempt (by release id): stops its heartbeat and waits for its last live write. */
const heartbeats = new Map<string, () => Promise<void>>();

/** One attempt, its turn taken and its Running record written. */
async function attempt(
    ctx: RunContext,
    call: RunCall,
    taken: ReleaseRecord,
    initial: ReleaseRecord,
): Promise<ReleaseRecord> {
    let record = taken;
    const controller = new AbortController();
    let reason: string | undefined;
    const stop = (why: string) => {
        reason ??= why;
        controller.abort();
    };
    // The limit bounds the whole release, its waits and every resume included (see ReleaseRecord.timeoutAt).
    const limitAt = record.timeoutAt ?? new Date(Date.now() + record.plan.timeoutMs).toISOString();
    const left = () => Date.parse(limitAt) - (ctx.clock ?? realClock).now();
    const overdue = `flow timeout exceeded (promotionTimeoutLimit ${Math.round(record.plan.timeoutMs / 1000)}s, reached at ${limitAt})`;
    let timeout: NodeJS.Timeout | undefined;
    // setTimeout fires at once beyond 2^31-1 ms (24.8 days): a longer limit is waited out in steps.
    const arm = () => {
        const ms = left();
        if (ms <= 0) {
            stop(overdue);
            return;
        }
        timeout = setTimeout(arm, Math.min(ms, 2 ** 31 - 1));
    };
    arm();
    const stopWatching = ctx.queue.watchForTerminate(record.id, stop);
    const live = new LiveRecord(ctx, record);
    const heartbeat = setInterval(() => live.beat(), ctx.heartbeatMs ?? heartbeatMs);
    heartbeats.set(record.id, async () => {
        heartbeats.delete(record.id);
        clearInterval(heartbeat);
        await live.stop();
    });
    // Warnings known before the run (a rollback's newer downstream environments) stay on the final record.
    live.warnings.push(...(initial.warnings ?? []));
    // Held environments (and those after them) are left out of the update: nothing is written or run for them.
    const held = heldBack(record);
    let plan: ReleasePlan = {
        ...record.plan,
        environments: record.plan.environments.filter((e) => !held.has(e.name)),
        untargeted: [
            ...record.plan.environments.filter((e) => held.has(e.name)),
            ...(record.plan.untargeted ?? []),
        ],
    };
    // The source commit's status says Running once the record does.
    const runningStatus = live.warn(ctx.commitStatus?.(record));

    const gates = new Gates(ctx, record, controller.signal);
    let environments: readonly EnvironmentRecord[] = record.environments;
    let updateError: string | undefined;
    let gateError: string | undefined;
    try {
        // Past its limit already (resumed late): nothing more runs, it ends Terminated with its end hooks.
        gateError = controller.signal.aborted ? undefined : await runStartHooks(gates, record);
        if (!gateError && !controller.signal.aborted) {
            // Policy packs, in a preview before the update: a mandatory violation fails that environment only.
            try {
                const gated = await applyPolicyPacks({
                    releaseId: record.id,
                    product: record.product,
                    flow: record.flow,
                    plan,
                    candidate: record.candidate,
                    cacheDir: ctx.gitCacheDir,
                    stack: await ctx.stack,
                    signal: controller.signal,
                    environments: record.environments,
                });
                plan = gated.plan;
                live.warnings.push(...gated.warnings);
                for (const e of gated.environments.filter((g) => !record.environments.includes(g))) {
                    live.onEnvironment(e);
                }
                record = { ...record, environments: gated.environments };
                environments = record.environments;
            } catch (e) {
                gateError = messageOf(e);
            }
        }
        if (!gateError && !controller.signal.aborted && plan.environments.length > 0) {
            // Loaded on the first update, not with this module: the engine's facade imports it, and a preview,
            // which runs no update, should not load the Automation API with it.
            const { runReleaseUpdate } = await import("./releaseUpdate");
            const result = await runReleaseUpdate(ctx, call, {
                release: record,
                plan,
                gates,
                signal: controller.signal,
                storedApproval: async (env) =>
                    (await ctx.store.get(record.id))?.environments.find((e) => e.name === env)?.approval,
                onEnvironment: (e) => live.onEnvironment(e),
            });
            environments = record.environments.map(
                (e) => result.environments.find((r) => r.name === e.name) ?? e,
            );
            updateError = result.error;
        }
    } finally {
        clearTimeout(timeout);
        await stopWatching();
    }
    await live.close();
    await runningStatus;
    environments = await runStepEndHooks(gates, record.plan, environments);
    const outcome = releaseOutcome({
        environments,
        aborted: controller.signal.aborted,
        abortReason: reason,
        gateError,
        updateError,
    });
    if (outcome.status === "Suspended") {
        // Stopped while waiting (`--no-wait`): no end hooks, no owner (a waiting release is not dead), and
        // whoever resumes it continues from here.
        const hooks = releaseHookRuns(gates, record.hooks);
        const { error: _e, warnings: _w, owner: _o, ...rest } = record;
        record = {
            ...rest,
            status: "Suspended",
            ...liveReleaseWait(environments),
            ...(hooks.length > 0 ? { hooks } : {}),
            environments,
        };
    } else {
        if (outcome.status !== "Succeeded") {
            // A wait stopped by a failure elsewhere is not resumed as such: it is retried with the rest.
            environments = environments.map((e) => {
                if (e.status !== "Suspended") {
                    return e;
                }
                const { waitKind: _k, resumesAt: _r, ...open } = e;
                const applications = e.applications.map((a) =>
                    a.status === "Suspended" ? { ...a, status: "Pending" as const } : a,
                );
                return { ...open, status: "Pending" as const, applications };
            });
        }
        const { status, error } = await runEndHooks(gates, record.plan, { ...outcome, environments });
        const hooks = releaseHookRuns(gates, record.hooks);
        const { error: _e, warnings: _w, waitKind: _k, resumesAt: _r, ...rest } = record;
        record = {
            ...rest,
            status,
            finishedAt: now(),
            ...(error ? { error } : {}),
            ...(hooks.length > 0 ? { hooks } : {}),
            environments,
        };
    }
    await live.warn(ctx.commitStatus?.(record));
    if (live.warnings.length > 0) {
        record = { ...record, warnings: [...new Set(live.warnings)] };
    }
    await heartbeats.get(record.id)?.();
    if (record.status === "Terminated") {
        // Whoever asked it to stop is in the stored record's audit.
        record = withStoredAudit(record, await ctx.store.get(record.id).catch(() => undefined));
    }
    record = keepDecisions(record, await ctx.store.get(record.id).catch(() => undefined));
    await ctx.store.put(record);
    ctx.onProgress?.({ type: "release", release: record });
    return record;
}
