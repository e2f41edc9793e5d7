/**
 * Holds (pins): an environment of a product that flows and automatic triggers leave alone until the hold is
 * released. Stored in the records stack (see ReleaseStore.putHold); the rules here are pure and unit-tested in
 * test/unit/engine/holds.spec.ts.
 */
import { InvalidInputError } from "../../model/errors";
import type { EnvironmentRecord, ReleaseRecord } from "../record/releaseRecord";

/** Who held an environment, when and why. */
export interface HoldInfo {
    readonly by: string;
    /** ISO time. */
    readonly at: string;
    readonly reason?: string;
}

/** One hold as stored: an environment of a product, active until released. */
export interface Hold extends HoldInfo {
    readonly product: string;
    readonly environment: string;
    /** False once released (the resource is kept, with who released it). */
    readonly active: boolean;
    readonly releasedBy?: string;
    readonly releasedAt?: string;
}

/** Why a planned environment does not run: held itself, or after (transitively) a held environment. */
export type HoldEffect =
    | { readonly reason: "held"; readonly hold: HoldInfo }
    | { readonly reason: "upstream held"; readonly heldBy: readonly string[] };

/**
 * Which planned environments a set of holds stops: each held one, and every environment that depends on one
 * of them, directly or through others. Dependencies outside the plan (the trigger environment) never stop
 * anything: a hold stops writes to an environment, not reads from it. `environments` in DAG order.
 */
export function holdEffects(
    environments: readonly { readonly name: string; readonly dependsOn: readonly string[] }[],
    holds: readonly Pick<Hold, "environment" | "by" | "at" | "reason" | "active">[],
): Map<string, HoldEffect> {
    const active = new Map(holds.filter((h) => h.active).map((h) => [h.environment, h]));
    const effects = new Map<string, HoldEffect>();
    const names = new Set(environments.map((e) => e.name));
    // Roots of the held set each environment descends from (fixed point: the order need not be topological).
    const roots = new Map<string, Set<string>>();
    for (const e of environments) {
        if (active.has(e.name)) {
            roots.set(e.name, new Set([e.name]));
        }
    }
    for (let changed = true; changed;) {
        changed = false;
        for (const e of environments) {
            if (active.has(e.name)) {
                continue;
            }
            const from = new Set(roots.get(e.name) ?? []);
            for (const d of e.dependsOn.filter((x) => names.has(x))) {
                for (const r of roots.get(d) ?? []) {
                    from.add(r);
                }
            }
            if (from.size > (roots.get(e.name)?.size ?? 0)) {
                roots.set(e.name, from);
                changed = true;
            }
        }
    }
    for (const e of environments) {
        const h = active.get(e.name);
        if (h) {
            effects.set(e.name, {
                reason: "held",
                hold: { by: h.by, at: h.at, ...(h.reason ? { reason: h.reason } : {}) },
            });
        } else if (roots.has(e.name)) {
            effects.set(e.name, { reason: "upstream held", heldBy: [...roots.get(e.name)!].sort() });
        }
    }
    return effects;
}

/** A hold for messages: `held by alice since 2026-…: reason`. */
export function describeHold(h: HoldInfo): string {
    return `held by ${h.by} since ${h.at}${h.reason ? `: ${h.reason}` : ""}`;
}

/**
 * A new release's record with the holds applied: held environments (and their dependents) `Skipped` with
 * their reason, and the held ones named in `heldEnvironments`. With `override`, nothing is skipped: the
 * overridden holds are recorded in `overriddenHolds`.
 */
export function applyHolds(record: ReleaseRecord, holds: readonly Hold[], override = false): ReleaseRecord {
    const effects = holdEffects(record.plan.environments, holds);
    if (effects.size === 0) {
        return record;
    }
    if (override) {
        const overridden = [...effects.entries()]
            .filter(([, e]) => e.reason === "held")
            .map(([environment, e]) => ({ environment, ...(e as { hold: HoldInfo }).hold }));
        return { ...record, overriddenHolds: overridden };
    }
    const environments: EnvironmentRecord[] = record.environments.map((e) => {
        const effect = effects.get(e.name);
        if (!effect) {
            return e;
        }
        return {
            ...e,
            status: "Skipped",
            reason: effect.reason,
            ...(effect.reason === "held" ? { hold: effect.hold } : {}),
            applications: e.applications.map((a) => ({ ...a, status: "Skipped" })),
        };
    });
    return {
        ...record,
        environments,
        heldEnvironments: [...effects.entries()].filter(([, e]) => e.reason === "held").map(([n]) => n),
    };
}

/** Environments a release leaves alone because of holds (their records carry the reason). */
export function heldBack(record: Pick<ReleaseRecord, "environments">): Set<string> {
    return new Set(record.environments.filter((e) => e.reason !== undefined).map((e) => e.name));
}

/**
 * A manual promotion to a held environment is refused, naming the hold, unless overridden (`--override-hold`).
 */
export function refuseHeld(product: string, to: string, holds: readonly Hold[]): void {
    const h = holds.find((x) => x.active && x.environment === to);
    if (h) {
        throw new InvalidInputError(
            `environment "${to}" of product "${product}" is ${describeHold(h)}: release the hold ('promote release-hold --product ${product} --environment ${to}'), or promote with --override-hold`,
            { entity: `Hold "${product}/${to}"` },
        );
    }
}
