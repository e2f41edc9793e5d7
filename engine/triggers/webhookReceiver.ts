import { createHmac, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import type { EngineMetrics, WebhookResult } from "../metrics";

/** Where GitHub delivers: `POST /webhooks/github`. */
export const webhookPath = "/webhooks/github";

export interface WebhookReceiverOptions {
    /** The webhook's secret, as in GitHub's settings: every delivery must be signed with it. */
    readonly secret: string;
    /** A verified push arrived (its delivery id). The receiver has answered 202 already. */
    readonly onPush: (delivery: string) => void;
    /** One line per refused delivery (its id and why; never its payload). */
    readonly log?: (line: string) => void;
    /** The largest body accepted (default 1 MiB, GitHub caps payloads at 25 MB but pushes are small). */
    readonly maxBodyBytes?: number;
    /** How long the body may take to arrive once the headers have (default 10 s). */
    readonly bodyTimeoutMs?: number;
    /** Where each delivery's outcome is counted (default: nowhere). */
    readonly metrics?: Pick<EngineMetrics, "webhookDelivery">;
}

/** How a webhook request was answered, by status (bounded: a metric label). */
const resultOfStatus: Readonly<Record<number, WebhookResult>> = {
    202: "accepted",
    200: "ping",
    204: "ignored",
    401: "bad_signature",
    413: "too_large",
    408: "too_slow",
    404: "not_found",
};

export const defaultMaxBodyBytes = 1024 * 1024;
export const defaultBodyTimeoutMs = 10_000;

const signatureFormat = /^sha256=([0-9a-f]{64})$/;

/** A delivery id fit for a log line (GitHub's are GUIDs); anything else is shown as `?`. */
function deliveryOf(req: http.IncomingMessage): string {
    const id = req.headers["x-github-delivery"];
    return typeof id === "string" && /^[\w.-]{1,100}$/.test(id) ? id : "?";
}

/**
 * Accepts GitHub webhooks at {@link webhookPath}. Cheap checks come before any byte of the body is read:
 * the method and path, the `X-Hub-Signature-256` header's presence and format, the declared length. The
 * body is then read up to `maxBodyBytes` (413 beyond, the connection closed without reading the rest) within
 * `bodyTimeoutMs` (408), and its HMAC compared in constant time (401). A verified `push` answers 202 and
 * calls `onPush`; `ping` answers 200; other events 204.
 */
export class GitHubWebhookReceiver {
    private server?: http.Server;
    private readonly maxBody: number;
    private readonly bodyTimeout: number;

    constructor(private readonly opts: WebhookReceiverOptions) {
        this.maxBody = opts.maxBodyBytes ?? defaultMaxBodyBytes;
        this.bodyTimeout = opts.bodyTimeoutMs ?? defaultBodyTimeoutMs;
    }

    /** The request handler (also usable on a server of your own). */
    readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
        const delivery = deliveryOf(req);
        let answered = false;
        const body: { timer?: NodeJS.Timeout } = {};
        const reply = (status: number, message: string, close = false): void => {
            if (answered) {
                return;
            }
            answered = true;
            clearTimeout(body.timer);
            const result = resultOfStatus[status];
            if (result) {
                this.opts.metrics?.webhookDelivery(result);
            }
            res.writeHead(status, {
                "Content-Type": "application/json",
                ...(close ? { Connection: "close" } : {}),
            });
            res.end(JSON.stringify({ message }));
        };
        /** Answers without reading (more of) the body: stop reading, and close once the answer is out. */
        const refuse = (status: number, message: string, why?: string): void => {
            if (why) {
                this.opts.log?.(`rejected webhook delivery ${delivery}: ${why}`);
            }
            req.pause();
            req.removeAllListeners("data");
            // Marks the body as handled, so Node does not read and discard the rest after the answer.
            (req as unknown as { _dumped: boolean })._dumped = true;
            reply(status, message, true);
            res.once("finish", () => req.socket.destroySoon());
        };

        if (req.method !== "POST" || new URL(req.url ?? "/", "http://x").pathname !== webhookPath) {
            return refuse(404, `POST ${webhookPath}`);
        }
        const signature = req.headers["x-hub-signature-256"];
        const match = typeof signature === "string" ? signatureFormat.exec(signature) : null;
        if (!match) {
            return refuse(401, "bad signature", "bad or missing X-Hub-Signature-256");
        }
        const declared = Number(req.headers["content-length"] ?? "0");
        if (declared > this.maxBody) {
            return refuse(413, "payload too large", `body of ${declared} bytes, over ${this.maxBody}`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        body.timer = setTimeout(
            () => refuse(408, "body too slow", `body not received within ${this.bodyTimeout / 1000} s`),
            this.bodyTimeout,
        );
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxBody) {
                chunks.length = 0;
                return refuse(413, "payload too large", `body over ${this.maxBody} bytes`);
            }
            chunks.push(chunk);
        });
        req.on("error", () => clearTimeout(body.timer));
        req.on("close", () => clearTimeout(body.timer));
        req.on("end", () => {
            if (answered) {
                return;
            }
            const expected = createHmac("sha256", this.opts.secret).update(Buffer.concat(chunks)).digest();
            if (!timingSafeEqual(Buffer.from(match[1], "hex"), expected)) {
                this.opts.log?.(`rejected webhook delivery ${delivery}: bad or missing X-Hub-Signature-256`);
                return reply(401, "bad signature");
            }
            const event = req.headers["x-github-event"];
            if (event === "ping") {
                return reply(200, "pong");
            }
            if (event !== "push") {
                return reply(204, "ignored");
            }
            reply(202, "accepted");
            this.opts.onPush(delivery);
        });
    };

    /**
     * Listens on `host:port` (port 0: any free port) and returns the webhook URL. A busy or forbidden port is
     * an {@link EnvironmentError}; a host that is not an address of this machine an {@link InvalidInputError}.
     */
    async listen(port: number, host: string): Promise<string> {
        const server = http.createServer(this.handle);
        // Headers are small; the body has its own limit above.
        server.headersTimeout = Math.min(this.bodyTimeout + 5_000, 60_000);
        server.requestTimeout = this.bodyTimeout + 10_000;
        const base = await listenOn(server, port, host);
        this.server = server;
        return `${base}${webhookPath}`;
    }

    /** Stops accepting connections and closes the open ones. */
    async close(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        if (server) {
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
        }
    }
}

