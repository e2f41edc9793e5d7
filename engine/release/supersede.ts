import type { ReleaseRecord } from "../record/releaseRecord";

/** A newer release that succeeded in environments an older one would still write. */
export interface Supersession {
    readonly release: string;
    readonly version?: string;
    readonly environments: readonly string[];
}

/**
 * The releases of the same product created after `record` that succeeded in an environment `record` would
 * target again: retrying `record` would write its older candidate over theirs (roll them back). Environments
 * `record` already finished count too: a retry's update targets them, and their provider would find the newer
 * values and write the older ones back.
 */
export function supersededBy(record: ReleaseRecord, all: readonly ReleaseRecord[]): Supersession[] {
    const targeted = new Set(record.plan.environments.map((e) => e.name));
    return all
        .filter((r) => r.id !== record.id && r.product === record.product && r.createdAt > record.createdAt)
        .map((r) => ({
            release: r.id,
            ...(r.version !== undefined ? { version: r.version } : {}),
            environments: r.environments
                .filter((e) => e.status === "Succeeded" && targeted.has(e.name))
                .map((e) => e.name),
        }))
        .filter((s) => s.environments.length > 0);
}
