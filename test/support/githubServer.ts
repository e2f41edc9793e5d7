import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { gitHttpHandler } from "./gitHttpServer";
import type { MatchedOperation } from "./openapi";
import { checkRequest, checkResponse, componentSchema, matchOperation } from "./openapi";

/** The REST operations the stand-in serves (GitHub's path templates). */
const operations = [
    "/repos/{owner}/{repo}",
    "/repos/{owner}/{repo}/git/ref/{ref}",
    "/repos/{owner}/{repo}/git/refs/{ref}",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
    "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
    "/repos/{owner}/{repo}/statuses/{sha}",
    "/repos/{owner}/{repo}/commits/{ref}/status",
    "/repos/{owner}/{repo}/commits/{ref}/statuses",
];

interface Pull {
    number: number;
    id: number;
    title: string;
    body: string | null;
    head: string;
    base: string;
    state: "open" | "closed";
    /** The head's last known commit (kept when the branch is deleted). */
    headSha: string;
    createdAt: string;
    updatedAt: string;
    closedAt: string | null;
    mergedAt: string | null;
    mergeCommitSha: string | null;
    mergedBy: string | null;
    /** The base branch's commit the merge was made on (for the merged pull request's counts). */
    mergedOnto: string | null;
}

interface Status {
    id: number;
    state: string;
    context: string;
    description: string | null;
    target_url: string | null;
    created_at: string;
    updated_at: string;
}

interface Repo {
    owner: string;
    name: string;
    id: number;
    pulls: Pull[];
    statuses: Map<string, Status[]>;
    createdAt: string;
}

class HttpError extends Error {
    constructor(
        readonly status: number,
        readonly body: Record<string, unknown>,
    ) {
        super(String(body.message));
    }
}

const docs = "https://docs.github.com/rest";
const notFound = () => new HttpError(404, { message: "Not Found", documentation_url: docs, status: "404" });
const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

