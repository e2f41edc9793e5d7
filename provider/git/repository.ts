import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { InvalidInputError } from "../../model/errors";
import type { GitCredentials, GitRunOptions } from "./git";
import type { BatchReader } from "./batchReader";
import { batchReader, closeBatchReader } from "./batchReader";
import { PlanMemo } from "../planMemo";
import { checkRepoURL, git, gitEnv, GitError, repositoryEntity, tokenForURL } from "./git";
import type { TreeEntry } from "./objects";
import { formatTree, gitTimestamp, parseTree, treeMode, writeObject } from "./objects";
import { retry } from "./retry";

/** Who commits promotions. */
export interface Signature {
    readonly name: string;
    readonly email: string;
}

export const defaultSignature: Signature = { name: "pulumi-promotions", email: "promotions@localhost" };

export interface CommitInfo {
    readonly sha: string;
    readonly author: string;
    readonly message: string;
    readonly date: string;
}

/** Files to write (content) or delete (null), relative to the repository root. */
export type FileChanges = ReadonlyMap<string, Buffer | null>;

const locks = new Map<string, Promise<unknown>>();
/**
 * One Repository per clone and token in a process, so what it knows about the remote is shared; a caller
 * with other credentials gets its own (its token is the one its git commands send).
 */
const instances = new Map<string, Repository>();

/** Runs `fn` after every earlier call for the same key has finished (one process). */
export function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    locks.set(
        key,
        next.catch(() => undefined),
    );
    return next;
}

/** Written last into a clone being made: a cache entry without it is half made (a killed process) and rebuilt. */
export const readyMarker = "promotions-ready";

/** How fetches that meet another process's ref lock are retried. */
const fetchRetry = { attempts: 4, baseMs: 200, maxMs: 2_000 } as const;

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Removes what killed processes left beside `dir`: their unfinished clones and entries set aside. */
function sweepLeftovers(dir: string): void {
    const parent = path.dirname(dir);
    const prefix = `${path.basename(dir)}.`;
    let names: string[];
    try {
        names = fs.readdirSync(parent);
    } catch {
        return;
    }
    for (const name of names) {
        const m = /^(?:tmp|broken)-(\d+)-/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : "");
        if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
            fs.rmSync(path.join(parent, name), { recursive: true, force: true });
        }
    }
}

