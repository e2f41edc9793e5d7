// Calls to the JSON API. Every URL is under the path the console itself was served from, so the console works
// behind a reverse proxy or an Ingress that serves it under a prefix (`promote serve --base-path`): this module is
// served at <base>/console/lib/api.js.

/** The path prefix the server is reached under ("" at the root), e.g. "/promotions". */
export const base = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const api = `${base}/api/v1`;

/** @type {string | undefined} */
let csrfToken;

/** An API error: the server's message, and the HTTP status. */
export class ApiError extends Error {
    /**
     * @param {string} message
     * @param {number} status
     */
    constructor(message, status) {
        super(message);
        this.status = status;
    }
}

/**
 * Calls the API; answers the parsed body, or throws an ApiError with the server's message.
 * @param {string} method
 * @param {string} path a URL under {@link api}
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (method !== "GET") {
        csrfToken ??= /** @type {import("../types").Session} */ (await call("GET", `${api}/session`))
            .csrfToken;
        headers["X-CSRF-Token"] = csrfToken;
    }
    if (body !== undefined) {
        headers["Content-Type"] = "application/json";
    }
    const res = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const data = await res.json().catch(() => undefined);
    if (!res.ok) {
        throw new ApiError(data?.error?.message ?? `${method} ${path}: HTTP ${res.status}`, res.status);
    }
    return data;
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
export const get = (path) => call("GET", path);