function git(dir: string, args: string[], opts: { input?: string; ok?: number[] } = {}): string {
    try {
        return execFileSync("git", args, {
            cwd: dir,
            input: opts.input,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
            env: {
                ...process.env,
                GIT_AUTHOR_NAME: "reviewer",
                GIT_AUTHOR_EMAIL: "reviewer@example.com",
                GIT_COMMITTER_NAME: "GitHub",
                GIT_COMMITTER_EMAIL: "noreply@github.com",
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

/**
 * A stand-in for GitHub (served the way GitHub Enterprise is: git at `/<owner>/<repo>.git`, the REST API under
 * `/api/v3`). Repositories are real bare repositories; merging is a real git merge (merge, squash or rebase)
 * pushed to the base branch. Every API request is checked against GitHub's published OpenAPI description, and
 * so is every answer: whatever does not conform is collected in {@link problems} (and refused, for requests,
 * with GitHub's 422), so a test can insist there are none. Tests act as reviewers through the same API.
 */
export class GitHubServer {
    /** Every API request: method, path, the operation it matched, whether the token was right, the status. */
    readonly calls: {
        method: string;
        path: string;
        operationId?: string;
        authorized: boolean;
        status: number;
    }[] = [];
    readonly gitRequests: { method: string; url: string; authorized: boolean }[] = [];
    /** Requests or answers that do not conform to GitHub's description. */
    readonly problems: string[] = [];
    private readonly repos = new Map<string, Repo>();
    private nextId = 1000;
    private limited: { count: number; kind: "primary" | "secondary" } = { count: 0, kind: "primary" };

    private constructor(
        private readonly server: http.Server,
        readonly root: string,
        readonly token: string,
    ) {}

    static async start(root: string, token: string): Promise<GitHubServer> {
        fs.mkdirSync(root, { recursive: true });
        const server = http.createServer();
        const self = new GitHubServer(server, root, token);
        const gitHandler = gitHttpHandler(root, token, self.gitRequests);
        server.on("request", (req, res) => {
            if ((req.url ?? "").startsWith("/api/v3/")) {
                self.api(req, res);
            } else {
                gitHandler(req, res);
            }
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return self;
    }

    get host(): string {
        return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** The API root, as GitHub Enterprise has it. */
    get apiUrl(): string {
        return `http://${this.host}/api/v3`;
    }

    /** The clone URL of a repository. */
    url(owner: string, name: string): string {
        return `http://${this.host}/${owner}/${name}.git`;
    }

    /** Where the bare repository of `owner/name` lives (create it with {@link GitopsRepo.create} there). */
    bareDir(owner: string): string {
        return path.join(this.root, owner);
    }

    /** The next `count` API requests are refused for a rate limit (GitHub's primary or secondary one). */
    rateLimitNext(count: number, kind: "primary" | "secondary" = "primary"): void {
        this.limited = { count, kind };
    }

    pulls(owner: string, name: string): readonly Pull[] {
        return this.repo(owner, name).pulls;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    /** As a reviewer: merges a pull request through the API. */
    merge(
        owner: string,
        name: string,
        number: number,
        method = "merge",
    ): Promise<{ status: number; body: unknown }> {
        return this.request("PUT", `/repos/${owner}/${name}/pulls/${number}/merge`, { merge_method: method });
    }

    /** As a reviewer: closes a pull request without merging it. */
    close(owner: string, name: string, number: number): Promise<{ status: number; body: unknown }> {
        return this.request("PATCH", `/repos/${owner}/${name}/pulls/${number}`, { state: "closed" });
    }

    /** Any API call, with the token (what a person's client would send). */
    async request(
        method: string,
        apiPath: string,
        body?: unknown,
    ): Promise<{ status: number; body: unknown }> {
        const res = await fetch(`${this.apiUrl}${apiPath}`, {
            method,
            headers: {
                authorization: `token ${this.token}`,
                accept: "application/vnd.github+json",
                ...(body !== undefined ? { "content-type": "application/json" } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }

    // ---- the API ----

    private repo(owner: string, name: string): Repo {
        const key = `${owner}/${name}`.toLowerCase();
        let r = this.repos.get(key);
        if (!r) {
            if (!fs.existsSync(this.bare(owner, name))) {
                throw notFound();
            }
            r = { owner, name, id: this.nextId++, pulls: [], statuses: new Map(), createdAt: now() };
            this.repos.set(key, r);
        }
        return r;
    }

    private bare(owner: string, name: string): string {
        return path.join(this.root, owner, `${name}.git`);
    }

    private api(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (d: Buffer) => chunks.push(d));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://localhost");
            const apiPath = url.pathname.slice("/api/v3".length);
            const method = req.method ?? "GET";
            const auth = req.headers.authorization ?? "";
            const authorized = auth === `token ${this.token}` || auth === `Bearer ${this.token}`;
            const op = matchOperation(method, apiPath, operations);
            const call = { method, path: apiPath, operationId: op?.operationId, authorized, status: 0 };
            this.calls.push(call);
            const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
                call.status = status;
                if (op) {
                    for (const p of checkResponse(op, status, body)) {
                        this.problems.push(`${op.operationId} answered ${status}: ${p}`);
                    }
                }
                res.writeHead(status, {
                    "content-type": "application/json; charset=utf-8",
                    "x-github-request-id": `STANDIN:${this.calls.length}`,
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": "4999",
                    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
                    ...headers,
                });
                res.end(body === undefined ? undefined : JSON.stringify(body));
            };
            if (!authorized) {
                send(401, { message: "Bad credentials", documentation_url: docs, status: "401" });
                return;
            }
            if (this.limited.count > 0) {
                this.limited.count--;
                const reset = String(Math.floor(Date.now() / 1000) + 1);
                if (this.limited.kind === "primary") {
                    send(
                        403,
                        { message: "API rate limit exceeded for user.", documentation_url: docs },
                        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
                    );
                } else {
                    send(
                        403,
                        { message: "You have exceeded a secondary rate limit.", documentation_url: docs },
                        { "retry-after": "1" },
                    );
                }
                return;
            }
            if (!op) {
                this.problems.push(`${method} ${apiPath}: not an operation the stand-in serves`);
                send(404, { message: "Not Found", documentation_url: docs, status: "404" });
                return;
            }
            let body: unknown;
            try {
                body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
            } catch {
                send(400, { message: "Problems parsing JSON", documentation_url: docs, status: "400" });
                return;
            }
            const checked = checkRequest(op, url.searchParams, body);
            if (checked.problems.length > 0) {
                this.problems.push(...checked.problems.map((p) => `${op.operationId} request: ${p}`));
                send(422, {
                    message: "Invalid request.",
                    documentation_url: docs,
                    status: "422",
                    errors: checked.problems,
                });
                return;
            }
            try {
                const [status, answer] = this.handle(
                    op,
                    checked.query,
                    (body ?? {}) as Record<string, unknown>,
                );
                send(status, answer);
            } catch (e) {
                if (e instanceof HttpError) {
                    send(e.status, e.body);
                } else {
                    this.problems.push(`${op.operationId}: ${e instanceof Error ? e.message : String(e)}`);
                    send(500, { message: "Server Error", documentation_url: docs });
                }
            }
        });
    }

    private handle(
        op: MatchedOperation,
        query: Record<string, unknown>,
        body: Record<string, unknown>,
    ): [number, unknown] {
        const { owner, repo: name } = op.params;
        const repo = this.repo(owner, name);
        const dir = this.bare(owner, name);
        const key = `${op.operation.operationId}`;
        switch (key) {
            case "repos/get":
                return [200, this.fullRepository(repo)];
            case "git/get-ref": {
                const sha = this.resolve(dir, `refs/${op.params.ref}`);
                if (!sha) {
                    throw notFound();
                }
                return [200, this.gitRef(repo, op.params.ref, sha)];
            }
            case "git/delete-ref": {
                if (!this.resolve(dir, `refs/${op.params.ref}`)) {
                    throw new HttpError(422, {
                        message: "Reference does not exist",
                        documentation_url: docs,
                    });
                }
                git(dir, ["update-ref", "-d", `refs/${op.params.ref}`]);
                return [204, undefined];
            }
            case "pulls/list": {
                const state = (query.state as string | undefined) ?? "open";
                let list = repo.pulls.filter((p) => state === "all" || p.state === state);
                if (query.head) {
                    const [who, ref] = String(query.head).split(":");
                    list = list.filter((p) => who.toLowerCase() === owner.toLowerCase() && p.head === ref);
                }
                if (query.base) {
                    list = list.filter((p) => p.base === query.base);
                }
                list = [...list].sort((a, b) => a.number - b.number);
                if ((query.direction ?? (query.sort ? "desc" : "desc")) === "desc") {
                    list.reverse();
                }
                const perPage = (query.per_page as number | undefined) ?? 30;
                return [200, list.slice(0, perPage).map((p) => this.pullJson(repo, p, false))];
            }
            case "pulls/create":
                return [201, this.pullJson(repo, this.createPull(repo, dir, body), true)];
            case "pulls/get":
                return [200, this.pullJson(repo, this.pull(repo, op.params.pull_number), true)];
            case "pulls/update": {
                const p = this.pull(repo, op.params.pull_number);
                if (body.state === "open" && p.state === "closed") {
                    if (p.mergedAt) {
                        throw validation(
                            "PullRequest",
                            "state",
                            "custom",
                            "state cannot be changed. The pull request cannot be reopened.",
                        );
                    }
                    if (!this.resolve(dir, `refs/heads/${p.head}`)) {
                        throw validation(
                            "PullRequest",
                            "state",
                            "custom",
                            "state cannot be changed. The head branch was deleted.",
                        );
                    }
                    p.state = "open";
                    p.closedAt = null;
                } else if (body.state === "closed" && p.state === "open") {
                    p.state = "closed";
                    p.closedAt = now();
                }
                for (const f of ["title", "body", "base"] as const) {
                    if (typeof body[f] === "string") {
                        (p as unknown as Record<string, unknown>)[f] = body[f];
                    }
                }
                p.updatedAt = now();
                return [200, this.pullJson(repo, p, true)];
            }
            case "pulls/check-if-merged": {
                const p = this.pull(repo, op.params.pull_number);
                if (!p.mergedAt) {
                    throw notFound();
                }
                return [204, undefined];
            }
            case "pulls/merge":
                return [200, this.mergePull(repo, dir, this.pull(repo, op.params.pull_number), body)];
            case "repos/create-commit-status": {
                const sha = op.params.sha;
                if (!this.resolve(dir, `${sha}^{commit}`)) {
                    throw validation("Status", "sha", "invalid", `No commit found for SHA: ${sha}`);
                }
                const st: Status = {
                    id: this.nextId++,
                    state: String(body.state),
                    context: typeof body.context === "string" ? body.context : "default",
                    description: typeof body.description === "string" ? body.description : null,
                    target_url: typeof body.target_url === "string" ? body.target_url : null,
                    created_at: now(),
                    updated_at: now(),
                };
                const full = this.resolve(dir, `${sha}^{commit}`)!;
                repo.statuses.set(full, [st, ...(repo.statuses.get(full) ?? [])]);
                return [201, this.statusJson(repo, full, st)];
            }
            case "repos/list-commit-statuses-for-ref": {
                const sha = this.commit(dir, op.params.ref);
                return [200, (repo.statuses.get(sha) ?? []).map((s) => this.statusJson(repo, sha, s))];
            }
            case "repos/get-combined-status-for-ref": {
                const sha = this.commit(dir, op.params.ref);
                const latest = new Map<string, Status>();
                for (const s of repo.statuses.get(sha) ?? []) {
                    if (!latest.has(s.context)) {
                        latest.set(s.context, s);
                    }
                }
                const all = [...latest.values()];
                const state = all.some((s) => s.state === "failure" || s.state === "error")
                    ? "failure"
                    : all.length > 0 && all.every((s) => s.state === "success")
                      ? "success"
                      : "pending";
                const api = this.repoApi(repo);
                return [
                    200,
                    {
                        state,
                        statuses: all.map((s) => {
                            const { creator: _c, ...simple } = this.statusJson(repo, sha, s);
                            return simple;
                        }),
                        sha,
                        total_count: all.length,
                        repository: this.minimalRepository(repo),
                        commit_url: `${api}/commits/${sha}`,
                        url: `${api}/commits/${sha}/status`,
                    },
                ];
            }
            default:
                throw new Error(`no handler for ${key}`);
        }
    }

    private resolve(dir: string, rev: string): string | undefined {
        const out = git(dir, ["rev-parse", "--verify", "--quiet", rev], { ok: [1, 128] });
        return out || undefined;
    }

    /** The commit a ref or SHA names, or GitHub's 404. */
    private commit(dir: string, ref: string): string {
        const sha = this.resolve(dir, `${ref}^{commit}`);
        if (!sha) {
            throw notFound();
        }
        return sha;
    }

    private pull(repo: Repo, number: string): Pull {
        const p = repo.pulls.find((x) => x.number === Number(number));
        if (!p) {
            throw notFound();
        }
        return p;
    }

    private createPull(repo: Repo, dir: string, body: Record<string, unknown>): Pull {
        const head = String(body.head ?? "").replace(/^[^:]+:/, "");
        const base = String(body.base ?? "");
        if (!body.title) {
            throw validation("PullRequest", "title", "missing_field");
        }
        const headSha = this.resolve(dir, `refs/heads/${head}`);
        if (!headSha) {
            throw validation("PullRequest", "head", "invalid");
        }
        const baseSha = this.resolve(dir, `refs/heads/${base}`);
        if (!baseSha) {
            throw validation("PullRequest", "base", "invalid");
        }
        if (repo.pulls.some((p) => p.state === "open" && p.head === head && p.base === base)) {
            throw validation(
                "PullRequest",
                undefined,
                "custom",
                `A pull request already exists for ${repo.owner}:${head}.`,
            );
        }
        if (git(dir, ["rev-list", "--count", `${baseSha}..${headSha}`]) === "0") {
            throw validation("PullRequest", undefined, "custom", `No commits between ${base} and ${head}`);
        }
        const at = now();
        const p: Pull = {
            number: repo.pulls.length + 1,
            id: this.nextId++,
            title: String(body.title),
            body: typeof body.body === "string" ? body.body : null,
            head,
            base,
            state: "open",
            headSha,
            createdAt: at,
            updatedAt: at,
            closedAt: null,
            mergedAt: null,
            mergeCommitSha: null,
            mergedBy: null,
            mergedOnto: null,
        };
        repo.pulls.push(p);
        return p;
    }

    /** A real merge: done in a scratch clone with git itself, then pushed to the base branch. */
    private mergePull(repo: Repo, dir: string, p: Pull, body: Record<string, unknown>) {
        if (p.mergedAt || p.state !== "open") {
            throw new HttpError(405, { message: "Pull Request is not mergeable", documentation_url: docs });
        }
        const headSha = this.resolve(dir, `refs/heads/${p.head}`) ?? p.headSha;
        if (typeof body.sha === "string" && body.sha !== headSha) {
            throw new HttpError(409, {
                message: "Head branch was modified. Review and try the merge again.",
                documentation_url: docs,
            });
        }
        const baseSha = this.resolve(dir, `refs/heads/${p.base}`)!;
        const method = (body.merge_method as string | undefined) ?? "merge";
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "gh-merge-"));
        try {
            git(work, ["clone", "--quiet", "--no-checkout", dir, "."]);
            git(work, ["checkout", "--quiet", "-B", "merging", baseSha]);
            try {
                if (method === "merge") {
                    const message =
                        (body.commit_title as string | undefined) ??
                        `Merge pull request #${p.number} from ${repo.owner}/${p.head}`;
                    git(work, [
                        "merge",
                        "--no-ff",
                        "-m",
                        message,
                        "-m",
                        String(body.commit_message ?? p.title),
                        headSha,
                    ]);
                } else if (method === "squash") {
                    git(work, ["merge", "--squash", headSha]);
                    const messages = git(work, ["log", "--format=* %B", `${baseSha}..${headSha}`]);
                    git(work, ["commit", "--quiet", "-F", "-"], {
                        input: `${(body.commit_title as string | undefined) ?? `${p.title} (#${p.number})`}\n\n${(body.commit_message as string | undefined) ?? messages}\n`,
                    });
                } else {
                    git(work, ["checkout", "--quiet", "-B", "rebasing", headSha]);
                    git(work, ["rebase", "--quiet", baseSha]);
                    git(work, ["checkout", "--quiet", "-B", "merging", "rebasing"]);
                }
            } catch {
                throw new HttpError(405, {
                    message: "Pull Request is not mergeable",
                    documentation_url: docs,
                });
            }
            const merged = git(work, ["rev-parse", "HEAD"]);
            try {
                git(work, ["push", "--quiet", "origin", `merging:refs/heads/${p.base}`]);
            } catch {
                throw new HttpError(409, {
                    message: "Base branch was modified. Review and try the merge again.",
                    documentation_url: docs,
                });
            }
            const at = now();
            Object.assign(p, {
                state: "closed",
                headSha,
                mergedAt: at,
                closedAt: at,
                updatedAt: at,
                mergeCommitSha: merged,
                mergedBy: "reviewer",
                mergedOnto: baseSha,
            });
            return { sha: merged, merged: true, message: "Pull Request successfully merged" };
        } finally {
            fs.rmSync(work, { recursive: true, force: true });
        }
    }

    // ---- GitHub's shapes ----

    private web(repo: Repo): string {
        return `http://${this.host}/${repo.owner}/${repo.name}`;
    }

    private repoApi(repo: Repo): string {
        return `${this.apiUrl}/repos/${repo.owner}/${repo.name}`;
    }

    private user(login: string) {
        const api = `${this.apiUrl}/users/${login}`;
        return {
            login,
            id: login.length * 7919,
            node_id: Buffer.from(`User${login}`).toString("base64"),
            avatar_url: `http://${this.host}/avatars/${login}`,
            gravatar_id: "",
            url: api,
            html_url: `http://${this.host}/${login}`,
            followers_url: `${api}/followers`,
            following_url: `${api}/following{/other_user}`,
            gists_url: `${api}/gists{/gist_id}`,
            starred_url: `${api}/starred{/owner}{/repo}`,
            subscriptions_url: `${api}/subscriptions`,
            organizations_url: `${api}/orgs`,
            repos_url: `${api}/repos`,
            events_url: `${api}/events{/privacy}`,
            received_events_url: `${api}/received_events`,
            type: "User",
            site_admin: false,
        };
    }

    /** The `repository` shape: its URL templates follow GitHub's own (taken from the description's examples). */
    private minimalRepository(repo: Repo): Record<string, unknown> {
        const schema = componentSchema("repository") as { properties: Record<string, { example?: unknown }> };
        const out: Record<string, unknown> = {};
        for (const [k, prop] of Object.entries(schema.properties)) {
            if (
                k.endsWith("_url") &&
                typeof prop.example === "string" &&
                prop.example.includes("api.github.com/repos/")
            ) {
                out[k] = prop.example.replace(
                    /^https?:\/\/api\.github\.com\/repos\/octocat\/Hello-World/,
                    this.repoApi(repo),
                );
            }
        }
        return {
            ...out,
            id: repo.id,
            node_id: Buffer.from(`Repository${repo.id}`).toString("base64"),
            name: repo.name,
            full_name: `${repo.owner}/${repo.name}`,
            owner: this.user(repo.owner),
            private: true,
            html_url: this.web(repo),
            description: null,
            fork: false,
            url: this.repoApi(repo),
        };
    }

    private repository(repo: Repo): Record<string, unknown> {
        const dir = this.bare(repo.owner, repo.name);
        const head = git(dir, ["symbolic-ref", "--short", "HEAD"]);
        return {
            ...this.minimalRepository(repo),
            clone_url: this.url(repo.owner, repo.name),
            git_url: `git://${this.host}/${repo.owner}/${repo.name}.git`,
            ssh_url: `git@${this.host}:${repo.owner}/${repo.name}.git`,
            svn_url: this.web(repo),
            mirror_url: null,
            homepage: null,
            language: null,
            forks: 0,
            forks_count: 0,
            stargazers_count: 0,
            watchers: 0,
            watchers_count: 0,
            size: 1,
            default_branch: head,
            open_issues: repo.pulls.filter((p) => p.state === "open").length,
            open_issues_count: repo.pulls.filter((p) => p.state === "open").length,
            has_issues: true,
            has_projects: false,
            has_wiki: false,
            has_pages: false,
            has_downloads: true,
            archived: false,
            disabled: false,
            license: null,
            pushed_at: now(),
            created_at: repo.createdAt,
            updated_at: now(),
        };
    }

    private fullRepository(repo: Repo): Record<string, unknown> {
        return { ...this.repository(repo), has_discussions: false, network_count: 0, subscribers_count: 0 };
    }

    private gitRef(repo: Repo, ref: string, sha: string) {
        return {
            ref: `refs/${ref}`,
            node_id: Buffer.from(`Ref${ref}`).toString("base64"),
            url: `${this.repoApi(repo)}/git/refs/${ref}`,
            object: { type: "commit", sha, url: `${this.repoApi(repo)}/git/commits/${sha}` },
        };
    }

    private statusJson(repo: Repo, sha: string, s: Status) {
        return {
            url: `${this.repoApi(repo)}/statuses/${sha}`,
            avatar_url: null,
            id: s.id,
            node_id: Buffer.from(`Status${s.id}`).toString("base64"),
            state: s.state,
            description: s.description,
            target_url: s.target_url,
            context: s.context,
            created_at: s.created_at,
            updated_at: s.updated_at,
            creator: this.user(repo.owner),
        };
    }

    /** A pull request in GitHub's shape; `full` adds what only the single-pull-request form carries. */
    private pullJson(repo: Repo, p: Pull, full: boolean): Record<string, unknown> {
        const dir = this.bare(repo.owner, repo.name);
        const headSha = (p.mergedAt ? undefined : this.resolve(dir, `refs/heads/${p.head}`)) ?? p.headSha;
        p.headSha = headSha;
        const baseSha = this.resolve(dir, `refs/heads/${p.base}`)!;
        const api = `${this.repoApi(repo)}/pulls/${p.number}`;
        const web = `${this.web(repo)}/pull/${p.number}`;
        const issue = `${this.repoApi(repo)}/issues/${p.number}`;
        const repository = this.repository(repo);
        const side = (ref: string, sha: string) => ({
            label: `${repo.owner}:${ref}`,
            ref,
            sha,
            user: this.user(repo.owner),
            repo: repository,
        });
        const json: Record<string, unknown> = {
            url: api,
            id: p.id,
            node_id: Buffer.from(`PullRequest${p.id}`).toString("base64"),
            html_url: web,
            diff_url: `${web}.diff`,
            patch_url: `${web}.patch`,
            issue_url: issue,
            commits_url: `${api}/commits`,
            review_comments_url: `${api}/comments`,
            review_comment_url: `${this.repoApi(repo)}/pulls/comments{/number}`,
            comments_url: `${issue}/comments`,
            statuses_url: `${this.repoApi(repo)}/statuses/${headSha}`,
            number: p.number,
            state: p.state,
            locked: false,
            title: p.title,
            user: this.user(repo.owner),
            body: p.body,
            labels: [],
            milestone: null,
            active_lock_reason: null,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
            closed_at: p.closedAt,
            merged_at: p.mergedAt,
            merge_commit_sha: p.mergeCommitSha,
            assignee: null,
            assignees: [],
            requested_reviewers: [],
            requested_teams: [],
            head: side(p.head, headSha),
            base: side(p.base, baseSha),
            _links: {
                self: { href: api },
                html: { href: web },
                issue: { href: issue },
                comments: { href: `${issue}/comments` },
                review_comments: { href: `${api}/comments` },
                review_comment: { href: `${this.repoApi(repo)}/pulls/comments{/number}` },
                commits: { href: `${api}/commits` },
                statuses: { href: `${this.repoApi(repo)}/statuses/${headSha}` },
            },
            author_association: "OWNER",
            auto_merge: null,
            draft: false,
        };
        if (!full) {
            return json;
        }
        const open = p.state === "open";
        const clean = open ? git(dir, ["merge-tree", "--write-tree", baseSha, headSha], { ok: [1] }) : "";
        const conflicts = open && clean.split("\n").length > 1;
        const from = p.mergedOnto ?? baseSha;
        const range = `${from}...${headSha}`;
        const numstat = git(dir, ["diff", "--numstat", range])
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split("\t"));
        return {
            ...json,
            merged: p.mergedAt !== null,
            mergeable: open ? !conflicts : null,
            rebaseable: open ? !conflicts : null,
            mergeable_state: open ? (conflicts ? "dirty" : "clean") : "unknown",
            merged_by: p.mergedBy ? this.user(p.mergedBy) : null,
            comments: 0,
            review_comments: 0,
            maintainer_can_modify: false,
            commits: Number(git(dir, ["rev-list", "--count", `${from}..${headSha}`])),
            additions: numstat.reduce((n, [a]) => n + (Number(a) || 0), 0),
            deletions: numstat.reduce((n, [, d]) => n + (Number(d) || 0), 0),
            changed_files: numstat.length,
        };
    }
}

function validation(resource: string, field: string | undefined, code: string, message?: string): HttpError {
    return new HttpError(422, {
        message: "Validation Failed",
        errors: [{ resource, ...(field ? { field } : {}), code, ...(message ? { message } : {}) }],
        documentation_url: docs,
        status: "422",
    });
}
