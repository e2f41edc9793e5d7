import type { ReleaseRecord } from "../engine/record/releaseRecord";
import { EnvironmentError, InvalidInputError, messageOf } from "../model/errors";

/**
 * The `promote serve` the CLI acts through instead of the state (PROMOTIONS_SERVER), with its API token
 * (PROMOTIONS_TOKEN, from `promote token create`): the server checks the token and the permission rules, and
 * records the token's user as the one who acted.
 */
export interface RemoteServer {
    readonly url: string;
    readonly token?: string;
}

/** POSTs `body` to `/api/v1<path>` on the server; its error answers become the CLI's errors (exit 2 or 3). */
export function postToServer<T>(
    server: RemoteServer,
    path: string,
    body: unknown,
    fetchFn: typeof fetch = fetch,
): Promise<T> {
    return callServer<T>(server, "POST", path, body, fetchFn);
}

/** GETs `/api/v1<path>` from the server, as {@link postToServer}. */
export function getFromServer<T>(
    server: RemoteServer,
    path: string,
    fetchFn: typeof fetch = fetch,
): Promise<T> {
    return callServer<T>(server, "GET", path, undefined, fetchFn);
}

async function callServer<T>(
    server: RemoteServer,
    method: "GET" | "POST",
    path: string,
    body: unknown,
    fetchFn: typeof fetch,
): Promise<T> {
    const url = `${server.url.replace(/\/+$/, "")}/api/v1${path}`;
    let res: Response;
    try {
        res = await fetchFn(url, {
            method,
            headers: {
                ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
                ...(server.token ? { Authorization: `Bearer ${server.token}` } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
    } catch (e) {
        throw new EnvironmentError(
            `the server ${server.url} (PROMOTIONS_SERVER) cannot be reached: ${messageOf(e)}; is 'promote serve' running there?`,
        );
    }
    const answer = (await res.json().catch(() => undefined)) as
        { error?: { code?: string; message?: string; entity?: string } } | undefined;
    if (!res.ok) {
        const message = `${server.url} answered ${res.status}${answer?.error?.message ? `: ${answer.error.message}` : ""}`;
        if (res.status >= 500) {
            throw new EnvironmentError(message);
        }
        throw new InvalidInputError(
            res.status === 401
                ? `${message} (set PROMOTIONS_TOKEN to a token from 'promote token create')`
                : message,
            answer?.error?.entity ? { entity: answer.error.entity } : {},
        );
    }
    return answer as T;
}

/** A decision on a release, through the server: the record as the server answers it. */
export function decideThroughServer(
    server: RemoteServer,
    verb: "approve" | "reject",
    id: string,
    body: { readonly environment: string; readonly comment?: string },
): Promise<ReleaseRecord> {
    return postToServer<ReleaseRecord>(server, `/releases/${encodeURIComponent(id)}/${verb}`, body);
}

/** A manual promotion, through the server: `POST /releases` (an action, pre- or post-action the policy does not set needs `override-policy` there). */
export interface RemotePromotion {
    readonly product: string;
    readonly from: string;
    readonly to: string;
    readonly action?: string;
    readonly preAction?: string;
    readonly postAction?: string;
    readonly sourceCommit?: string;
    readonly message?: string;
}

/**
 * Starts a promotion through the server and follows it (GET /releases/{id} every `pollMs`) until it is no longer
 * Queued or Running: the server runs it; this only watches. With `noWait`, the record as first answered.
 */
export async function promoteThroughServer(
    server: RemoteServer,
    body: RemotePromotion,
    o: { readonly noWait?: boolean; readonly pollMs?: number } = {},
): Promise<ReleaseRecord> {
    let record = await postToServer<ReleaseRecord>(server, "/releases", body);
    while (!o.noWait && (record.status === "Queued" || record.status === "Running")) {
        await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
        record = await getFromServer<ReleaseRecord>(server, `/releases/${encodeURIComponent(record.id)}`);
    }
    return record;
}
