import * as http from "node:http";
import { getRequestListener } from "@hono/node-server";
import { isWebhookPath, listenOn, WebhookReceiver } from "../engine/triggers/webhookReceiver";
import type { WebhookReceiverOptions } from "../engine/triggers/webhookReceiver";
import { redact } from "../model/redact";
import type { Api, ApiOptions } from "./api";
import { apiBase, createApi } from "./api";
import { isLoopback } from "./access";
import { stripBasePath } from "./basePath";
import type { ServerLimits } from "./limits";
import {
    answerUnread,
    applyLimits,
    defaultServerLimits,
    readBody,
    serverLimits,
    serverOptions,
} from "./limits";
import type { Health } from "./health";

/** The event stream's path (GET): the one response that does not end by itself. */
const eventsPath = `${apiBase}/events`;

/** The largest API request body by default (JSON requests are small; the webhook has limits of its own). */
export const maxApiBodyBytes = defaultServerLimits.maxBodyBytes;

/** The first segment of a request target's path that does not percent-decode (`%ZZ`, a cut UTF-8 sequence). */
export function malformedSegment(url: string): string | undefined {
    const path = url.replace(/[?#][^]*$/, "");
    return path.split("/").find((segment) => {
        try {
            decodeURIComponent(segment);
            return false;
        } catch {
            return true;
        }
    });
}

/**
 * Refuses, before routing: on a loopback server, a request whose Host is not a loopback name (a web page
 * whose DNS name was rebound to 127.0.0.1 must not read or drive the API), a path with a segment that does not
 * percent-decode, and a body declared larger than {@link maxApiBodyBytes}.
 */
export function refuseRequest(
    req: Pick<http.IncomingMessage, "headers"> & { readonly url?: string },
    loopbackOnly: boolean,
    maxBodyBytes = maxApiBodyBytes,
): { status: number; code: string; message: string } | undefined {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (loopbackOnly && !isLoopback(host)) {
        return {
            status: 403,
            code: "forbidden",
            message: `Host ${JSON.stringify(req.headers.host ?? "")} refused: this server listens on loopback; use http://127.0.0.1 or http://localhost`,
        };
    }
    const malformed = malformedSegment(req.url ?? "/");
    if (malformed !== undefined) {
        const shown = malformed.length > 80 ? `${malformed.slice(0, 80)}…` : malformed;
        return {
            status: 400,
            code: "invalid_input",
            message: redact(
                `path segment ${JSON.stringify(shown)} is not valid percent-encoding: write "%" as %25, ` +
                    "and other bytes as %XX of their UTF-8 encoding",
            ),
        };
    }
    const length = Number(req.headers["content-length"] ?? "0");
    if (length > maxBodyBytes) {
        return {
            status: 413,
            code: "invalid_input",
            message: `request body of ${length} bytes refused: at most ${maxBodyBytes}`,
        };
    }
    return undefined;
}

/**
 * The API's fetch handler as `serve` calls it. A HEAD request is answered as its GET (authorised as the GET),
 * with the body cancelled and dropped: Hono answers HEAD by running the GET handler and discarding its body
 * without cancelling it, so each HEAD of the event stream left a subscription behind for good.
 */
export function apiFetch(app: Api["app"]): Api["app"]["fetch"] {
    return async (req, env, ctx) => {
        if (req.method !== "HEAD") {
            return app.fetch(req, env, ctx);
        }
        const res = await app.fetch(new Request(req, { method: "GET" }), env, ctx);
        await res.body?.cancel();
        const headers = new Headers(res.headers);
        // Hop-by-hop fields of the stream's answer (`Connection: keep-alive`) do not describe this one.
        for (const name of ["connection", "keep-alive", "transfer-encoding"]) {
            headers.delete(name);
        }
        return new Response(null, { status: res.status, statusText: res.statusText, headers });
    };
}

export interface PromotionsServerOptions extends ApiOptions {
    /** Push webhooks at POST /webhooks/<kind> (GitHub's at /webhooks/github); none: those paths answer 404. */
    readonly webhook?: WebhookReceiverOptions;
    /** Body size, timeouts and the connection cap (defaults: {@link defaultServerLimits}). */
    readonly limits?: Partial<ServerLimits>;
    /** `/healthz` and `/readyz` (no credentials: they say nothing secret); none: both answer 404. */
    readonly health?: Health;
}

/**
 * `promote serve`'s one HTTP server: push webhooks at POST /webhooks/<kind> (the receiver keeps its own
 * limits and reads its body itself), everything else through the API (server/api.ts).
 */
export class PromotionsServer {
    readonly api: Api;
    readonly limits: ServerLimits;
    private readonly receiver?: WebhookReceiver;
    private readonly health?: Health;
    private server?: http.Server;
    private readonly log?: (line: string) => void;
    /** The event streams open now: a graceful stop ends them (they would otherwise never finish). */
    private readonly streams = new Set<http.ServerResponse>();
    private readonly basePath: string;

    constructor(opts: PromotionsServerOptions) {
        this.limits = serverLimits(opts.limits);
        this.api = createApi(opts);
        this.receiver = opts.webhook ? new WebhookReceiver(opts.webhook) : undefined;
        this.log = opts.log;
        this.health = opts.health;
        this.basePath = opts.basePath ?? "";
    }

    /** The engine's `onProgress`: feeds the event stream. */
    get progress() {
        return this.api.progress;
    }

    /**
     * Listens on `host:port` (port 0: any free port); returns the base URL, e.g. `http://127.0.0.1:8080`, with the
     * path prefix when there is one (`http://127.0.0.1:8080/promotions`).
     */
    async listen(port: number, host: string): Promise<string> {
        const apiListener = getRequestListener(apiFetch(this.api.app));
        const loopbackOnly = isLoopback(host);
        const limits = this.limits;
        const server = http.createServer(serverOptions(limits), (req, res) => {
            // Under a path prefix everything is routed without it; a target outside it reaches only the probes.
            const inside = stripBasePath(req.url ?? "/", this.basePath);
            req.url = inside ?? req.url;
            // Not `new URL`: it throws on request targets such as `//`, and a throw here would end the process.
            const path = (req.url ?? "/").replace(/[?#][^]*$/, "");
            if (inside !== undefined && isWebhookPath(path) && this.receiver) {
                this.receiver.handle(req, res);
                return;
            }
            const refused = refuseRequest(req, loopbackOnly, limits.maxBodyBytes);
            if (refused) {
                answerUnread(req, res, refused.status, {
                    error: { code: refused.code, message: refused.message },
                });
                return;
            }
            // The probes answer with and without the prefix: a kubelet asks the pod itself, not the Ingress.
            if ((path === "/healthz" || path === "/readyz") && this.health && req.method === "GET") {
                void this.probe(path, res);
                return;
            }
            if (inside === undefined) {
                this.outsideBasePath(req, res, path);
                return;
            }
            if (req.method === "GET" && path === eventsPath) {
                this.streams.add(res);
                res.on("close", () => this.streams.delete(res));
            }
            // The body is read (bounded in size and time) before the API parses it.
            readBody(req, res, limits, () => void apiListener(req, res));
        });
        applyLimits(server, limits, this.log);
        const url = await listenOn(server, port, host);
        this.server = server;
        return `${url}${this.basePath}`;
    }

    /** A request outside the path prefix: the root goes to the console under it; anything else is not here. */
    private outsideBasePath(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
        if (path === "/" && (req.method === "GET" || req.method === "HEAD")) {
            req.resume();
            res.writeHead(308, { location: `${this.basePath}/`, "cache-control": "no-store" });
            res.end();
            return;
        }
        answerUnread(req, res, 404, {
            error: {
                code: "not_found",
                message: redact(
                    `no such endpoint: ${req.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}: ` +
                        `this server answers under ${this.basePath}/ (--base-path)`,
                ),
            },
        });
    }

    /** How many connections are open now (event streams included). */
    async openConnections(): Promise<number> {
        const server = this.server;
        if (!server) {
            return 0;
        }
        return new Promise<number>((resolve, reject) =>
            server.getConnections((e, n) => (e ? reject(e) : resolve(n))),
        );
    }

    /** `/healthz`: 200 while the process answers. `/readyz`: 200 or 503, with each check's finding. */
    private async probe(path: string, res: http.ServerResponse): Promise<void> {
        const headers = { "content-type": "application/json", "cache-control": "no-store" };
        if (path === "/healthz") {
            res.writeHead(200, headers);
            res.end(JSON.stringify({ status: "ok" }));
            return;
        }
        const r = await this.health!.readiness();
        res.writeHead(r.ready ? 200 : 503, headers);
        res.end(JSON.stringify({ status: r.ready ? "ready" : "not ready", ...r }));
    }

    /**
     * The first step of a graceful stop: no new connection is accepted, the event streams end (their clients
     * reconnect elsewhere), idle keep-alive connections close; requests under way finish. Resolves once every
     * connection is closed (see {@link close} to cut the rest).
     */
    stopAccepting(): Promise<void> {
        const server = this.server;
        if (!server) {
            return Promise.resolve();
        }
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        void this.api.close();
        for (const res of this.streams) {
            res.socket?.destroy();
        }
        server.closeIdleConnections();
        return closed;
    }

    /** Stops listening, ends the event streams and closes the open connections (running releases go on). */
    async close(): Promise<void> {
        await this.api.close();
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
