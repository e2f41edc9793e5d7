import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { GitHubWebhookReceiver, listenError, webhookPath } from "../engine/triggers/webhookReceiver";
import type { WebhookReceiverOptions } from "../engine/triggers/webhookReceiver";
import type { Api, ApiOptions } from "./api";
import { createApi } from "./api";

export interface PromotionsServerOptions extends ApiOptions {
    /** GitHub push webhooks at POST /webhooks/github; none: that path answers 404. */
    readonly webhook?: WebhookReceiverOptions;
}

/**
 * `promote serve`'s one HTTP server: GitHub webhooks at POST /webhooks/github (the receiver keeps its own
 * limits and reads its body itself), everything else through the API (server/api.ts).
 */
export class PromotionsServer {
    readonly api: Api;
    private readonly receiver?: GitHubWebhookReceiver;
    private server?: http.Server;

    constructor(opts: PromotionsServerOptions) {
        this.api = createApi(opts);
        this.receiver = opts.webhook ? new GitHubWebhookReceiver(opts.webhook) : undefined;
    }

    /** The engine's `onProgress`: feeds the event stream. */
    get progress() {
        return this.api.progress;
    }

    /** Listens on `host:port` (port 0: any free port); returns the base URL, e.g. `http://127.0.0.1:8080`. */
    async listen(port: number, host: string): Promise<string> {
        const apiListener = getRequestListener(this.api.app.fetch);
        const server = http.createServer((req, res) => {
            const path = new URL(req.url ?? "/", "http://x").pathname;
            if (path === webhookPath && this.receiver) {
                this.receiver.handle(req, res);
            } else {
                void apiListener(req, res);
            }
        });
        // Headers are small; bodies have their own limits (the webhook's) or are small JSON.
        server.headersTimeout = 20_000;
        // The event stream stays open: no overall request timeout.
        server.requestTimeout = 0;
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(port, host, () => {
                server.off("error", reject);
                resolve();
            });
        }).catch((e: NodeJS.ErrnoException) => {
            throw listenError(e, port, host);
        });
        this.server = server;
        const addr = server.address() as AddressInfo;
        const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
        return `http://${shown}:${addr.port}`;
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
