import { InvalidInputError } from "../model/errors";
import { releaseStatuses } from "../model/status";
import type { ReleaseStatus } from "../model/status";

/** The filters and page of `GET /api/v1/releases`. */
export interface ReleaseQuery {
    readonly product?: string;
    readonly status?: ReleaseStatus;
    readonly flow?: string;
    readonly limit: number;
    /** Only releases older than this id (the `next` of the previous page). */
    readonly before?: string;
}

export const defaultLimit = 50;
export const maxLimit = 500;

/** Reads the query string's values (absent or empty: unset); a bad value is an InvalidInputError naming it. */
export function parseReleaseQuery(q: Readonly<Record<string, string | undefined>>): ReleaseQuery {
    const value = (name: string) => (q[name] === undefined || q[name] === "" ? undefined : q[name]);
    const status = value("status");
    if (status !== undefined && !(releaseStatuses as readonly string[]).includes(status)) {
        throw new InvalidInputError(`unknown status "${status}": one of ${releaseStatuses.join(", ")}`, {
            path: "status",
        });
    }
    const rawLimit = value("limit");
    const limit = rawLimit === undefined ? defaultLimit : Number(rawLimit);
    if (!/^\d+$/.test(rawLimit ?? "1") || limit < 1 || limit > maxLimit) {
        throw new InvalidInputError(`limit "${rawLimit}": a whole number from 1 to ${maxLimit}`, {
            path: "limit",
        });
    }
    const before = value("before");
    const product = value("product");
    const flow = value("flow");
    return {
        ...(product !== undefined ? { product } : {}),
        ...(status !== undefined ? { status: status as ReleaseStatus } : {}),
        ...(flow !== undefined ? { flow } : {}),
        limit,
        ...(before !== undefined ? { before } : {}),
    };
}

/** What paging needs of a release. */
export interface Pageable {
    readonly id: string;
    readonly product: string;
    readonly flow: string;
    readonly status: ReleaseStatus;
}

export interface Page<T> {
    readonly items: readonly T[];
    /** The `before` of the next page; absent on the last one. */
    readonly next?: string;
}

/**
 * One page of releases, newest first. Ids sort by creation time (`r` + UTC time + suffix), so `before` keeps
 * working when newer releases arrive between pages, and when `before` itself is not in the list.
 */
export function pageReleases<T extends Pageable>(all: readonly T[], q: ReleaseQuery): Page<T> {
    const matching = all
        .filter(
            (r) =>
                (q.product === undefined || r.product === q.product) &&
                (q.status === undefined || r.status === q.status) &&
                (q.flow === undefined || r.flow === q.flow) &&
                (q.before === undefined || r.id < q.before),
        )
        .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const items = matching.slice(0, q.limit);
    return matching.length > q.limit ? { items, next: items[items.length - 1].id } : { items };
}
