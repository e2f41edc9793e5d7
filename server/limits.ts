import type * as http from "node:http";
import { InvalidInputError } from "../model/errors";

/**
 * What `promote serve` allows one connection and one request, so that slow, stalled or oversized requests
 * cannot hold its sockets and memory (README, "Server and API").
 */
export interface ServerLimits {
    /** The largest request body in bytes: a larger declared length is answered 413 at once, a chunked body at the limit. */
    readonly maxBodyBytes: number;
    /**
     * How long a request may take to arrive once its headers have (ms): a body not complete by then is answered
     * 408 and its connection closed. Headers have 20 s of their own (less if this is shorter). Answers may take
     * longer: the event stream's request is complete as soon as its headers are, so it stays open.
     */
    readonly requestTimeoutMs: number;
    /**
     * How long a connection may stay silent (ms): nothing read and nothing written, then it is closed. An event
     * stream writes a comment every 15 s, so only a stream whose client stopped reading goes silent.
     */
    readonly idleTimeoutMs: number;
    /** The most connections open at once (event streams included); more are closed as they arrive. */
    readonly maxConnections: number;
}

export const defaultServerLimits: ServerLimits = {
    maxBodyBytes: 64 * 1024,
    requestTimeoutMs: 30_000,
    idleTimeoutMs: 120_000,
    maxConnections: 4096,
};

/**
 * The event stream's keep-alive period is 15 s (server/api.ts): `serve` takes an idle timeout of twice that at
 * least (a shorter one, for tests, closes event streams that have nothing to say).
 */
export const minIdleTimeoutMs = 30_000;
const headersTimeoutMs = 20_000;

/** `limits` over the defaults, checked: each problem names its field and what it takes. */
export function serverLimits(limits: Partial<ServerLimits> = {}): ServerLimits {
    const l = { ...defaultServerLimits, ...limits };
    const problems: string[] = [];
    const positive = (field: keyof ServerLimits, what: string) => {
        if (!Number.isSafeInteger(l[field]) || l[field] <= 0) {
            problems.push(`${field}: ${l[field]} is not ${what}`);
        }
    };
    positive("maxBodyBytes", "a positive number of bytes");
    positive("requestTimeoutMs", "a positive number of milliseconds");
    positive("maxConnections", "a positive number of connections");
    positive("idleTimeoutMs", "a positive number of milliseconds");
    if (problems.length > 0) {
        throw new InvalidInputError(`server limits: ${problems.join("; ")}`, { path: "limits" });
    }
    return l;
}

/**
 * Sets Node's own timers and cap on `server`. Node answers 408 to headers that do not arrive in time and
 * closes connections idle between requests; the body deadline of {@link readBody} comes first, so Node's
 * request timeout (headers plus body) is only its backstop. Node checks these timers every
 * `connectionsCheckingInterval`, which the server must be created with ({@link serverOptions}).
 */
export function applyLimits(server: http.Server, limits: ServerLimits, log?: (line: string) => void): void {
    const headers = Math.min(headersTimeoutMs, limits.requestTimeoutMs);
    server.headersTimeout = headers;
    server.requestTimeout = headers + limits.requestTimeoutMs;
    server.keepAliveTimeout = Math.min(5_000, limits.idleTimeoutMs);
    server.timeout = limits.idleTimeoutMs;
    server.maxConnections = limits.maxConnections;
    let dropped = 0;
    let logged = 0;
    server.on("drop", () => {
        dropped += 1;
        // One line a minute at most: a flood of refused connections must not flood the log too.
        if (Date.now() - logged >= 60_000) {
            logged = Date.now();
            log?.(
                `refused ${dropped} connection(s): ${limits.maxConnections} are open, the limit ` +
                    "(raise it with --max-connections)",
            );
            dropped = 0;
        }
    });
}

/** Options for `http.createServer`: how often Node checks its header and request timers. */
export function serverOptions(limits: ServerLimits): http.ServerOptions {
    return {
        connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(limits.requestTimeoutMs / 4))),
    };
}

/**
 * Answers a request without reading (more of) its body: reading stops, the answer says the connection
 * closes, and Node closes it once the answer is out, so what was not read is never buffered here.
 */
export function answerUnread(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: { readonly error: { readonly code: string; readonly message: string } },
): void {
    req.pause();
    req.removeAllListeners("data");
    // The body is handled: Node must not read and discard the rest once the answer is out.
    (req as unknown as { _dumped: boolean })._dumped = true;
    res.writeHead(status, { "Content-Type": "application/json", Connection: "close" });
    res.end(JSON.stringify(body));
}

/** Whether a request carries a body at all (a declared length above 0, or chunked). */
function hasBody(req: http.IncomingMessage): boolean {
    return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? "0") > 0;
}

/**
 * Reads the body of an API request before the API sees it, counting bytes: a declared length over
 * `maxBodyBytes` is answered 413 before any byte is read, a chunked body 413 as soon as it passes the limit,
 * and a body that has not arrived `requestTimeoutMs` after its headers is answered 408 (each by
 * {@link answerUnread}). Otherwise `next` runs with the body attached as `rawBody`, which @hono/node-server reads instead of the stream.
 */
export function readBody(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    limits: Pick<ServerLimits, "maxBodyBytes" | "requestTimeoutMs">,
    next: () => void,
): void {
    if (!hasBody(req)) {
        next();
        return;
    }
    let done = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (status: number, message: string): void => {
        if (done) {
            return;
        }
        done = true;
        clearTimeout(timer);
        chunks.length = 0;
        answerUnread(req, res, status, { error: { code: "invalid_input", message } });
    };
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limits.maxBodyBytes) {
        refuse(413, `request body of ${declared} bytes refused: at most ${limits.maxBodyBytes}`);
        return;
    }
    const timer = setTimeout(
        () =>
            refuse(
                408,
                `request body not complete within ${limits.requestTimeoutMs / 1000} s of its headers ` +
                    `(${size} bytes arrived): send it whole, promptly`,
            ),
        limits.requestTimeoutMs,
    );
    const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limits.maxBodyBytes) {
            refuse(413, `request body refused at ${size} bytes: at most ${limits.maxBodyBytes}`);
            return;
        }
        chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => {
        if (done) {
            return;
        }
        done = true;
        clearTimeout(timer);
        (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks);
        next();
    });
    const stop = () => {
        done = true;
        clearTimeout(timer);
    };
    req.on("error", stop);
    req.on("close", () => {
        if (!req.complete) {
            stop();
        }
    });
}
