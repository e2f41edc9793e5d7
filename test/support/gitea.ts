import { spawn, spawnSync } from "child_process";
import type { ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/**
 * A real Gitea (built by scripts/provision-gitea.sh) on a loopback port, with a throwaway work directory and
 * SQLite database: the git host the pull-request tests run against, branch protection, merge rules and
 * webhook deliveries included. `GiteaServer.start()` migrates the database, creates an admin user with a token
 * of every scope, and starts `gitea web`; `stop()` ends its process group and removes the directory.
 */

/** The Gitea version the install step builds (scripts/provision-gitea.sh). */
export const giteaVersion = process.env.PROMOTIONS_GITEA_VERSION ?? "v1.27.3";

/** Where the install step put Gitea: `$PULUMI_PROMOTIONS_CACHE/gitea/<version>/` (or `PROMOTIONS_GITEA`). */
export function giteaHome(): string {
    if (process.env.PROMOTIONS_GITEA) {
        return path.dirname(process.env.PROMOTIONS_GITEA);
    }
    const cache =
        process.env.PULUMI_PROMOTIONS_CACHE ??
        path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-promotions");
    return path.join(cache, "gitea", giteaVersion);
}

/** The Gitea binary; throws, saying which command installs it, when it is not there. */
export function giteaBinary(): string {
    const home = giteaHome();
    const bin = process.env.PROMOTIONS_GITEA ?? path.join(home, "gitea");
    if (!fs.existsSync(bin) || !fs.existsSync(path.join(home, "templates"))) {
        throw new Error(
            `Gitea ${giteaVersion} is not installed at ${bin} (the pull-request tests run against a real Gitea): run 'bash scripts/provision-gitea.sh' (or 'bash scripts/install.sh'), which builds it from its Go module`,
        );
    }
    return bin;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** A pull request as Gitea's API returns it (the fields tests read). */
export interface GiteaPull {
    readonly number: number;
    readonly state: "open" | "closed";
    readonly merged: boolean;
    readonly title: string;
    readonly body: string;
    readonly html_url: string;
    readonly merge_commit_sha: string | null;
    readonly merged_by: { readonly login: string } | null;
    readonly head: { readonly ref: string; readonly sha: string };
    readonly base: { readonly ref: string };
}

/** A call to Gitea's API that failed: status and Gitea's answer. */
export class GiteaApiError extends Error {
    constructor(
        readonly status: number,
        readonly answer: string,
        what: string,
    ) {
        super(`Gitea ${what}: ${status} ${answer}`);
    }
}

export class GiteaServer {
    /** The admin's user name; every repository created without an owner belongs to it. */
    readonly admin = "promo-admin";

    private constructor(
        private readonly dir: string,
        private readonly child: ChildProcess,
        /** `http://127.0.0.1:<port>` */
        readonly url: string,
        /** The admin's token, with every scope. */
        readonly token: string,
        private readonly adminPassword: string,
        private readonly log: () => string,
    ) {}

    /** `127.0.0.1:<port>`: what Git tokens are keyed by. */
    get host(): string {
        return new URL(this.url).host;
    }

    /** `http://127.0.0.1:<port>/api/v1` */
    get apiUrl(): string {
        return `${this.url}/api/v1`;
    }

    /** The web (and clone) URL of a repository. */
    repoURL(owner: string, name: string): string {
        return `${this.url}/${owner}/${name}.git`;
    }

    static async start(): Promise<GiteaServer> {
        const bin = giteaBinary();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-gitea-"));
        try {
            const port = await freePort();
            const url = `http://127.0.0.1:${port}`;
            const config = path.join(dir, "custom", "conf", "app.ini");
            fs.mkdirSync(path.dirname(config), { recursive: true });
            fs.mkdirSync(path.join(dir, "home"));
            fs.writeFileSync(config, appIni(dir, port, url));
            const env = giteaEnv(dir);
            const cli = (args: string[]): string => {
                const r = spawnSync(bin, ["--work-path", dir, "--config", config, ...args], {
                    env,
                    encoding: "utf8",
                    timeout: 120_000,
                });
                if (r.status !== 0) {
                    throw new Error(`gitea ${args.slice(0, 3).join(" ")} failed: ${r.stderr || r.stdout}`);
                }
                return r.stdout;
            };
            cli(["migrate"]);
            const password = randomBytes(12).toString("hex");
            const created = cli([
                "admin",
                "user",
                "create",
                "--username",
                "promo-admin",
                "--password",
                password,
                "--email",
                "promo-admin@example.com",
                "--admin",
                "--must-change-password=false",
                "--access-token",
                "--access-token-name",
                "tests",
                "--access-token-scopes",
                "all",
            ]);
            const token = /Access token was successfully created\.\.\. (\S+)/.exec(created)?.[1];
            if (!token) {
                throw new Error(`gitea admin user create printed no token: ${created}`);
            }
            const logFile = path.join(dir, "gitea.out");
            const out = fs.openSync(logFile, "a");
            const child = spawn(
                bin,
                ["--work-path", dir, "--config", config, "web", "--port", String(port)],
                {
                    env,
                    cwd: dir,
                    detached: true,
                    stdio: ["ignore", out, out],
                },
            );
            fs.closeSync(out);
            const log = () => {
                const files = [logFile, path.join(dir, "log", "gitea.log")].filter((f) => fs.existsSync(f));
                return files
                    .map((f) => fs.readFileSync(f, "utf8").split("\n").slice(-30).join("\n"))
                    .join("\n");
            };
            const server = new GiteaServer(dir, child, url, token, password, log);
            await server.ready();
            return server;
        } catch (e) {
            fs.rmSync(dir, { recursive: true, force: true });
            throw e;
        }
    }

    /** Waits until the API answers (Gitea has migrated and listens), or fails with its log. */
    private async ready(): Promise<void> {
        const deadline = Date.now() + 120_000;
        for (;;) {
            if (this.child.exitCode !== null || this.child.signalCode !== null) {
                throw new Error(
                    `gitea web exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.log()}`,
                );
            }
            try {
                const res = await fetch(`${this.apiUrl}/version`, { signal: AbortSignal.timeout(2_000) });
                if (res.ok) {
                    return;
                }
            } catch {
                // not listening yet
            }
            if (Date.now() > deadline) {
                await this.stop();
                throw new Error(`gitea web did not answer within 120 s:\n${this.log()}`);
            }
            await new Promise((r) => setTimeout(r, 200));
        }
    }

    /** Ends Gitea's process group (it starts git processes of its own) and removes the work directory. */
    async stop(): Promise<void> {
        const child = this.child;
        if (child.exitCode === null && child.signalCode === null && child.pid) {
            const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
            try {
                process.kill(-child.pid, "SIGTERM");
            } catch {
                // already gone
            }
            const timer = setTimeout(() => {
                try {
                    process.kill(-child.pid!, "SIGKILL");
                } catch {
                    // already gone
                }
            }, 10_000);
            await exited;
            clearTimeout(timer);
        }
        if (!process.env.PROMOTIONS_KEEP_TEST_DIRS) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }

    /** Gitea's log lines (for assertion messages). */
    logTail(): string {
        return this.log();
    }

    /**
     * One API call as `token` (default: the admin's), or with `basic` credentials; its JSON answer. Throws a
     * {@link GiteaApiError} on a non-2xx answer.
     */
    async api<T = unknown>(
        method: string,
        apiPath: string,
        body?: unknown,
        auth: { token?: string; basic?: [string, string] } = {},
    ): Promise<T> {
        const headers: Record<string, string> = { Accept: "application/json" };
        if (auth.basic) {
            headers.Authorization = `Basic ${Buffer.from(auth.basic.join(":")).toString("base64")}`;
        } else {
            headers.Authorization = `token ${auth.token ?? this.token}`;
        }
        if (body !== undefined) {
            headers["Content-Type"] = "application/json";
        }
        const res = await fetch(`${this.apiUrl}${apiPath}`, {
            method,
            headers,
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (!res.ok) {
            throw new GiteaApiError(res.status, text, `${method} ${apiPath}`);
        }
        return (text === "" ? undefined : JSON.parse(text)) as T;
    }

    /**
     * A user (not an admin) and a token of theirs with `scopes` (e.g. `["write:repository"]`; `[]` makes a
     * token Gitea issues with no scope at all). Returns the token.
     */
    async createUser(name: string, scopes: readonly string[] = ["all"]): Promise<string> {
        const password = randomBytes(12).toString("hex");
        await this.api("POST", "/admin/users", {
            username: name,
            email: `${name}@example.com`,
            password,
            must_change_password: false,
        });
        return this.createToken(name, password, scopes);
    }

    /** Another token for the admin, with `scopes`. */
    adminToken(scopes: readonly string[]): Promise<string> {
        return this.createToken(this.admin, this.adminPassword, scopes);
    }

    private async createToken(user: string, password: string, scopes: readonly string[]): Promise<string> {
        const made = await this.api<{ sha1: string }>(
            "POST",
            `/users/${user}/tokens`,
            { name: `t-${randomBytes(4).toString("hex")}`, scopes },
            { basic: [user, password] },
        );
        return made.sha1;
    }

    /** Gives `user` `permission` (read, write, admin) on a repository. */
    async addCollaborator(owner: string, repo: string, user: string, permission = "write"): Promise<void> {
        await this.api("PUT", `/repos/${owner}/${repo}/collaborators/${user}`, { permission });
    }

    /**
     * A repository of the admin's with `files` as its first commit on `main`, and a working clone to act as
     * people pushing changes.
     */
    async createRepo(name: string, files: Record<string, string>): Promise<GiteaRepo> {
        await this.api("POST", "/user/repos", { name, default_branch: "main", private: false });
        const work = fs.mkdtempSync(path.join(this.dir, `work-${name}-`));
        const repo = new GiteaRepo(this, this.admin, name, work);
        repo.git(["init", "--quiet", "--initial-branch=main"]);
        repo.git(["remote", "add", "origin", this.repoURL(this.admin, name)]);
        repo.commit(files, "initial commit");
        return repo;
    }

    /**
     * Protects `branch`: merges need every status in `contexts` successful on the pull request's head
     * (Gitea's "Enable Status Check"), and nobody pushes to it directly but through pull requests, unless
     * `pushers` are listed.
     */
    async protectBranch(
        owner: string,
        repo: string,
        branch: string,
        opts: { readonly requiredChecks?: readonly string[]; readonly pushers?: readonly string[] } = {},
    ): Promise<void> {
        const checks = opts.requiredChecks ?? [];
        await this.api("POST", `/repos/${owner}/${repo}/branch_protections`, {
            rule_name: branch,
            enable_push: (opts.pushers ?? []).length > 0,
            enable_push_whitelist: (opts.pushers ?? []).length > 0,
            push_whitelist_usernames: opts.pushers ?? [],
            enable_status_check: checks.length > 0,
            status_check_contexts: checks,
        });
    }

    /** Writes a commit status, as an outside CI does (as `token`, default the admin's). */
    async setStatus(
        owner: string,
        repo: string,
        sha: string,
        status: { state: "pending" | "success" | "failure" | "error"; context: string; description?: string },
        token?: string,
    ): Promise<void> {
        await this.api("POST", `/repos/${owner}/${repo}/statuses/${sha}`, status, token ? { token } : {});
    }

    /** The latest status of each context on a commit (Gitea's combined status; it names the state `status`). */
    async statuses(
        owner: string,
        repo: string,
        sha: string,
    ): Promise<{ state: string; context: string; description: string }[]> {
        const combined = await this.api<{
            statuses: { status: string; context: string; description: string }[] | null;
        }>("GET", `/repos/${owner}/${repo}/commits/${sha}/status`);
        return (combined.statuses ?? []).map((s) => ({
            state: s.status,
            context: s.context,
            description: s.description,
        }));
    }

    /** Every pull request of a repository, oldest first, each read on its own (the list leaves out `merged_by`). */
    async pulls(owner: string, repo: string): Promise<GiteaPull[]> {
        const all = await this.api<GiteaPull[]>("GET", `/repos/${owner}/${repo}/pulls?state=all&limit=50`);
        const full = await Promise.all(
            all.map((p) => this.api<GiteaPull>("GET", `/repos/${owner}/${repo}/pulls/${p.number}`)),
        );
        return full.sort((a, b) => a.number - b.number);
    }

    /** Closes a pull request without merging, as `token`'s user (a person). */
    async closePull(owner: string, repo: string, number: number, token?: string): Promise<void> {
        await this.api(
            "PATCH",
            `/repos/${owner}/${repo}/pulls/${number}`,
            { state: "closed" },
            token ? { token } : {},
        );
    }

    /** A webhook on a repository delivering `events` to `url`, signed with `secret`. */
    async addWebhook(
        owner: string,
        repo: string,
        url: string,
        secret: string,
        events: readonly string[] = ["push"],
    ): Promise<number> {
        const hook = await this.api<{ id: number }>("POST", `/repos/${owner}/${repo}/hooks`, {
            type: "gitea",
            active: true,
            events,
            config: { url, content_type: "json", secret },
        });
        return hook.id;
    }

    /** Polls `fn` until it returns a value other than undefined (at most `timeoutMs`). */
    async until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const v = await fn();
            if (v !== undefined) {
                return v;
            }
            if (Date.now() > deadline) {
                throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
            }
            await new Promise((r) => setTimeout(r, 200));
        }
    }
}

/** A working clone of a Gitea repository, pushing as the admin (token over HTTP basic auth). */
export class GiteaRepo {
    constructor(
        readonly server: GiteaServer,
        readonly owner: string,
        readonly name: string,
        readonly work: string,
    ) {}

    /** The clone URL applications use (no credentials in it). */
    get url(): string {
        return this.server.repoURL(this.owner, this.name);
    }

    git(args: string[]): string {
        const basic = Buffer.from(`${this.server.admin}:${this.server.token}`).toString("base64");
        const r = spawnSync("git", args, {
            cwd: this.work,
            encoding: "utf8",
            env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                HOME: this.work,
                LC_ALL: "C",
                GIT_TERMINAL_PROMPT: "0",
                GIT_AUTHOR_NAME: "dev",
                GIT_AUTHOR_EMAIL: "dev@example.com",
                GIT_COMMITTER_NAME: "dev",
                GIT_COMMITTER_EMAIL: "dev@example.com",
                GIT_CONFIG_COUNT: "1",
                GIT_CONFIG_KEY_0: `http.${this.server.url}/.extraheader`,
                GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
            },
        });
        if (r.status !== 0) {
            throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
        }
        return r.stdout.trim();
    }

    private pull(): void {
        if (this.git(["ls-remote", "origin", "refs/heads/main"]) !== "") {
            this.git(["fetch", "--quiet", "origin", "main"]);
            this.git(["reset", "--quiet", "--hard", "FETCH_HEAD"]);
        }
    }

    /** Writes files and pushes one commit to main; returns its SHA. */
    commit(files: Record<string, string>, message: string): string {
        this.pull();
        for (const [file, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(this.work, file)), { recursive: true });
            fs.writeFileSync(path.join(this.work, file), content);
        }
        this.git(["add", "-A"]);
        this.git(["commit", "--quiet", "-m", message]);
        this.git(["push", "--quiet", "origin", "HEAD:main"]);
        return this.git(["rev-parse", "HEAD"]);
    }

    /** Edits one file in place and pushes. */
    edit(file: string, edit: (text: string) => string, message = `edit ${file}`): string {
        this.pull();
        const text = fs.readFileSync(path.join(this.work, file), "utf8");
        return this.commit({ [file]: edit(text) }, message);
    }

    /** A file as main has it on Gitea now. */
    read(file: string): string {
        this.pull();
        return fs.readFileSync(path.join(this.work, file), "utf8");
    }

    /** main's tip on Gitea. */
    tip(): string {
        return this.git(["ls-remote", "origin", "refs/heads/main"]).split(/\s/)[0];
    }

    /** Commits on main, newest first. */
    log(): { sha: string; subject: string }[] {
        this.pull();
        return this.git(["log", "--format=%H%x01%s", "main"])
            .split("\n")
            .filter(Boolean)
            .map((l) => {
                const [sha, subject] = l.split("\x01");
                return { sha, subject };
            });
    }
}

