/**
 * Waiting before an environment starts: its promotion windows (PromotionWindow) and its soak time. The wait
 * runs in the environment's pre-promotion resource hook (engine/promoteStack.ts), with the release's abort
 * signal and an injectable clock; while it waits the environment (and the release) read `Suspended` with
 * `waitKind` and `resumesAt`.
 */
import type { Catalog } from "../components/catalog";
import { EnvironmentError, InvalidInputError } from "../model/errors";
import type { WaitKind } from "../model/status";
import type { PlannedEnvironment, ReleaseRecord } from "./releaseRecord";
import type { SoakDependency } from "./windows";
import { checkWindows, nextOpenOf, soakUntil, windowsFor } from "./windows";

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
    readonly waitKind: Extract<WaitKind, "window" | "soak">;
    readonly resumesAt: string;
}

export interface EnvironmentWaitsOptions {
    readonly product: string;
    readonly clock: Clock;
    readonly signal?: AbortSignal;
    /** This release's dependencies of an environment, as recorded now (status, finishedAt). */
    readonly dependencies: (env: PlannedEnvironment) => SoakDependency[];
    /** An environment started or stopped waiting. */
    readonly onChange: (environment: string) => void;
}

/** The window and soak waits of one attempt: what each environment waits for now (see Observations.waits). */
export class EnvironmentWaits {
    readonly waiting = new Map<string, WaitState>();

    constructor(private readonly opts: EnvironmentWaitsOptions) {}

    /** Nothing to wait for in this environment at all. */
    static none(env: PlannedEnvironment): boolean {
        return (env.windows ?? []).length === 0 && !env.soakTimeMs;
    }

    /**
     * Returns once the environment may start: its windows open and its dependencies soaked. Throws when a
     * closed window says `onClosed: fail` (or never opens again), or when the release is stopped meanwhile.
     */
    async before(env: PlannedEnvironment): Promise<void> {
        const { clock, signal } = this.opts;
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
                    return;
                }
                const before = this.waiting.get(env.name);
                if (before?.waitKind !== wait.waitKind || before.resumesAt !== wait.resumesAt) {
                    this.waiting.set(env.name, wait);
                    this.opts.onChange(env.name);
                }
                const ms = Math.min(Date.parse(wait.resumesAt) - now.getTime(), maxSleepMs);
                try {
                    await clock.sleep(Math.max(ms, 0), signal);
                } catch {
                    throw new EnvironmentError(
                        `stopped while waiting (${wait.waitKind}) for environment "${env.name}" until ${wait.resumesAt}`,
                    );
                }
            }
        } finally {
            if (this.waiting.delete(env.name)) {
                this.opts.onChange(env.name);
            }
        }
    }
}
