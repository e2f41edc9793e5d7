import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import { hostEntryFor } from "../../provider/scm/hosts";
import { scmHostOfKind } from "../../provider/scm/registry";
import type { BranchMoved, HostKind, ScmHost } from "../../provider/scm/scm";
import type { WebhookSecret } from "./webhookSecrets";
import type { EngineMetrics, WebhookResult } from "../notifications/metrics";

/** Where GitHub delivers: `POST /webhooks/github`. */
export const webhookPath = "/webhooks/github";

/** Where a host of `kind` delivers: `POST /webhooks/<kind>` (e.g. `/webhooks/gitlab`). */
export function webhookPathOf(kind: HostKind): string {
    return `/webhooks/${kind}`;
}

/** True for a request path the receiver answers (every `/webhooks/<kind>`, known or not). */
export function isWebhookPath(path: string): boolean {
    return /^\/webhooks\/[^/]+$/.test(path);
}

export interface WebhookReceiverOptions {
    /** GitHub's webhook secret, as in GitHub's settings (PROMOTIONS_WEBHOOK_SECRET): proves any GitHub delivery. */
    readonly secret?: string;
    /** The secrets of each host kind (see webhookSecrets.ts); a kind with none answers 404. */
    readonly secrets?: Partial<Record<HostKind, readonly WebhookSecret[]>>;
    /**
     * A verified push arrived: its delivery id, the branches it moved (repository URL, branch, commit) and the
     * kind of host. The receiver has answered 202 already.
     */
    readonly onPush: (delivery: string, moved: readonly BranchMoved[], kind: HostKind) => void;
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
    400: "bad_payload",
    403: "wrong_host",
    413: "too_large",
    408: "too_slow",
    404: "not_found",
};

export const defaultMaxBodyBytes = 1024 * 1024;
export const defaultBodyTimeoutMs = 10_000;

/**
 * Accepts push webhooks of every host kind in the registry at `/webhooks/<kind>` (GitHub's at
 * {@link webhookPath}), each checked by its host's rules (provider/scm/<kind>/webhook.ts). Cheap checks come
 * before any byte of the body is read: the method and path, a secret configured for the kind, the proof
 * header's presence and format, the declared length. The body is then read up to `maxBodyBytes` (413 beyond,
 * the connection closed without reading the rest) within `bodyTimeoutMs` (408), and proved with one of the
 * kind's secrets in constant time (401). A proved push about a repository outside the proving secret's host
 * prefix is refused (403). A verified push answers 202 and calls `onPush`; a ping 200; other events 204.
 */
export class WebhookReceiver {
    private server?: http.Server;
    private readonly maxBody: number;
    private readonly bodyTimeout: number;
    private readonly secrets: Partial<Record<HostKind, readonly WebhookSecret[]>>;

    constructor(private readonly opts: WebhookReceiverOptions) {
        this.maxBody = opts.maxBodyBytes ?? defaultMaxBodyBytes;
        this.bodyTimeout = opts.bodyTimeoutMs ?? defaultBodyTimeoutMs;
        const github = opts.secret ? [{ secret: opts.secret }] : [];
        this.secrets = {
            ...opts.secrets,
            github: [...github, ...(opts.secrets?.github ?? [])],
        };
    }

    /** The kinds that take deliveries (a secret is configured for them). */
    get kinds(): HostKind[] {
        return (Object.keys(this.secrets) as HostKind[]).filter(
            (k) => (this.secrets[k]?.length ?? 0) > 0 && scmHostOfKind(k) !== undefined,
        );
    }

    /** The request handler (also usable on a server of your own). */
    readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
        const path = new URL(req.url ?? "/", "http://x").pathname;
        const kind = /^\/webhooks\/([^/]+)$/.exec(path)?.[1] as HostKind | undefined;
        const host: ScmHost | undefined = kind ? scmHostOfKind(kind) : undefined;
        const secrets = (kind && this.secrets[kind]) || [];
        const delivery = host?.webhook.deliveryId(req.headers) ?? "?";
        const named = (id: string) => (kind && kind !== "github" && host ? `${id} (${host.name})` : id);
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
        const rejected = (why: string) =>
            this.opts.log?.(`rejected webhook delivery ${named(delivery)}: ${why}`);
        /** Answers without reading (more of) the body: stop reading, and close once the answer is out. */
        const refuse = (status: number, message: string, why?: string): void => {
            if (why) {
                rejected(why);
            }
            req.pause();
            req.removeAllListeners("data");
            // Marks the body as handled, so Node does not read and discard the rest after the answer.
            (req as unknown as { _dumped: boolean })._dumped = true;
            reply(status, message, true);
            res.once("finish", () => req.socket.destroySoon());
        };

        if (req.method !== "POST" || !kind || !host || secrets.length === 0) {
            return refuse(404, `POST ${this.kinds.map(webhookPathOf).join(" or ") || webhookPath}`);
        }
        const proof = `bad or missing ${host.webhook.proofHeader}`;
        if (!host.webhook.precheck(req.headers)) {
            return refuse(401, "bad signature", proof);
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
            const payload = Buffer.concat(chunks);
            const proved = secrets.filter((s) => host.webhook.verify(req.headers, payload, s.secret));
            if (proved.length === 0) {
                rejected(proof);
                return reply(401, "bad signature");
            }
            let event;
            try {
                event = host.webhook.parse(req.headers, payload);
            } catch {
                rejected(`not ${host.name}'s JSON`);
                return reply(400, "bad payload");
            }
            if (event.kind === "ping") {
                return reply(200, "pong");
            }
            if (event.kind !== "push") {
                return reply(204, "ignored");
            }
            // A host's secret admits pushes of its own repositories only.
            const outside = event.moved.filter(
                (m) =>
                    !proved.some((s) => !s.prefix || hostEntryFor(m.repoURL, [{ prefix: s.prefix, kind }])),
            );
            if (outside.length > 0) {
                rejected(
                    `push of ${outside[0].repoURL}, which is not under the prefix of the host whose secret signed it`,
                );
                return reply(403, "repository of another host");
            }
            reply(202, "accepted");
            this.opts.onPush(delivery, event.moved, kind);
        });
    };

    /**
     * Listens on `host:port` (port 0: any free port) and returns the GitHub webhook URL. A busy or forbidden
     * port is an {@link EnvironmentError}; a host that is not an address of this machine an
     * {@link InvalidInputError}.
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

/** The receiver's former name, from when only GitHub could deliver. */
export class GitHubWebhookReceiver extends WebhookReceiver {}

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
