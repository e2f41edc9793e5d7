/**
 * Promotion windows and soak time, pure: when an environment of a product may be promoted to (PromotionWindow)
 * and how long its dependencies must have held the release's version first (soakTime). Unit-tested in
 * test/unit/engine/windows.spec.ts; the waiting itself is in engine/release/waits.ts.
 */
import { Cron } from "croner";
import type { PromotionWindowDefinition } from "../../components/promotionWindow";
import { parseDuration } from "../../model/duration";

export type WindowSpec = PromotionWindowDefinition;

export interface WindowProduct {
    readonly name: string;
    readonly tags?: readonly string[];
}
export interface WindowEnvironment {
    readonly name: string;
    readonly kind?: "production" | "non-production";
    readonly tags?: readonly string[];
}

const anyOf = (wanted: readonly string[] | undefined, have: readonly string[]) =>
    wanted === undefined ||
    wanted.length === 0 ||
    wanted.includes("*") ||
    wanted.some((w) => have.includes(w));

/** Does the window cover this environment of this product? Every given criterion must match. */
export function windowApplies(w: WindowSpec, product: WindowProduct, env: WindowEnvironment): boolean {
    return (
        anyOf(w.products?.names, [product.name]) &&
        anyOf(w.products?.tags, product.tags ?? []) &&
        anyOf(w.environments?.names, [env.name]) &&
        anyOf(w.environments?.kinds, [env.kind ?? "non-production"]) &&
        anyOf(w.environments?.tags, env.tags ?? [])
    );
}

/** The windows that cover an environment of a product. */
export function windowsFor(
    windows: readonly WindowSpec[],
    product: WindowProduct,
    env: WindowEnvironment,
): WindowSpec[] {
    return windows.filter((w) => windowApplies(w, product, env));
}

/** Whether a window is open at `at`, until when (open) or from when next (closed; absent: never again). */
export function windowState(w: WindowSpec, at: Date): { open: boolean; until?: Date; next?: Date } {
    if (w.schedule === undefined) {
        const start = new Date(w.start!);
        const end = new Date(w.end!);
        if (at < start) {
            return { open: false, next: start };
        }
        return at < end ? { open: true, until: end } : { open: false };
    }
    const duration = parseDuration(w.duration ?? 0) ?? 0;
    const cron = new Cron(w.schedule, { timezone: w.timeZone, paused: true });
    // The first opening after (at - duration) is the one that may cover `at`; openings that start before the
    // current one closes extend it.
    let first = cron.nextRun(new Date(at.getTime() - duration));
    if (!first) {
        return { open: false };
    }
    if (first > at) {
        return { open: false, next: first };
    }
    let until = new Date(first.getTime() + duration);
    for (let i = 0; i < 1000; i++) {
        const again = cron.nextRun(first);
        if (!again || again > until) {
            break;
        }
        first = again;
        until = new Date(again.getTime() + duration);
    }
    return until > at ? { open: true, until } : { open: false, next: cron.nextRun(at) ?? undefined };
}

/** Whether a promotion may enter now, and if not, which window closes it. */
export type WindowCheck =
    | { readonly open: true }
    | {
          readonly open: false;
          /** The window that keeps it closed (a deny window open now, or the allow window(s) all closed). */
          readonly window: string;
          readonly onClosed: "wait" | "fail";
      };

/**
 * May a promotion enter this environment of this product at `at`? Closed when a deny window covering it is
 * open, or when allow windows cover it and none is open. `onClosed` is `fail` when any closing window says so.
 */
export function isOpen(
    windows: readonly WindowSpec[],
    product: WindowProduct,
    env: WindowEnvironment,
    at: Date,
): WindowCheck {
    return checkWindows(windowsFor(windows, product, env), at);
}

/** {@link isOpen} over windows already known to cover the environment (a planned environment's). */
export function checkWindows(mine: readonly WindowSpec[], at: Date): WindowCheck {
    const denying = mine.filter((w) => w.mode === "deny" && windowState(w, at).open);
    const allows = mine.filter((w) => w.mode === "allow");
    const closing =
        denying.length > 0
            ? denying
            : allows.length > 0 && !allows.some((w) => windowState(w, at).open)
              ? allows
              : [];
    if (closing.length === 0) {
        return { open: true };
    }
    return {
        open: false,
        window: closing.map((w) => w.name).join(", "),
        onClosed: closing.some((w) => w.onClosed === "fail") ? "fail" : "wait",
    };
}

/**
 * The first time at or after `at` a promotion may enter (undefined: never again, e.g. only allow windows that
 * have ended). Steps from one window edge to the next, at most `limit` steps.
 */
export function nextOpen(
    windows: readonly WindowSpec[],
    product: WindowProduct,
    env: WindowEnvironment,
    at: Date,
    limit = 500,
): Date | undefined {
    return nextOpenOf(windowsFor(windows, product, env), at, limit);
}

/** {@link nextOpen} over windows already known to cover the environment. */
export function nextOpenOf(mine: readonly WindowSpec[], at: Date, limit = 500): Date | undefined {
    let t = at;
    for (let i = 0; i < limit; i++) {
        if (checkWindows(mine, t).open) {
            return t;
        }
        const states = mine.map((w) => ({ w, s: windowState(w, t) }));
        const denyEnds = states
            .filter(({ w, s }) => w.mode === "deny" && s.open && s.until)
            .map(({ s }) => s.until!.getTime());
        let next: number | undefined;
        if (denyEnds.length > 0) {
            next = Math.max(...denyEnds);
        } else {
            const starts = states
                .filter(({ w, s }) => w.mode === "allow" && !s.open && s.next)
                .map(({ s }) => s.next!.getTime());
            next = starts.length > 0 ? Math.min(...starts) : undefined;
        }
        if (next === undefined || next <= t.getTime()) {
            return undefined;
        }
        t = new Date(next);
    }
    return undefined;
}

/** A dependency as the soak reads it: its status in this release and when its action (and checks) finished. */
export interface SoakDependency {
    readonly name: string;
    readonly status: string;
    readonly finishedAt?: string;
}

/**
 * Until when an environment must still soak: each dependency that this release promoted (Succeeded, with a
 * finish time) must have held the version for `soakMs` since it finished. Undefined when nothing is left.
 * Dependencies this release did not change (Skipped) or outside it (the trigger environment) do not soak.
 */
export function soakUntil(
    soakMs: number | undefined,
    dependencies: readonly SoakDependency[],
    at: Date,
): { until: Date; remainingMs: number; waitingOn: string[] } | undefined {
    if (!soakMs || soakMs <= 0) {
        return undefined;
    }
    const pending = dependencies
        .filter((d) => d.status === "Succeeded" && d.finishedAt !== undefined)
        .map((d) => ({ name: d.name, until: Date.parse(d.finishedAt!) + soakMs }))
        .filter((d) => d.until > at.getTime());
    if (pending.length === 0) {
        return undefined;
    }
    const until = Math.max(...pending.map((d) => d.until));
    return {
        until: new Date(until),
        remainingMs: until - at.getTime(),
        waitingOn: pending.map((d) => d.name).sort(),
    };
}
