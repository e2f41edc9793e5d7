import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { gitHttpHandler } from "./gitHttpServer";
import type { ApiDescription, MatchedOperation } from "./openapi";

/** An answer other than success, in the vendor's error shape. */
export class StandInError extends Error {
    constructor(
        readonly status: number,
        readonly body: unknown,
    ) {
        super(JSON.stringify(body));
    }
}

export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** git in a repository, as the host's merge machinery (its identity), never the caller's environment. */
export function hostGit(dir: string, args: string[], opts: { input?: string; ok?: number[] } = {}): string {
    try {
        return execFileSync("git", args, {
            cwd: dir,
            input: opts.input,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
            env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                HOME: os.tmpdir(),
                GIT_CONFIG_NOSYSTEM: "1",
                GIT_AUTHOR_NAME: "reviewer",
                GIT_AUTHOR_EMAIL: "reviewer@example.com",
                GIT_COMMITTER_NAME: "Code host",
                GIT_COMMITTER_EMAIL: "noreply@example.com",
                LC_ALL: "C",
            },
        }).trim();
    } catch (e) {
        const status = (e as { status?: number }).status;
        if (status !== undefined && opts.ok?.includes(status)) {
            return String((e as { stdout?: string }).stdout ?? "").trim();
        }
        throw e;
    }
}

/** The commit a revision names in a bare repository, if any. */
export function resolveRev(dir: string, rev: string): string | undefined {
    return hostGit(dir, ["rev-parse", "--verify", "--quiet", rev], { ok: [1, 128] }) || undefined;
}

/**
 * A real merge of `head` into `base` in a scratch clone (merge commit, squash or rebase), pushed to the base
 * branch. Returns the new tip of the base branch; throws `conflict` when git cannot merge, `moved` when the base
 * moved under it.
 */