/** Only what Gitea needs: PATH for git, a throwaway HOME, the work dir, and the user it runs as. */
function giteaEnv(dir: string): NodeJS.ProcessEnv {
    return {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: path.join(dir, "home"),
        USER: os.userInfo().username,
        GITEA_WORK_DIR: dir,
        LC_ALL: "C",
    };
}

/**
 * The configuration of a throwaway instance: SQLite in the work dir, no mailer, no SSH, no registration,
 * webhooks allowed to loopback (Gitea refuses them by default), templates and options read from the install
 * step's directory (the binary is built without bindata).
 */
function appIni(dir: string, port: number, url: string): string {
    const user = os.userInfo();
    return `APP_NAME = promotions-tests
RUN_MODE = prod
RUN_USER = ${user.username}
WORK_PATH = ${dir}
${user.uid === 0 ? "I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true\n" : ""}
[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
ROOT_URL = ${url}/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = ${giteaHome()}
APP_DATA_PATH = ${path.join(dir, "data")}

[database]
DB_TYPE = sqlite3
PATH = ${path.join(dir, "data", "gitea.db")}
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = ${path.join(dir, "repositories")}
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = ${randomBytes(24).toString("hex")}
PASSWORD_HASH_ALGO = pbkdf2

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
DEFAULT_KEEP_EMAIL_PRIVATE = true

[mailer]
ENABLED = false

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 10

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[picture]
DISABLE_GRAVATAR = true
ENABLE_FEDERATED_AVATAR = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[cron.update_checker]
ENABLED = false

[log]
MODE = file
LEVEL = Info
ROOT_PATH = ${path.join(dir, "log")}
`;
}
