import * as http from "node:http";
import { getRequestListener } from "@hono/node-server";
import { GitHubWebhookReceiver, listenOn, webhookPath } from "../engine/triggers/webhookReceiver";
import type { WebhookReceiverOptions } from "../engine/triggers/webhookReceiver";
import type { Api, ApiOptions } from "./api";
import { createApi } from "./api";
import { isLoopback } from "./access";
import type { Health } from "./health";

/** The largest API request body (JSON requests are small; the webhook has limits of its own). */
export const maxApiBodyBytes = 64 * 1024;

/**
 * Refuses, before routing: on a loopback server, a request whose Host is not a loopback name (a web page
 * whose DNS name was rebound to 127.0.0.1 must not read or drive the API), and a body declared larger than
 * {@link maxApiBodyBytes}.
 */
export function refuseRequest(
    req: Pick<http.IncomingMessage, "headers">,
    loopbackOnly: boolean,
): { status: number; code: string; message: string } | undefined {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (loopbackOnly && !isLoopback(host)) {
        return {
            status: 403,
            code: "forbidden",
            message: `Host ${JSON.stringify(req.headers.host ?? "")} refused: this server listens on loopback; use http://127.0.0.1 or http://localhost`,
        };
    }
    const length = Number(req.headers["content-length"] ?? "0");
    if (length > maxApiBodyBytes) {
        return {
            status: 413,
            code: "invalid_input",
            message: `request body of ${length} bytes refused: at most ${maxApiBodyBytes}`,
        };
    }
    return undefined;
}

export interface PromotionsServerOptions extends ApiOptions {
    /** GitHub push webhooks at POST /webhooks/github; none: that path answers 404. */
    readonly webhook?: WebhookReceiverOptions;
    /** `/healthz` and `/readyz` (no credentials: they say nothing secret); none: both answer 404. */
    readonly health?: Health;
}

/**
 * `promote serve`'s one HTTP server: GitHub webhooks at POST /webhooks/github (the receiver keeps its own
 * limits and reads its body itself), everything else through the API (server/api.ts).
 */
export class PromotionsServer {
    readonly api: Api;
    private readonly receiver?: GitHubWebhookReceiver;
    private readonly health?: Health;
    private server?: http.Server;

    constructor(opts: PromotionsServerOptions) {
        this.api = createApi(opts);
        this.receiver = opts.webhook ? new GitHubWebhookReceiver(opts.webhook) : undefined;
        this.health = opts.health;
    }

    /** The engine's `onProgress`: feeds the event stream. */
    get progress() {
        return this.api.progress;
    }

    /** Listens on `host:port` (port 0: any free port); returns the base URL, e.g. `http://127.0.0.1:8080`. */
    async listen(port: number, host: string): Promise<string> {
        const apiListener = getRequestListener(this.api.app.fetch);
        const loopbackOnly = isLoopback(host);
        const server = http.createServer((req, res) => {
            const path = new URL(req.url ?? "/", "http://x").pathname;
            if (path === webhookPath && this.receiver) {
                this.receiver.handle(req, res);
                return;
            }
            const refused = refuseRequest(req, loopbackOnly);
            if (refused) {
                res.writeHead(refused.status, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: { code: refused.code, message: refused.message } }));
                req.resume();
                return;
            }
            if ((path === "/healthz" || path === "/readyz") && this.health && req.method === "GET") {
                void this.probe(path, res);
                return;
            }
            void apiListener(req, res);
        });
        // Headers are small; bodies have their own limits (the webhook's) or are small JSON.
        server.headersTimeout = 20_000;
        // The event stream stays open: no overall request timeout.
        server.requestTimeout = 0;
        const url = await listenOn(server, port, host);
        this.server = server;
        return url;
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
