import { spawn } from "child_process";

/** A git failure, with the command (never a credential) and git's own words. */
export class GitError extends Error {
    constructor(
        readonly args: readonly string[],
        readonly exitCode: number | null,
        readonly stderr: string,
    ) {
        super(
            `git ${args.join(" ")} failed (exit ${exitCode}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
        );
        this.name = "GitError";
    }
}

/** Credentials for http(s) remotes, per host. Never put in URLs, arguments, logs or errors. */
export interface GitCredentials {
    /** Host (e.g. `github.com`, `127.0.0.1:8080`) to token. `*` applies to every host. */
    readonly tokens?: Readonly<Record<string, string>>;
}

/** Replaces every token in `text` with `***`. */
export function redact(text: string, credentials: GitCredentials | undefined): string {
    let out = text;
    for (const token of Object.values(credentials?.tokens ?? {})) {
        if (token) {
            out = out.split(token).join("***");
        }
    }
    return out;
}

function hostOf(url: string): string | undefined {
    const m = /^https?:\/\/(?:[^@/]*@)?([^/]+)/.exec(url);
    return m?.[1];
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
    const host = url ? hostOf(url) : undefined;
    const token = host ? (credentials?.tokens?.[host] ?? credentials?.tokens?.["*"]) : undefined;
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
    readonly env?: NodeJS.ProcessEnv;
    readonly input?: string | Buffer;
    readonly credentials?: GitCredentials;
    /** Accept these exit codes without throwing. */
    readonly okCodes?: readonly number[];
}

export interface GitResult {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/** Runs git; throws a {@link GitError} (redacted) unless it exits 0 (or an accepted code). */
export function git(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
        const child = spawn("git", args, { cwd: opts.cwd, env: opts.env ?? process.env });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", (e) => reject(new GitError(args, null, redact(e.message, opts.credentials))));
        child.on("close", (code) => {
            const stdout = Buffer.concat(out).toString("utf8");
            const stderr = redact(Buffer.concat(err).toString("utf8"), opts.credentials);
            if (code === 0 || (code !== null && opts.okCodes?.includes(code))) {
                resolve({ stdout, stderr, code: code ?? 0 });
            } else {
                reject(new GitError(args, code, stderr));
            }
        });
        if (opts.input !== undefined) {
            child.stdin.end(opts.input);
        } else {
            child.stdin.end();
        }
    });
}

/** Reads a blob as a Buffer (binary-safe). */
export function gitBlob(cwd: string, spec: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
        const child = spawn("git", ["cat-file", "blob", spec], { cwd, env: { ...process.env, LC_ALL: "C" } });
        const out: Buffer[] = [];
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0) {
                resolve(Buffer.concat(out));
            } else if (
                /does not exist|Not a valid object|bad file|path .* does not exist|not a blob/i.test(
                    stderr,
                ) ||
                code === 128
            ) {
                resolve(undefined);
            } else {
                reject(new GitError(["cat-file", "blob", spec], code, stderr));
            }
        });
    });
}

/** Runs git with `input` on stdin and returns stdout as bytes (for `cat-file --batch`). */
export function gitRaw(args: readonly string[], cwd: string, input: string): Promise<{ stdout: Buffer }> {
    return new Promise((resolve, reject) => {
        const child = spawn("git", args, { cwd, env: { ...process.env, LC_ALL: "C" } });
        const out: Buffer[] = [];
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve({ stdout: Buffer.concat(out) }) : reject(new GitError(args, code, stderr)),
        );
        child.stdin.end(input);
    });
}
