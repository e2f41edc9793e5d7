import type { ReleaseRecord } from "./releaseRecord";

/** A newer release that succeeded in environments an older one would still write. */
export interface Supersession {
    readonly release: string;
    readonly version?: string;
    readonly environments: readonly string[];
}

/**
 * The releases of the same product created after `record` that succeeded in an environment `record` has not
 * finished: retrying `record` would write its older candidate over theirs (roll them back).
 */
export function supersededBy(record: ReleaseRecord, all: readonly ReleaseRecord[]): Supersession[] {
    const unfinished = new Set(
        record.environments
            .filter((e) => e.status !== "Succeeded" && e.status !== "Skipped")
            .map((e) => e.name),
    );
    return all
        .filter((r) => r.id !== record.id && r.product === record.product && r.createdAt > record.createdAt)
        .map((r) => ({
            release: r.id,
            ...(r.version !== undefined ? { version: r.version } : {}),
            environments: r.environments
                .filter((e) => e.status === "Succeeded" && unfinished.has(e.name))
                .map((e) => e.name),
        }))
        .filter((s) => s.environments.length > 0);
}
