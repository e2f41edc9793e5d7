import { execFileSync } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";

export type HealthBehaviour = "Healthy" | "Degraded" | "Progressing" | "Unavailable";

interface Tracked {
    readonly bare: string;
    readonly branch: string;
    behaviour: HealthBehaviour;
    synced?: string;
    seenHead?: string;
    polls: number;
}

/**
 * A stand-in Argo CD API: `GET /api/v1/applications/{name}` in Argo CD's shape, with bearer-token auth.
 * Each application follows the head of its branch in a real bare repository, as Argo CD does: a new head is
 * reported OutOfSync for `syncLagPolls` polls, then Synced; health is what the test chose ("Unavailable"
 * answers 503, as an unreachable or overloaded server would).
 */
export class ArgoCdStandIn {
    readonly apps = new Map<string, Tracked>();

    private constructor(
        private readonly server: http.Server,
        readonly token: string,
        readonly syncLagPolls: number,
    ) {}

    static async start(token: string, syncLagPolls = 1): Promise<ArgoCdStandIn> {
        const server = http.createServer();
        const self = new ArgoCdStandIn(server, token, syncLagPolls);
        server.on("request", (req, res) => self.handle(req, res));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return self;
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    track(app: string, bare: string, branch = "main", behaviour: HealthBehaviour = "Healthy"): void {
        this.apps.set(app, { bare, branch, behaviour, polls: 0 });
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const send = (status: number, body: unknown) => {
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${this.token}`) {
            return send(401, { error: "invalid session: token signature is invalid", code: 16 });
        }
        const m = /^\/api\/v1\/applications\/([^/?]+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
        const app = m ? this.apps.get(decodeURIComponent(m[1])) : undefined;
        if (req.method !== "GET" || !m || !app) {
            return send(404, { error: `applications.argoproj.io "${m?.[1]}" not found`, code: 5 });
        }
        if (app.behaviour === "Unavailable") {
            return send(503, { error: "service unavailable", code: 14 });
        }
        const head = execFileSync("git", ["rev-parse", app.branch], {
            cwd: app.bare,
            encoding: "utf8",
        }).trim();
        if (head !== app.seenHead) {
            app.seenHead = head;
            app.polls = 0;
        }
        app.polls++;
        if (app.polls > this.syncLagPolls) {
            app.synced = head;
        }
        const synced = app.synced === head;
        send(200, {
            metadata: { name: m[1], namespace: "argocd" },
            status: {
                sync: { status: synced ? "Synced" : "OutOfSync", revision: app.synced ?? head },
                health: {
                    status: synced
                        ? app.behaviour === "Healthy"
                            ? "Healthy"
                            : app.behaviour
                        : "Progressing",
                    ...(app.behaviour === "Degraded" && synced
                        ? { message: "Back-off pulling image ghcr.io/acme/web" }
                        : {}),
                },
            },
        });
    }
}
