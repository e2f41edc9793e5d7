import { InvalidInputError } from "../model/errors";

/**
 * The path prefix the server is reached under (`promote serve --base-path /promotions`, PROMOTIONS_BASE_PATH, the
 * chart's `basePath`): a reverse proxy or an Ingress forwards `/promotions/...` with the prefix kept, and the
 * server answers there: the console, its files, the API, the event stream and webhooks. Routing strips the prefix
 * first (server/server.ts), so the routes themselves never change; the console's page links to its files under the
 * prefix and its scripts call the API under it.
 */

/** One path segment of a prefix: the URL's unreserved characters only, so it needs no encoding anywhere. */
const segment = /^[A-Za-z0-9._~-]+$/;

/**
 * The prefix as the server uses it: "" for none (empty or "/"), else "/a" or "/a/b" (leading slash, no trailing
 * one). Refuses anything a proxy could not forward unchanged: a query, `..`, empty segments, encoded characters.
 */
export function normalizeBasePath(raw: string | undefined, where = "--base-path"): string {
    const value = (raw ?? "").trim();
    if (value === "" || value === "/") {
        return "";
    }
    const segments = value.replace(/^\//, "").replace(/\/$/, "").split("/");
    if (!value.startsWith("/") || segments.some((s) => !segment.test(s) || s === "." || s === "..")) {
        throw new InvalidInputError(
            `${where} "${value}": a URL path such as /promotions or /tools/promotions ` +
                "(letters, digits and - . _ ~ between slashes; no query, no .. segments)",
            { path: where },
        );
    }
    return `/${segments.join("/")}`;
}

/**
 * A request target without the prefix (`/promotions/api/v1/x?y` → `/api/v1/x?y`; `/promotions` → `/`), or
 * undefined when the target is not under the prefix (`/promotionsx`, `/other`).
 */
export function stripBasePath(url: string, basePath: string): string | undefined {
    if (!basePath) {
        return url;
    }
    if (url === basePath || url.startsWith(`${basePath}?`) || url.startsWith(`${basePath}#`)) {
        return `/${url.slice(basePath.length)}`;
    }
    return url.startsWith(`${basePath}/`) ? url.slice(basePath.length) : undefined;
}
