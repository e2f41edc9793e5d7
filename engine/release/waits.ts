/**
 * Waiting before an environment starts: its promotion windows (PromotionWindow) and its soak time. The wait
 * runs in the environment's pre-promotion resource hook (engine/release/releaseUpdate.ts), with the release's abort
 * signal and an injectable clock; while it waits the environment (and the release) read `Suspended` with
 * `waitKind` and `resumesAt`.
 */
import type { Catalog } from "../../components/catalog";
import type { ApprovalState } from "../record/approvalState";
import { approvalFailure, approvalOutcome, approvalState } from "../governance/approvals";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import type { WaitKind } from "../../model/status";
import type { PlannedEnvironment, ReleaseRecord } from "../record/releaseRecord";
import type { SoakDependency } from "../governance/windows";
import { checkWindows, nextOpenOf, soakUntil, windowsFor } from "../governance/windows";

/** Time, injectable: tests drive waits with a fake clock. */
export interface Clock {
    now(): number;
    /** Resolves after `ms`, rejects as soon as `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
    now: () => Date.now(),
    sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
            if (signal?.aborted) {
                reject(new Error("stopped while waiting"));
                return;
            }
            const timer = setTimeout(
                () => {
                    signal?.removeEventListener("abort", onAbort);
                    resolve();
                },
                Math.max(0, ms),
            );
            const onAbort = () => {
                clearTimeout(timer);
                reject(new Error("stopped while waiting"));
            };
            signal?.addEventListener("abort", onAbort, { once: true });
        }),
};

/** Longest single sleep: windows and soaks are checked again at least this often. */
const maxSleepMs = 60 * 60_000;

/**
 * A parked pull request with auto-merge is resumed at most this often to try the merge again (each try is a
 * whole update); one without auto-merge is resumed once its host says it is merged or closed.
 */
export const autoMergeRetryMs = 60_000;

/**
 * A new release's plan with each environment's promotion windows attached (from the catalog, for its product
 * and the environment's kind and tags). With `override`, none are attached: the windows that would have
 * applied are recorded in `overriddenWindows`.
 */
export function applyWindows(record: ReleaseRecord, catalog: Catalog, override = false): ReleaseRecord {
    const product = catalog.products.find((p) => p.name === record.product);
    const all = catalog.promotionWindows ?? [];
    const per = record.plan.environments.map((e) => {
        const def = catalog.environments.find((x) => x.name === e.name);
        const windows =
            product && all.length > 0
                ? windowsFor(
                      all,
                      { name: product.name, tags: product.tags },
                      { name: e.name, kind: def?.kind, tags: def?.tags },
                  )
                : [];
        return { env: e, windows };
    });
    const { overriddenWindows: _o, ...rest } = record;
    const strip = ({ windows: _w, ...e }: PlannedEnvironment): PlannedEnvironment => e;
    if (override) {
        const overridden = per
            .filter((p) => p.windows.length > 0)
            .map((p) => ({ environment: p.env.name, windows: p.windows.map((w) => w.name) }));
        return {
            ...rest,
            plan: { ...record.plan, environments: record.plan.environments.map(strip) },
            ...(overridden.length > 0 ? { overriddenWindows: overridden } : {}),
        };
    }
    return {
        ...rest,
        plan: {
            ...record.plan,
            environments: per.map((p) =>
                p.windows.length > 0 ? { ...strip(p.env), windows: p.windows } : strip(p.env),
            ),
        },
    };
}

export interface WaitState {
    readonly waitKind: Extract<WaitKind, "window" | "soak" | "approval" | "pullRequest">;
    /**
     * When it resumes (a window or soak), when an approval expires, or when a pull request's auto-merge is
     * tried again.
     */
    readonly resumesAt?: string;
}

/**
 * Thrown by a wait in a release run with `park` (`--no-wait`): the environment stops here, its resource
 * fails before any write (or, waiting on its pull request, before the merge), and the release is written
 * Suspended for a later resume (DESIGN 3a).
 */
export class ParkedError extends EnvironmentError {}

/** Real-time pause between two looks at the record for decisions (not the injectable clock: it is I/O). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
    return realClock.sleep(ms, signal);
}

export interface EnvironmentWaitsOptions {
    readonly product: string;
    readonly clock: Clock;
    readonly signal?: AbortSignal;
    /** This release's dependencies of an environment, as recorded now (status, finishedAt). */
    readonly dependencies: (env: PlannedEnvironment) => SoakDependency[];
    /** An environment started or stopped waiting. */
    readonly onChange: (environment: string) => void;
    /** The approval state of an environment as stored on the release record (decisions are written there). */
    readonly storedApproval?: (environment: string) => Promise<ApprovalState | undefined>;
    /** How often the record is read again for decisions (ms, default 2 s). */
    readonly approvalPollMs?: number;
    /** Do not wait: stop each waiting environment at once (ParkedError) and leave the release Suspended. */
    readonly park?: boolean;
    /**
     * Aborts when this process is shutting down (`promote serve` on SIGTERM): from then on each environment
     * that waits, or is waiting, stops as with `park`, so the release is written Suspended without an owner and
     * any other process resumes it once the wait is over (DESIGN 3a). Gates and writes under way are not
     * stopped by it.
     */
    readonly drain?: AbortSignal;
}

