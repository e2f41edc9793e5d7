/**
 * Rollback, pure: which earlier release an environment goes back to, and what the rollback leaves newer
 * downstream. From the records alone (newest first); unit-tested in test/unit/engine/rollback.spec.ts.
 */
import { InvalidInputError } from "../../model/errors";
import type { PlannedEnvironment, ReleasePlan, ReleaseRecord } from "../record/releaseRecord";

/** What to roll back to: a release by id, the newest release of a version, or (neither) the one before. */
export interface RollbackTo {
    readonly release?: string;
    readonly version?: string;
}

/** The release reached the environment: the environment Succeeded in it (its values were written there). */
export function reached(r: ReleaseRecord, environment: string): boolean {
    return r.environments.some((e) => e.name === environment && e.status === "Succeeded");
}

const withCommit = (r: ReleaseRecord, environment: string) =>
    r.environments.some(
        (e) =>
            e.name === environment &&
            e.status === "Succeeded" &&
            e.applications.some((a) => a.commitSha !== undefined),
    );

const label = (r: ReleaseRecord) => `${r.id} (${r.version ?? r.sourceCommit.slice(0, 12)})`;

/**
 * The release whose candidate the environment gets back, and the one whose candidate it has now. Default: the
 * newest release that Succeeded there with a commit is the current one; the target is the newest older one
 * that Succeeded there with another source commit. `records` newest first. Throws InvalidInputError (nothing
 * written) when there is no such release.
 */
export function rollbackTarget(
    records: readonly ReleaseRecord[],
    product: string,
    environment: string,
    to: RollbackTo = {},
): { restored: ReleaseRecord; current?: ReleaseRecord } {
    const current = records.find((r) => withCommit(r, environment));
    const entity = { entity: `Environment "${environment}"` };
    if (to.release) {
        const r = records.find((x) => x.id === to.release);
        if (!r) {
            throw new InvalidInputError(
                `no release "${to.release}" of product "${product}" (see 'promote releases --product ${product}')`,
                entity,
            );
        }
        if (!reached(r, environment)) {
            const st = r.environments.find((e) => e.name === environment)?.status;
            throw new InvalidInputError(
                `release ${label(r)} never reached "${environment}" (${st ? `it is ${st} there` : "not in its flow"}): roll back to a release that Succeeded in "${environment}" (nothing was written)`,
                entity,
            );
        }
        return { restored: r, ...(current ? { current } : {}) };
    }
    if (to.version) {
        const r = records.find((x) => x.version === to.version && reached(x, environment));
        if (!r) {
            const any = records.some((x) => x.version === to.version);
            throw new InvalidInputError(
                any
                    ? `version ${to.version} never reached "${environment}": roll back to a version that Succeeded there (nothing was written)`
                    : `no release of product "${product}" has version ${to.version} (nothing was written)`,
                entity,
            );
        }
        return { restored: r, ...(current ? { current } : {}) };
    }
    if (!current) {
        throw new InvalidInputError(
            `no release of product "${product}" has reached "${environment}" yet: nothing to roll back`,
            entity,
        );
    }
    const older = records.slice(records.indexOf(current) + 1);
    const r = older.find((x) => reached(x, environment) && x.sourceCommit !== current.sourceCommit);
    if (!r) {
        throw new InvalidInputError(
            `"${environment}" has had only ${label(current)}: no earlier release to roll back to (nothing was written)`,
            entity,
        );
    }
    return { restored: r, current };
}

/**
 * The environments of a plan after `environment`, directly or through others, in plan order (those it leaves
 * untargeted included: a rollback's or manual promotion's plan carries the flow's environments after it there).
 */
export function downstreamOf(plan: ReleasePlan, environment: string): PlannedEnvironment[] {
    const all = [...plan.environments, ...(plan.untargeted ?? [])];
    const downstream = new Set<string>();
    for (let changed = true; changed;) {
        changed = false;
        for (const e of all) {
            if (!downstream.has(e.name) && e.dependsOn.some((d) => d === environment || downstream.has(d))) {
                downstream.add(e.name);
                changed = true;
            }
        }
    }
    return all.filter((e, i) => downstream.has(e.name) && all.findIndex((x) => x.name === e.name) === i);
}

/**
 * The environments after `environment` (in the flow of the release that put its current candidate there, and
 * transitively) whose current release is newer than the one restored: shown as warnings, never refused.
 */
export function newerDownstream(
    records: readonly ReleaseRecord[],
    environment: string,
    restored: ReleaseRecord,
    current: ReleaseRecord | undefined,
): string[] {
    const downstream = downstreamOf((current ?? restored).plan, environment).map((e) => e.name);
    const warnings: string[] = [];
    for (const d of downstream.sort()) {
        const there = records.find((r) => reached(r, d));
        if (there && there.sourceCommit !== restored.sourceCommit && there.createdAt > restored.createdAt) {
            warnings.push(
                `"${d}" (after "${environment}") has ${there.version ?? there.sourceCommit.slice(0, 12)} from release ${there.id}, newer than the ${restored.version ?? restored.sourceCommit.slice(0, 12)} rolled back to`,
            );
        }
    }
    return warnings;
}
