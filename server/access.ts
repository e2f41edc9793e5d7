import { randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/**
 * Who may call what (README, "Server and API", "Access"). There are no user accounts yet, so the rules keep
 * a browser on another site from using the API through the user's browser: a mutating request from another
 * origin is refused, and one carrying cookies needs the CSRF token of GET /api/v1/session. Clients that send an
 * `Authorization` header are scripts, not browsers carrying ambient credentials: they need no token.
 */

/** What the rules look at in a request (header names lower-case). */
export interface AccessRequest {
    readonly method: string;
    readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Why a request is refused (answered 403 `forbidden`), or undefined when it may go on. */
export function accessRefusal(req: AccessRequest, csrfToken: string): string | undefined {
    if (["GET", "HEAD", "OPTIONS"].includes(req.method.toUpperCase())) {
        return undefined;
    }
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (origin !== undefined && origin !== "null" && !sameOrigin(origin, host)) {
        return `cross-origin request refused: Origin ${origin} is not this server's (http://${host ?? "?"})`;
    }
    if (origin === "null") {
        return "cross-origin request refused: Origin null (a sandboxed or file page)";
    }
    if (req.headers.authorization !== undefined) {
        return undefined;
    }
    if (req.headers.cookie !== undefined && !tokenMatches(req.headers["x-csrf-token"], csrfToken)) {
        return "a request carrying cookies needs the X-CSRF-Token header with the token of GET /api/v1/session";
    }
    return undefined;
}

/** Is `origin` this server's own, as the browser reached it (the Host header)? */
export function sameOrigin(origin: string, host: string | undefined): boolean {
    if (host === undefined) {
        return false;
    }
    try {
        const o = new URL(origin);
        return (
            (o.protocol === "http:" || o.protocol === "https:") && o.host === new URL(`http://${host}`).host
        );
    } catch {
        return false;
    }
}

function tokenMatches(given: string | undefined, expected: string): boolean {
    if (given === undefined) {
        return false;
    }
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh CSRF token (one per server process). */
export function newCsrfToken(): string {
    return randomBytes(32).toString("base64url");
}

/** Is the host a loopback address or name (127.0.0.0/8, ::1, localhost)? */
export function isLoopback(host: string): boolean {
    const h = host.replace(/^\[|\]$/g, "").toLowerCase();
    if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") {
        return true;
    }
    return isIP(h) === 4 && h.startsWith("127.");
}

/**
 * The first segment of a request path that is not valid percent-encoding (`%ZZ`, a `%` cut short, bytes that
 * are not UTF-8), or undefined when every segment decodes. Such a path is bad input (400), never an
 * internal error.
 */
export function malformedSegment(path: string): string | undefined {
    for (const segment of path.split("/")) {
        try {
            decodeURIComponent(segment);
        } catch {
            return segment;
        }
    }
    return undefined;
}