/** A listen failure as our error: a busy or forbidden port, or a host that is not ours. */
export function listenError(e: NodeJS.ErrnoException, port: number, host: string): Error {
    const where = `${host}:${port}`;
    switch (e.code) {
        case "EADDRINUSE":
            return new EnvironmentError(
                `cannot listen on ${where}: the port is already in use (stop what listens there, or choose another port)`,
                { path: "port", cause: e },
            );
        case "EACCES":
            return new EnvironmentError(
                `cannot listen on ${where}: permission denied (ports below 1024 need privileges; choose a port from 1024)`,
                { path: "port", cause: e },
            );
        case "ENOTFOUND":
        case "EAI_AGAIN":
        case "EADDRNOTAVAIL":
        case "EINVAL":
            return new InvalidInputError(
                `cannot listen on ${where}: "${host}" is not an address of this machine (e.g. 127.0.0.1 or 0.0.0.0)`,
                { path: "host", cause: e },
            );
        default:
            return new EnvironmentError(`cannot listen on ${where}: ${e.message}`, { cause: e });
    }
}

/**
 * Starts `server` on `host:port` (port 0: any free port) and returns its base URL (`http://127.0.0.1:8080`).
 * A busy or forbidden port is an EnvironmentError; a host that is not an address of this machine an
 * InvalidInputError (see {@link listenError}).
 */
export async function listenOn(server: http.Server, port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve();
        });
    }).catch((e: NodeJS.ErrnoException) => {
        throw listenError(e, port, host);
    });
    const addr = server.address() as AddressInfo;
    const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    return `http://${shown}:${addr.port}`;
}