/** The window and soak waits of one attempt: what each environment waits for now (see Observations.waits). */
export class EnvironmentWaits {
    readonly waiting = new Map<string, WaitState>();
    /** Environments stopped by `park` while waiting, and what they wait for. */
    readonly parked = new Map<string, WaitState>();
    /** Approval gates this attempt reached (kept once decided, for the record). */
    readonly approvals = new Map<string, ApprovalState>();

    constructor(private readonly opts: EnvironmentWaitsOptions) {}

    /** Nothing to wait for in this environment at all. */
    static none(env: PlannedEnvironment): boolean {
        return (env.windows ?? []).length === 0 && !env.soakTimeMs && env.approval === undefined;
    }

    private startWaiting(env: PlannedEnvironment, wait: WaitState): void {
        const before = this.waiting.get(env.name);
        if (before?.waitKind !== wait.waitKind || before.resumesAt !== wait.resumesAt) {
            this.waiting.set(env.name, wait);
            this.opts.onChange(env.name);
        }
        if (this.parking()) {
            this.park(env, wait);
        }
    }

    /** Does a wait stop its environment at once (`--no-wait`, or this process shutting down)? */
    parking(): boolean {
        return this.opts.park === true || this.opts.drain?.aborted === true;
    }

    /**
     * The environment's pull request is still open and this attempt does not wait for it ({@link parking}): the
     * environment stops here, Suspended on the pull request, and whoever resumes the release looks at it again
     * (the open pull request is adopted, not opened twice). With auto-merge, `resumesAt` is when the merge is
     * tried again.
     */
    parkOnPullRequest(env: PlannedEnvironment): never {
        const retryAt = env.pullRequest?.autoMerge
            ? new Date(this.opts.clock.now() + autoMergeRetryMs).toISOString()
            : undefined;
        return this.park(env, { waitKind: "pullRequest", ...(retryAt ? { resumesAt: retryAt } : {}) });
    }

    /** Stops the environment here: it is recorded as waiting, and the release is written Suspended. */
    private park(env: PlannedEnvironment, wait: WaitState): never {
        this.parked.set(env.name, wait);
        throw new ParkedError(
            `waiting (${wait.waitKind}) for environment "${env.name}"${wait.resumesAt && wait.waitKind !== "pullRequest" ? ` until ${wait.resumesAt}` : ""}: resume the release once the wait is over`,
        );
    }

    /**
     * What a wait sleeps with: the release's signal, and the drain's (a wait cut short by the drain parks, see
     * {@link EnvironmentWaitsOptions.drain}).
     */
    private sleepSignal(): AbortSignal | undefined {
        const { signal, drain } = this.opts;
        return signal && drain ? AbortSignal.any([signal, drain]) : (signal ?? drain);
    }

