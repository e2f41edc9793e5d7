import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { CloudEvent } from "../../engine/notifications/notifications";
import { signatureHeader, verifySignature } from "../../engine/notifications/notifications";

/** One POST the receiver accepted. */
export interface ReceivedEvent {
    readonly event: CloudEvent;
    readonly contentType: string | undefined;
    /** The signature header verified against the raw body with the receiver's secret. */
    readonly signatureValid: boolean;
}

export interface CloudEventsReceiverOptions {
    /** The HMAC secret signatures are checked with. */
    readonly secret?: string;
    /** Answer the first N requests by dropping the connection (a receiver that is down at first). */
    readonly downFor?: number;
    /** Answer every request 503 (a receiver that is always down). */
    readonly alwaysDown?: boolean;
    /** Answer every request 302 with this Location. */
    readonly redirectTo?: string;
    /** Never answer (a receiver that hangs). */
    readonly hang?: boolean;
    /** The address to listen on (default 127.0.0.1). */
    readonly host?: string;
}

/**
 * A stand-in for a notification receiver: accepts CloudEvents POSTs on 127.0.0.1 (a loopback address: the
 * notifications that post to it need `allowPrivateNetworks: true`), checks each signature the
 * way a real receiver would (HMAC-SHA256 of the raw body), and keeps what it got.
 */
export class CloudEventsReceiver {
    readonly received: ReceivedEvent[] = [];
    /** Every request, accepted or not. */
    requests = 0;
    private server?: http.Server;
    private waiters: { count: number; resolve: () => void }[] = [];
    private requestWaiters: { count: number; resolve: () => void }[] = [];

    constructor(private readonly opts: CloudEventsReceiverOptions = {}) {}

    async start(): Promise<string> {
        const server = http.createServer((req, res) => {
            this.requests += 1;
            this.requestWaiters = this.requestWaiters.filter((w) => {
                if (this.requests >= w.count) {
                    w.resolve();
                    return false;
                }
                return true;
            });
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                if (this.opts.downFor !== undefined && this.requests <= this.opts.downFor) {
                    req.socket.destroy();
                    return;
                }
                if (this.opts.alwaysDown) {
                    res.writeHead(503).end();
                    return;
                }
                if (this.opts.redirectTo !== undefined) {
                    res.writeHead(302, { location: this.opts.redirectTo }).end();
                    return;
                }
                if (this.opts.hang) {
                    return;
                }
                const body = Buffer.concat(chunks).toString("utf8");
                const header = req.headers[signatureHeader.toLowerCase()];
                this.received.push({
                    event: JSON.parse(body) as CloudEvent,
                    contentType: req.headers["content-type"],
                    signatureValid:
                        this.opts.secret !== undefined &&
                        verifySignature(
                            this.opts.secret,
                            body,
                            typeof header === "string" ? header : undefined,
                        ),
                });
                res.writeHead(204).end();
                this.waiters = this.waiters.filter((w) => {
                    if (this.received.length >= w.count) {
                        w.resolve();
                        return false;
                    }
                    return true;
                });
            });
        });
        const host = this.opts.host ?? "127.0.0.1";
        await new Promise<void>((resolve) => server.listen(0, host, resolve));
        this.server = server;
        return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${(server.address() as AddressInfo).port}/hooks/promotions`;
    }

    /** Resolves once `count` events have been accepted. */
    waitFor(count: number): Promise<void> {
        if (this.received.length >= count) {
            return Promise.resolve();
        }
        return new Promise((resolve) => this.waiters.push({ count, resolve }));
    }

    /** Resolves once `count` requests have arrived, accepted or not. */
    waitForRequests(count: number): Promise<void> {
        if (this.requests >= count) {
            return Promise.resolve();
        }
        return new Promise((resolve) => this.requestWaiters.push({ count, resolve }));
    }

    /** The accepted events' types, in order of arrival. */
    types(): string[] {
        return this.received.map((r) => r.event.type);
    }

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