export function mergeBranches(
    dir: string,
    opts: { head: string; base: string; method: "merge" | "squash" | "rebase"; message: string },
): string {
    const baseSha = resolveRev(dir, `refs/heads/${opts.base}`);
    const headSha = resolveRev(dir, `refs/heads/${opts.head}`);
    if (!baseSha || !headSha) {
        throw new Error("conflict");
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "standin-merge-"));
    try {
        hostGit(work, ["clone", "--quiet", "--no-checkout", dir, "."]);
        hostGit(work, ["checkout", "--quiet", "-B", "merging", baseSha]);
        try {
            if (opts.method === "merge") {
                hostGit(work, ["merge", "--no-ff", "-m", opts.message, headSha]);
            } else if (opts.method === "squash") {
                hostGit(work, ["merge", "--squash", headSha]);
                hostGit(work, ["commit", "--quiet", "-F", "-"], { input: `${opts.message}\n` });
            } else {
                hostGit(work, ["checkout", "--quiet", "-B", "rebasing", headSha]);
                hostGit(work, ["rebase", "--quiet", baseSha]);
                hostGit(work, ["checkout", "--quiet", "-B", "merging", "rebasing"]);
            }
        } catch {
            throw new Error("conflict");
        }
        const merged = hostGit(work, ["rev-parse", "HEAD"]);
        try {
            hostGit(work, ["push", "--quiet", "origin", `merging:refs/heads/${opts.base}`]);
        } catch {
            throw new Error("moved");
        }
        return merged;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** One API request, as a stand-in records it. */
export interface StandInCall {
    method: string;
    path: string;
    operationId?: string;
    authorized: boolean;
    status: number;
    body?: unknown;
}

/**
 * What every vendor stand-in shares: one loopback server with git's smart HTTP over real bare repositories
 * under `root` and the REST API under `apiPrefix`, each API request matched to an operation of the vendor's
 * description and checked against it (request and answer; what does not conform is collected in
 * {@link problems}, and a request that does not is refused), the token checked, every call recorded.
 */
export abstract class HostStandIn {
    readonly calls: StandInCall[] = [];
    readonly gitRequests: { method: string; url: string; authorized: boolean }[] = [];
    /** Requests or answers that do not conform to the vendor's description. */
    readonly problems: string[] = [];
    /** Status contexts a branch's protection requires before a merge (the test plays the CI that sets them). */
    readonly requiredChecks = new Map<string, string[]>();
    /** Branches only people may merge into (the token's user may not): a merge is refused. */
    readonly protectedBranches = new Set<string>();
    protected server?: http.Server;

    protected constructor(
        readonly root: string,
        readonly token: string,
        private readonly apiPrefix: string,
        protected readonly description: ApiDescription,
        private readonly operations: readonly string[],
    ) {}

    protected async listen(): Promise<void> {
        fs.mkdirSync(this.root, { recursive: true });
        const server = http.createServer();
        const gitHandler = gitHttpHandler(this.root, this.token, this.gitRequests);
        server.on("request", (req, res) => {
            if (this.isApi(req.url ?? "")) {
                this.api(req, res);
            } else {
                gitHandler(req, res);
            }
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        this.server = server;
    }

    get host(): string {
        return `127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    }

    /** The API root as clients are configured with it. */
    get apiUrl(): string {
        return `http://${this.host}${this.apiPrefix}`;
    }

    stop(): Promise<void> {
        const server = this.server;
        return new Promise((resolve) => {
            if (!server) {
                return resolve();
            }
            server.closeAllConnections();
            server.close(() => resolve());
        });
    }

    /** True for a request to the REST API (else: git). */
    protected isApi(url: string): boolean {
        return url.startsWith(`${this.apiPrefix}/`);
    }

    /** True when the request carries the token, the vendor's way. */
    protected abstract authorized(req: http.IncomingMessage): boolean;

    /** The vendor's answer to a request without a valid token. */
    protected abstract unauthorized(): [number, unknown];

    /** The vendor's answer for an unknown route. */
    protected abstract notFoundBody(): unknown;

    /** Serves one checked request (`url` for what the typed query leaves out: repeated parameters). */
    protected abstract handle(
        op: MatchedOperation,
        query: Record<string, unknown>,
        body: Record<string, unknown>,
        url: URL,
    ): [number, unknown];

    /** Headers every API answer carries (e.g. the token's scopes). */
    protected responseHeaders(): Record<string, string> {
        return {};
    }

    /** The path under the API root the description names (e.g. GitLab's keep `/api/v4`). */
    protected describedPath(apiPath: string): string {
        return apiPath;
    }

    private api(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (d: Buffer) => chunks.push(d));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://localhost");
            const apiPath = this.describedPath(url.pathname.slice(this.apiPrefix.length));
            const method = req.method ?? "GET";
            const authorized = this.authorized(req);
            const op = this.description.matchOperation(method, apiPath, this.operations);
            const call: StandInCall = {
                method,
                path: apiPath,
                operationId: op?.operationId,
                authorized,
                status: 0,
            };
            this.calls.push(call);
            const send = (status: number, answer?: unknown) => {
                call.status = status;
                if (op) {
                    for (const p of this.description.checkResponse(op, status, answer)) {
                        this.problems.push(`${op.operationId} answered ${status}: ${p}`);
                    }
                }
                res.writeHead(status, {
                    "content-type": "application/json; charset=utf-8",
                    ...this.responseHeaders(),
                });
                res.end(answer === undefined ? undefined : JSON.stringify(answer));
            };
            if (!authorized) {
                // The vendor's authentication layer answers before any operation (401, or 403 for a scope the
                // token lacks), whatever the operation documents: recorded, not checked against it.
                const [status, answer] = this.unauthorized();
                call.status = status;
                res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
                res.end(JSON.stringify(answer));
                return;
            }
            if (!op) {
                this.problems.push(`${method} ${apiPath}: not an operation the stand-in serves`);
                call.status = 404;
                res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
                res.end(JSON.stringify(this.notFoundBody()));
                return;
            }
            let body: unknown;
            try {
                body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
            } catch {
                send(400, { message: "invalid JSON" });
                return;
            }
            call.body = body;
            const checked = this.description.checkRequest(op, url.searchParams, body);
            if (checked.problems.length > 0) {
                this.problems.push(...checked.problems.map((p) => `${op.operationId} request: ${p}`));
                send(400, { message: checked.problems.join("; ") });
                return;
            }
            try {
                const [status, answer] = this.handle(
                    op,
                    checked.query,
                    (body ?? {}) as Record<string, unknown>,
                    url,
                );
                send(status, answer);
            } catch (e) {
                if (e instanceof StandInError) {
                    send(e.status, e.body);
                } else {
                    this.problems.push(`${op.operationId}: ${e instanceof Error ? e.message : String(e)}`);
                    send(500, { message: "Internal Server Error" });
                }
            }
        });
    }

    /** Where the bare repository of `owner/name` lives (owner may hold slashes). */
    bare(owner: string, name: string): string {
        return path.join(this.root, ...owner.split("/"), `${name}.git`);
    }

    /** The directory to create `owner`'s repositories in (with {@link GitopsRepo.create}). */
    bareDir(owner: string): string {
        return path.join(this.root, ...owner.split("/"));
    }

    /** The required checks of `branch` that are not `success` on `sha`, given the statuses set so far. */
    protected missingChecks(branch: string, statuses: ReadonlyMap<string, string> | undefined): string[] {
        return (this.requiredChecks.get(branch) ?? []).filter((c) => statuses?.get(c) !== "success");
    }
}