    /** A wait's sleep was cut short: by the drain (and not the release's own stop), the environment parks. */
    private parkIfDraining(env: PlannedEnvironment, wait: WaitState): void {
        if (this.opts.drain?.aborted && !this.opts.signal?.aborted) {
            this.park(env, wait);
        }
    }

    /**
     * Returns once the environment's approval gate is open: enough approvals on the record. Throws (failing the
     * environment before any write) on a rejection or when the approval's timeout passes.
     */
    private async approval(env: PlannedEnvironment, changes?: ApprovalState["changes"]): Promise<void> {
        const planned = env.approval!;
        const { clock } = this.opts;
        const read = async () =>
            (await this.opts.storedApproval?.(env.name).catch(() => undefined)) ??
            this.approvals.get(env.name);
        let state = approvalState(planned, clock.now(), await read(), changes);
        for (;;) {
            this.approvals.set(env.name, state);
            const outcome = approvalOutcome(state, clock.now());
            const failure = approvalFailure(env.name, outcome);
            if (failure) {
                throw new InvalidInputError(failure, { entity: `Environment "${env.name}"` });
            }
            if (outcome.kind === "approved") {
                return;
            }
            const wait: WaitState = {
                waitKind: "approval",
                ...(state.expiresAt ? { resumesAt: state.expiresAt } : {}),
            };
            this.startWaiting(env, wait);
            const left = state.expiresAt ? Date.parse(state.expiresAt) - clock.now() : Infinity;
            try {
                await pause(
                    Math.max(0, Math.min(this.opts.approvalPollMs ?? 2000, left)),
                    this.sleepSignal(),
                );
            } catch {
                this.parkIfDraining(env, wait);
                throw new EnvironmentError(`stopped while waiting for approval of environment "${env.name}"`);
            }
            const stored = await read();
            state = { ...state, decisions: stored?.decisions ?? state.decisions };
        }
    }

    /**
     * Returns once the environment may start: its windows open and its dependencies soaked. Throws when a
     * closed window says `onClosed: fail` (or never opens again), or when the release is stopped meanwhile.
     */
    async before(env: PlannedEnvironment, changes?: ApprovalState["changes"]): Promise<void> {
        const { clock } = this.opts;
        try {
            for (;;) {
                const now = new Date(clock.now());
                const windows = env.windows ?? [];
                const check = checkWindows(windows, now);
                let wait: WaitState | undefined;
                if (!check.open) {
                    const next = nextOpenOf(windows, now);
                    if (check.onClosed === "fail") {
                        throw new InvalidInputError(
                            `promotion window "${check.window}" is closed for environment "${env.name}" of product "${this.opts.product}" (onClosed: fail)${next ? `; it opens at ${next.toISOString()}` : ""}: promote then, or with --override-window`,
                            { entity: `PromotionWindow "${check.window}"` },
                        );
                    }
                    if (!next) {
                        throw new InvalidInputError(
                            `promotion window "${check.window}" keeps environment "${env.name}" of product "${this.opts.product}" closed and never opens again: change the window, or promote with --override-window`,
                            { entity: `PromotionWindow "${check.window}"` },
                        );
                    }
                    wait = { waitKind: "window", resumesAt: next.toISOString() };
                } else {
                    const soak = soakUntil(env.soakTimeMs, this.opts.dependencies(env), now);
                    if (soak) {
                        wait = { waitKind: "soak", resumesAt: soak.until.toISOString() };
                    }
                }
                if (!wait) {
                    break;
                }
                this.startWaiting(env, wait);
                const ms = Math.min(Date.parse(wait.resumesAt!) - now.getTime(), maxSleepMs);
                try {
                    await clock.sleep(Math.max(ms, 0), this.sleepSignal());
                } catch {
                    this.parkIfDraining(env, wait);
                    throw new EnvironmentError(
                        `stopped while waiting (${wait.waitKind}) for environment "${env.name}" until ${wait.resumesAt}`,
                    );
                }
            }
            // The approval gate: after the windows and soak time (the diff shown is the one written next).
            if (env.approval) {
                await this.approval(env, changes);
            }
        } finally {
            if (this.waiting.delete(env.name)) {
                this.opts.onChange(env.name);
            }
        }
    }
}