function unique(dir: string, kind: "tmp" | "broken"): string {
    return `${dir}.${kind}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

function isRenameConflict(e: unknown): boolean {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOTEMPTY" || code === "EEXIST" || code === "EISDIR";
}

/**
 * Makes the clone of `url` at `dir` if there is no complete one: built in a temporary directory beside it and
 * renamed into place, so `dir` is either absent or complete. Another process that wins the rename race wins:
 * its clone is used. A half-made entry (no {@link readyMarker}, e.g. left by a killed process before clones
 * were made this way) is set aside and rebuilt.
 */
export async function ensureClone(url: string, dir: string): Promise<boolean> {
    checkRepoURL(url);
    if (fs.existsSync(path.join(dir, readyMarker))) {
        return false;
    }
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    sweepLeftovers(dir);
    const tmp = unique(dir, "tmp");
    try {
        await git(["init", "--bare", "--quiet", tmp], { repoURL: url });
        await git(["remote", "add", "origin", url], { cwd: tmp, repoURL: url });
        await git(["config", "gc.auto", "0"], { cwd: tmp, repoURL: url });
        fs.writeFileSync(path.join(tmp, readyMarker), `${url}\n`);
        for (;;) {
            try {
                fs.renameSync(tmp, dir);
                return true;
            } catch (e) {
                if (!isRenameConflict(e)) {
                    throw e;
                }
            }
            if (fs.existsSync(path.join(dir, readyMarker))) {
                return true; // another process made it first: use theirs
            }
            // Half made: set it aside (a unique name, so two repairers never delete each other's) and retry.
            const aside = unique(dir, "broken");
            try {
                fs.renameSync(dir, aside);
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
                    throw e;
                }
            }
            fs.rmSync(aside, { recursive: true, force: true });
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * A bare clone of one remote in the clone cache: fetched, never re-cloned. Commits are made without a work
 * tree (hash-object, a private index, write-tree, commit-tree), so concurrent promotions into one clone never
 * step on each other; only fetches are serialised.
 */
export class Repository {
    private defaultBranch?: string;
    /** When this process last synchronised each branch with the remote (fetched, or pushed to it). */
    private readonly synced = new Map<string, number>();
    /** A fetch asked for and not started yet: whoever asks now is served by it. */
    private queuedFetch?: Promise<void>;

    private constructor(
        readonly url: string,
        readonly dir: string,
        private readonly credentials: GitCredentials | undefined,
    ) {}

    /** What planning found in this repository's files, kept between commands (see planMemo.ts). */
    planMemo(): PlanMemo {
        return PlanMemo.at(path.join(this.dir, "promotions-plan-memo"));
    }

    /** Where the clone of `url` lives under `cacheDir`. */
    static dirFor(cacheDir: string, url: string): string {
        const slug = url
            .replace(/^[a-z]+:\/\//, "")
            .replace(/[^A-Za-z0-9._-]+/g, "_")
            .slice(-60);
        return path.join(
            cacheDir,
            `${slug}-${createHash("sha1").update(url).digest("hex").slice(0, 10)}.git`,
        );
    }

    /**
     * Opens (creating or repairing if needed) the cached clone of `url`. Call {@link fetch} before reading.
     * Git commands that reach the remote send the token `credentials` hold for its host. Throws
     * InvalidInputError for a URL git would misread, GitError (exit 3) when the clone cannot be made.
     */
    static async open(url: string, cacheDir: string, credentials?: GitCredentials): Promise<Repository> {
        checkRepoURL(url);
        const dir = Repository.dirFor(cacheDir, url);
        const token = tokenForURL(url, credentials);
        const key = `${dir}\0${token ? createHash("sha256").update(token).digest("hex") : ""}`;
        if (
            !fs.existsSync(path.join(dir, readyMarker)) &&
            (await serialized(dir, () => ensureClone(url, dir)))
        ) {
            // A new clone knows nothing yet: forget what this process knew of the one it replaces.
            closeBatchReader(dir);
            for (const k of [...instances.keys()].filter((k) => k.startsWith(`${dir}\0`))) {
                instances.delete(k);
            }
        }
        const known = instances.get(key);
        if (known) {
            return known;
        }
        const repo = new Repository(url, dir, credentials);
        instances.set(key, repo);
        return repo;
    }

    private env(): NodeJS.ProcessEnv {
        return gitEnv(this.url, this.credentials);
    }

    /** Options for git commands that reach the remote. */
    private remote(): GitRunOptions {
        return { cwd: this.dir, env: this.env(), credentials: this.credentials, repoURL: this.url };
    }

    /** Reads objects of the clone (one long-lived git process per clone). */
    private reader(): BatchReader {
        return batchReader(this.dir, this.url);
    }

    /** Options for git commands that only read or write the clone. */
    private local(extra: Omit<GitRunOptions, "cwd" | "repoURL"> = {}): GitRunOptions {
        return { cwd: this.dir, repoURL: this.url, ...extra };
    }

    /**
     * Fetches unless this process synchronised `branch` within `maxAgeMs` (its own pushes keep it current;
     * a push that finds the branch moved fetches before retrying).
     */
    async fetchIfStale(branch: string, maxAgeMs: number): Promise<void> {
        const at = this.synced.get(branch);
        if (at === undefined || Date.now() - at > maxAgeMs) {
            await this.fetch();
        }
    }

    /** When this process last synchronised `branch` with the remote (a fetch's start, or a push), if it did. */
    syncedAt(branch: string): number | undefined {
        return this.synced.get(branch);
    }

    /**
     * Fetches every branch into refs/remotes/origin/*. Callers asking while another fetch of this clone is queued
     * (not started yet) share that one: it starts after they asked, so what it brings is as fresh as their own.
     */
    fetch(): Promise<void> {
        this.queuedFetch ??= this.fetchNow();
        return this.queuedFetch;
    }

    private async fetchNow(): Promise<void> {
        const started = Date.now();
        await serialized(this.dir, () => {
            this.queuedFetch = undefined;
            return retry(
                () =>
                    git(["fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*"], {
                        ...this.remote(),
                        // No `git maintenance run --auto` after each fetch (gc.auto is 0 in the cache anyway).
                        env: withConfig(this.env(), "maintenance.auto", "false"),
                    }),
                {
                    ...fetchRetry,
                    // Another process may be fetching into the same clone (a ref lock); try again shortly.
                    retryIf: (e) => e instanceof GitError && /lock|cannot lock/i.test(e.stderr),
                },
            );
        });
        for (const b of await this.remoteBranches()) {
            this.synced.set(b, started);
        }
    }

    private async remoteBranches(): Promise<string[]> {
        const { stdout } = await git(
            ["for-each-ref", "--format=%(refname:lstrip=3)", "refs/remotes/origin/"],
            this.local(),
        );
        return stdout.split("\n").filter(Boolean);
    }

    /** The branch a `targetRevision` names: itself, or the remote's default branch for `HEAD`. */
    async branchFor(targetRevision: string): Promise<string> {
        if (targetRevision !== "HEAD") {
            return targetRevision.replace(/^refs\/heads\//, "");
        }
        if (!this.defaultBranch) {
            const { stdout } = await git(["ls-remote", "--symref", "origin", "HEAD"], this.remote());
            const m = /^ref: refs\/heads\/(\S+)\s+HEAD/m.exec(stdout);
            if (!m) {
                throw new InvalidInputError(
                    `${repositoryEntity(this.url)}: cannot tell the default branch (the remote has no HEAD); set targetRevision to a branch`,
                    { entity: repositoryEntity(this.url) },
                );
            }
            this.defaultBranch = m[1];
        }
        return this.defaultBranch;
    }

    /** The fetched tip of a branch, or undefined if the remote has no such branch. */
    async tip(branch: string): Promise<string | undefined> {
        const o = await this.reader().read(`refs/remotes/origin/${branch}^{commit}`);
        return o?.type === "commit" ? o.oid : undefined;
    }

    /** Resolves a commit-ish (a SHA or prefix) that the clone has. */
    async resolveCommit(rev: string): Promise<string | undefined> {
        const r = await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], {
            ...this.local(),
            okCodes: [1],
        });
        return r.code === 0 ? r.stdout.trim() : undefined;
    }

    /** Commits after `from` up to `to` that touch `dir`, oldest first. */
    async commitsBetween(from: string, to: string, dir: string): Promise<string[]> {
        const spec = dir === "." || dir === "" ? [] : ["--", dir.replace(/\/$/, "")];
        const { stdout } = await git(["rev-list", "--reverse", `${from}..${to}`, ...spec], this.local());
        return stdout.split("\n").filter(Boolean);
    }

    /** True if `ancestor` is `descendant` or one of its ancestors. */
    async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
        const r = await git(["merge-base", "--is-ancestor", ancestor, descendant], {
            ...this.local(),
            okCodes: [1, 128],
        });
        return r.code === 0;
    }

    /** A file's bytes at `commit`; undefined when there is no such file (or it is a directory). */
    async readFile(commit: string, file: string): Promise<Buffer | undefined> {
        const o = await this.reader().read(`${commit}:${file}`);
        return o?.type === "blob" ? o.content : undefined;
    }

    /** Several files at one commit (missing files are absent from the map), read through one git process. */
    async readFiles(commit: string, files: readonly string[]): Promise<Map<string, Buffer>> {
        const read = await Promise.all(files.map((f) => this.readFile(commit, f)));
        const out = new Map<string, Buffer>();
        files.forEach((f, i) => {
            const bytes = read[i];
            if (bytes !== undefined) {
                out.set(f, bytes);
            }
        });
        return out;
    }

    /**
     * What each of `paths` is at `commit` (`tree` for a directory, `blob` for a file), read through one git
     * process; paths that do not exist are absent from the map.
     */
    async objectTypes(commit: string, paths: readonly string[]): Promise<Map<string, string>> {
        const spec = (p: string) => `${commit}:${p === "." ? "" : p.replace(/\/$/, "")}`;
        const read = await Promise.all(paths.map((p) => this.reader().read(spec(p))));
        const out = new Map<string, string>();
        paths.forEach((p, i) => {
            const type = read[i]?.type;
            if (type === "tree" || type === "blob" || type === "commit") {
                out.set(p, type);
            }
        });
        return out;
    }

    /** Files under `dir` at `commit` (paths relative to the repository root). */
    async listFiles(commit: string, dir: string): Promise<string[]> {
        const spec = dir === "." || dir === "" ? [] : ["--", dir.replace(/\/$/, "")];
        const { stdout } = await git(["ls-tree", "-r", "--name-only", "-z", commit, ...spec], {
            ...this.local(),
        });
        return stdout.split("\0").filter(Boolean);
    }

    /**
     * Which of `paths` (files, or directories searched recursively; "." for all) are symbolic links at `commit`.
     * Each path's entry is looked up in its parent directory's tree (read through the clone's one git process);
     * only directories are listed.
     */
    async symlinks(commit: string, paths: readonly string[]): Promise<Set<string>> {
        if (paths.some((p) => p === "." || p === "")) {
            return this.listSymlinks(commit, paths);
        }
        const out = new Set<string>();
        const dirs: string[] = [];
        await Promise.all(
            paths.map(async (p) => {
                const full = p.replace(/\/$/, "");
                const slash = full.lastIndexOf("/");
                const tree = await this.reader().read(`${commit}:${full.slice(0, Math.max(slash, 0))}`);
                const mode = tree?.type === "tree" ? treeEntryMode(tree, full.slice(slash + 1)) : undefined;
                if (mode === "120000") {
                    out.add(full);
                } else if (mode === "40000") {
                    dirs.push(full);
                }
            }),
        );
        for (const link of await this.listSymlinks(commit, dirs)) {
            out.add(link);
        }
        return out;
    }

    /** The symbolic links under `paths` at `commit`, listed by `git ls-tree -r`. */
    private async listSymlinks(commit: string, paths: readonly string[]): Promise<Set<string>> {
        const out = new Set<string>();
        if (paths.length === 0) {
            return out;
        }
        const spec = paths.some((p) => p === "." || p === "")
            ? []
            : ["--", ...paths.map((p) => p.replace(/\/$/, ""))];
        const { stdout } = await git(["ls-tree", "-r", "-z", commit, ...spec], { cwd: this.dir });
        for (const entry of stdout.split("\0")) {
            const m = /^120000 blob [0-9a-f]+\t(.*)$/s.exec(entry);
            if (m) {
                out.add(m[1]);
            }
        }
        return out;
    }

    async commitInfo(sha: string): Promise<CommitInfo> {
        const { stdout } = await git(["show", "-s", "--format=%H%x00%an <%ae>%x00%aI%x00%B", sha], {
            ...this.local(),
        });
        const [full, author, date, ...message] = stdout.split("\0");
        return { sha: full, author, date, message: message.join("\0").trim() };
    }

    /** The unified diff between two commits (for people to read, e.g. a pull request's description). */
    async diff(from: string, to: string): Promise<string> {
        const { stdout } = await git(["diff", "--no-color", "--no-ext-diff", from, to], this.local());
        return stdout;
    }

    /** The newest commit on `branch` whose message has every given trailer, if any. */
    async findCommit(
        branch: string,
        trailers: Readonly<Record<string, string>>,
    ): Promise<string | undefined> {
        const tip = await this.tip(branch);
        if (!tip) {
            return undefined;
        }
        const greps = Object.entries(trailers).flatMap(([k, v]) => [
            "--grep",
            `^${k}: ${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
        ]);
        const { stdout } = await git(["log", "--format=%H", "--all-match", "-n", "1", ...greps, tip], {
            ...this.local(),
        });
        return stdout.trim() || undefined;
    }

    /**
     * Creates a commit on top of `parent` with the given file changes; nothing is pushed. The objects are written
     * by this process (no git process per commit); with GIT_AUTHOR_DATE or GIT_COMMITTER_DATE set, or in a
     * repository whose object ids are not SHA-1, git itself writes them.
     */
    async commit(
        parent: string,
        changes: FileChanges,
        message: string,
        signature: Signature = defaultSignature,
    ): Promise<string> {
        if (parent.length !== 40 || process.env.GIT_AUTHOR_DATE || process.env.GIT_COMMITTER_DATE) {
            return this.commitWithIndex(parent, changes, message, signature);
        }
        const commit = await this.reader().read(parent);
        const root =
            commit?.type === "commit"
                ? /^tree ([0-9a-f]{40})$/m.exec(commit.content.toString("latin1"))
                : null;
        if (!root) {
            throw new GitError(["commit"], null, `${parent} is not a commit of the clone`, this.url);
        }
        const tree =
            (await this.writeTree(
                root[1],
                [...changes].map(([file, content]) => ({ parts: file.split("/"), content })),
            )) ?? writeObject(this.dir, "tree", Buffer.alloc(0));
        const who = (s: Signature) => `${s.name} <${s.email}> ${gitTimestamp()}`;
        const body = `tree ${tree}\nparent ${parent}\nauthor ${who(signature)}\ncommitter ${who(signature)}\n\n${message}`;
        return writeObject(this.dir, "commit", Buffer.from(body, "utf8"));
    }

    /**
     * Writes the tree `oid` (undefined: none yet) with `changes` (paths relative to it, split) applied, and its
     * changed subtrees; returns its id, or undefined when nothing is left in it (git keeps no empty trees).
     */
    private async writeTree(
        oid: string | undefined,
        changes: readonly { readonly parts: readonly string[]; readonly content: Buffer | null }[],
    ): Promise<string | undefined> {
        const read = oid ? await this.reader().read(oid) : undefined;
        const entries = new Map<string, TreeEntry>(
            (read?.type === "tree" ? parseTree(read.content) : []).map((e) => [e.name, e]),
        );
        const below = new Map<string, { parts: readonly string[]; content: Buffer | null }[]>();
        for (const c of changes) {
            const name = Buffer.from(c.parts[0], "utf8").toString("latin1");
            if (c.parts.length > 1) {
                below.set(name, [
                    ...(below.get(name) ?? []),
                    { parts: c.parts.slice(1), content: c.content },
                ]);
                continue;
            }
            const existing = entries.get(name);
            if (c.content === null) {
                entries.delete(name);
                continue;
            }
            const mode =
                existing && /^(100644|100755|120000)$/.test(existing.mode) ? existing.mode : "100644";
            entries.set(name, { mode, name, oid: writeObject(this.dir, "blob", c.content) });
        }
        for (const [name, sub] of below) {
            const existing = entries.get(name);
            const written = await this.writeTree(existing?.mode === treeMode ? existing.oid : undefined, sub);
            if (written) {
                entries.set(name, { mode: treeMode, name, oid: written });
            } else {
                entries.delete(name);
            }
        }
        return entries.size > 0
            ? writeObject(this.dir, "tree", formatTree([...entries.values()]))
            : undefined;
    }

    /** {@link commit} through git's own commands (a private index, hash-object, write-tree, commit-tree). */
    async commitWithIndex(
        parent: string,
        changes: FileChanges,
        message: string,
        signature: Signature = defaultSignature,
    ): Promise<string> {
        const index = path.join(
            this.dir,
            `promotions-index-${process.pid}-${Math.random().toString(36).slice(2)}`,
        );
        const env = { ...process.env, GIT_INDEX_FILE: index, LC_ALL: "C" };
        const blobs = `${index}.blobs`;
        try {
            await git(["read-tree", parent], this.local({ env }));
            // Every new file's blob in one `hash-object` (from files beside the index) and every mode in one
            // `ls-tree`: a commit costs the same few git processes whatever the number of files it changes.
            const written = [...changes].filter((c): c is [string, Buffer] => c[1] !== null);
            const ids = new Map<string, string>();
            const modes = new Map<string, string>();
            if (written.length > 0) {
                fs.mkdirSync(blobs);
                const files = written.map(([, content], i) => {
                    const file = path.join(blobs, String(i));
                    fs.writeFileSync(file, content);
                    return file;
                });
                const { stdout } = await git(["hash-object", "-w", "--no-filters", "--stdin-paths"], {
                    ...this.local(),
                    input: files.join("\n") + "\n",
                });
                stdout
                    .split("\n")
                    .filter(Boolean)
                    .forEach((id, i) => ids.set(written[i][0], id.trim()));
                const { stdout: listed } = await git(
                    ["ls-tree", "-z", parent, "--", ...written.map(([file]) => file)],
                    this.local(),
                );
                for (const entry of listed.split("\0").filter(Boolean)) {
                    const tab = entry.indexOf("\t");
                    modes.set(entry.slice(tab + 1), entry.split(" ")[0]);
                }
            }
            const lines: string[] = [];
            for (const [file, content] of changes) {
                if (content === null) {
                    lines.push(`0 ${"0".repeat(40)}\t${file}`);
                    continue;
                }
                const blob = ids.get(file);
                if (!blob) {
                    throw new Error(`${this.url}: git hash-object gave no object for ${file}`);
                }
                lines.push(`${modes.get(file) ?? "100644"} ${blob}\t${file}`);
            }
            await git(["update-index", "--index-info"], {
                ...this.local(),
                env,
                input: lines.join("\n") + "\n",
            });
            const { stdout: tree } = await git(["write-tree"], this.local({ env }));
            const { stdout: sha } = await git(["commit-tree", tree.trim(), "-p", parent, "-F", "-"], {
                ...this.local(),
                input: message,
                env: {
                    ...process.env,
                    GIT_AUTHOR_NAME: signature.name,
                    GIT_AUTHOR_EMAIL: signature.email,
                    GIT_COMMITTER_NAME: signature.name,
                    GIT_COMMITTER_EMAIL: signature.email,
                },
            });
            return sha.trim();
        } finally {
            fs.rmSync(index, { force: true });
            fs.rmSync(blobs, { recursive: true, force: true });
        }
    }

    /**
     * Pushes `sha` to `branch` if that is a fast-forward; "rejected" when someone else pushed first. `force`
     * replaces the branch whatever it holds (only for branches this tool owns, like a pull request's head).
     */
    async push(sha: string, branch: string, opts: { force?: boolean } = {}): Promise<"pushed" | "rejected"> {
        try {
            await git(
                ["push", "--quiet", "origin", `${opts.force ? "+" : ""}${sha}:refs/heads/${branch}`],
                this.remote(),
            );
        } catch (e) {
            if (
                e instanceof GitError &&
                /\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref|stale info/i.test(
                    e.stderr,
                )
            ) {
                return "rejected";
            }
            throw e;
        }
        await git(["update-ref", `refs/remotes/origin/${branch}`, sha], this.local());
        this.synced.set(branch, Date.now());
        return "pushed";
    }
}

