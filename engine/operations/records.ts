/** Reading releases as they are, and asking one to stop. */
import { finalReleaseStatuses } from "../../model/status";
import type { ReleasesQuery, TerminateOptions } from "./options";
import type { ReleaseRecord } from "../record/releaseRecord";
import { audited } from "../record/releaseRecord";
import type { EngineRuntime } from "./runtime";

/**
 * A product's releases, newest first (one whose process died shown as such: see `stale`): every one, or the
 * first `limit` older than the release `before` (by id, which sorts by creation time) and matching `where`; a
 * page reads only as many of the stored records as it needs.
 */
export async function releases(
    rt: EngineRuntime,
    product: string,
    q: ReleasesQuery,
): Promise<ReleaseRecord[]> {
    rt.product(product);
    const where = (r: ReleaseRecord) => (q.before === undefined || r.id < q.before) && (q.where?.(r) ?? true);
    const store = rt.store(product);
    const records = q.current
        ? (await store.live()).filter(where).slice(0, q.limit)
        : await store.page({ limit: q.limit ?? Number.POSITIVE_INFINITY, where });
    return rt.truthful(product, records);
}

/** One release by id, looked up across the catalog's products, as it is. */
export async function find(rt: EngineRuntime, id: string): Promise<ReleaseRecord> {
    const r = await rt.stored(id);
    return (await rt.truthful(r.product, [r]))[0];
}

/** Asks a release to stop: a Queued one ends at once; a running one ends Terminated when its process sees it. */
export async function terminate(rt: EngineRuntime, id: string, o: TerminateOptions): Promise<ReleaseRecord> {
    const record = await rt.stored(id);
    const asked =
        o.initiator && !finalReleaseStatuses.has(record.status)
            ? audited(record, "terminate", o.initiator)
            : record;
    return rt.queue(record.product).terminate(asked);
}
