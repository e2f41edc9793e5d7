import { spawn } from "child_process";
import * as fs from "fs";
import { EnvironmentError, entityName, InvalidInputError } from "../../model/errors";

/** Credentials for http(s) remotes, per host. Never put in URLs, arguments, logs or errors. */
export interface GitCredentials {
    /** Host (e.g. `github.com`, `127.0.0.1:8080`) to token. `*` applies to every host. */
    readonly tokens?: Readonly<Record<string, string>>;
}

/** Replaces every token in `text`, and any password written into a URL, with `***`. */
export function redact(text: string, credentials: GitCredentials | undefined): string {
    let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*):[^/@\s]*@/gi, "$1:***@");
    for (const token of Object.values(credentials?.tokens ?? {})) {
        if (token) {
            out = out.split(token).join("***");
        }
    }
    return out;
}

/** How messages and error contexts name a repository: `Repository "<url>"`, any password in it hidden. */
export function repositoryEntity(url: string): string {
    return entityName("Repository", redact(url, undefined));
}

/**
 * A git failure: the command (never a credential), git's exit code and its own words. An environment
 * problem (exit 3): the repository is unreachable, the token is refused, git is missing.
 */
export class GitError extends EnvironmentError {
    constructor(
        readonly args: readonly string[],
        /** Git's exit code; null when git could not be started. */
        readonly gitExitCode: number | null,
        readonly stderr: string,
        repoURL?: string,
        cause?: unknown,
    ) {
        const where = repoURL ? `${repositoryEntity(repoURL)}: ` : "";
        const words = stderr.trim().split("\n").slice(-3).join(" | ");
        super(
            gitExitCode === null
                ? `${where}cannot run git ${args[0] ?? ""}: ${words}`
                : `${where}git ${args.join(" ")} failed (exit ${gitExitCode}): ${words}`,
            { ...(repoURL ? { entity: repositoryEntity(repoURL) } : {}), ...(cause ? { cause } : {}) },
        );
        if (repoURL) {
            this.repoURL = redact(repoURL, undefined);
        }
    }

    /** The repository, any password in its URL hidden. */
    readonly repoURL?: string;
}

/**
 * Refuses a repository URL git would take for something else: one starting with `-` is read as an option
 * (git prints its usage), an empty one names nothing.
 */
export function checkRepoURL(url: string): void {
    if (url.trim() === "" || url.startsWith("-")) {
        throw new InvalidInputError(
            `${repositoryEntity(url)}: not a repository URL (it must not be empty or start with "-"); use https://host/owner/repo.git, git@host:owner/repo.git or file:///path`,
            { entity: repositoryEntity(url) },
        );
    }
}

function hostOf(url: string): string | undefined {
    const m = /^https?:\/\/(?:[^@/]*@)?([^/]+)/.exec(url);
    return m?.[1];
}

/** The token `credentials` hold for `url`'s host (or for every host), if any. */
export function tokenForURL(
    url: string | undefined,
    credentials: GitCredentials | undefined,
): string | undefined {
    const host = url ? hostOf(url) : undefined;
    return host ? (credentials?.tokens?.[host] ?? credentials?.tokens?.["*"]) : undefined;
}

/**
 * Environment for a git process talking to `url`: the token travels as an HTTP header set through
 * GIT_CONFIG_* variables (not visible in the process list, never in the URL), and git never prompts.
 */
export function gitEnv(url: string | undefined, credentials: GitCredentials | undefined): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        GIT_TERMINAL_PROMPT: "0",
        GIT_ASKPASS: "true",
        LC_ALL: "C",
    };
    const token = tokenForURL(url, credentials);
    if (token) {
        const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
        env.GIT_CONFIG_COUNT = "1";
        env.GIT_CONFIG_KEY_0 = "http.extraHeader";
        env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
    }
    return env;
}

export interface GitRunOptions {
    readonly cwd?: string;
    /** Default: this process's environment with LC_ALL=C. */
    readonly env?: NodeJS.ProcessEnv;
    readonly input?: string | Buffer;
    /** Redacted from every message. */
    readonly credentials?: GitCredentials;
    /** Named in errors. */
    readonly repoURL?: string;
    /** Accept these exit codes without throwing. */
    readonly okCodes?: readonly number[];
}

export interface GitBytes {
    readonly stdout: Buffer;
    readonly stderr: string;
    readonly code: number;
}

export interface GitResult {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/** Runs git, stdout as bytes; throws a {@link GitError} (redacted) unless it exits 0 (or an accepted code). */
export function gitBytes(args: readonly string[], opts: GitRunOptions = {}): Promise<GitBytes> {
    return new Promise((resolve, reject) => {
        const child = spawn("git", args, { cwd: opts.cwd, env: opts.env ?? { ...process.env, LC_ALL: "C" } });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const safeArgs = args.map((a) => redact(a, opts.credentials));
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        // A missing cwd or git binary: "error" fires and "close" may follow; settle once.
        let settled = false;
        child.on("error", (e) => {
            if (!settled) {
                settled = true;
                const why =
                    opts.cwd && !fs.existsSync(opts.cwd)
                        ? `the directory ${opts.cwd} does not exist`
                        : `${e.message}: install git and put it on PATH`;
                reject(new GitError(safeArgs, null, redact(why, opts.credentials), opts.repoURL, e));
            }
        });
        child.on("close", (code) => {
            if (settled) {
                return;
            }
            settled = true;
            const stdout = Buffer.concat(out);
            const stderr = redact(Buffer.concat(err).toString("utf8"), opts.credentials);
            if (code === 0 || (code !== null && opts.okCodes?.includes(code))) {
                resolve({ stdout, stderr, code: code ?? 0 });
            } else {
                reject(new GitError(safeArgs, code, stderr, opts.repoURL));
            }
        });
        // git may exit before reading its input (a bad revision): that EPIPE is not the error to report.
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input);
    });
}

/** Runs git; throws a {@link GitError} (redacted) unless it exits 0 (or an accepted code). */
export async function git(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
    const r = await gitBytes(args, opts);
    return { stdout: r.stdout.toString("utf8"), stderr: r.stderr, code: r.code };
}