/** `env` with one more git configuration setting (after any it already carries through GIT_CONFIG_*). */
function withConfig(env: NodeJS.ProcessEnv, key: string, value: string): NodeJS.ProcessEnv {
    const n = Number(env.GIT_CONFIG_COUNT ?? 0);
    return {
        ...env,
        GIT_CONFIG_COUNT: String(n + 1),
        [`GIT_CONFIG_KEY_${n}`]: key,
        [`GIT_CONFIG_VALUE_${n}`]: value,
    };
}

/**
 * The mode (`100644`, `100755`, `120000` for a symbolic link, `40000` for a directory, `160000` for a
 * submodule) of the entry `name` in a tree object, or undefined when it has none.
 */
export function treeEntryMode(
    tree: { readonly oid: string; readonly content: Buffer },
    name: string,
): string | undefined {
    const content = tree.content;
    const wanted = Buffer.from(name, "utf8");
    const oidBytes = tree.oid.length / 2;
    let pos = 0;
    while (pos < content.length) {
        const space = content.indexOf(0x20, pos);
        const nul = content.indexOf(0, space + 1);
        if (space < 0 || nul < 0) {
            return undefined;
        }
        if (content.subarray(space + 1, nul).equals(wanted)) {
            return content.toString("latin1", pos, space);
        }
        pos = nul + 1 + oidBytes;
    }
    return undefined;
}
