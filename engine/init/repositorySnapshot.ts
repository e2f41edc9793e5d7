import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { GitCredentials } from "../../provider/git/git";
import { git, gitBytes, gitEnv } from "../../provider/git/git";
import { InvalidInputError, messageOf } from "../../model/errors";

/**
 * The GitOps repository `promote init` reads: its YAML and JSON files at one revision (or as they lie in a
 * directory), its branches, and the URL the written Applications should name.
 */
export interface RepositorySnapshot {
    /** What the user gave (`--repo`), for messages. */
    readonly given: string;
    /** The URL written into the proposed Applications (`file://` for a local repository without a remote). */
    readonly url: string;
    /** Other spellings of this repository's URL (its origin remote), normalized. */
    readonly aliases: ReadonlySet<string>;
    /** The revision read: a branch, or undefined for a directory read as it lies. */
    readonly revision?: string;
    /** The commit read, when it is a git repository. */
    readonly commit?: string;
    /** Branch names (local, and the origin's). */
    readonly branches: ReadonlySet<string>;
    /** The default branch (HEAD's), when known. */
    readonly defaultBranch?: string;
    /** Every file path (forward slashes, relative to the root). */
    readonly paths: readonly string[];
    /** Text of the YAML and JSON files (within the size limit), by path. */
    readonly files: ReadonlyMap<string, string>;
    /** A local git repository to read other branches from (Applications pointing at other revisions). */
    readonly gitDir?: string;
}

/** Files larger than this are not read (generated bundles, vendored CRDs). */
const maxFileBytes = 512 * 1024;
const textFile = /\.(ya?ml|json)$/i;
/** Folders that never hold deployment configuration. */
const ignored = /(^|\/)(\.git|node_modules|vendor|\.github)(\/|$)/;

/** `https://github.com/a/b.git`, `git@github.com:a/b`, `https://GitHub.com/a/b/` name one repository. */
export function normalizeRepoUrl(url: string): string {
    let u = url.trim();
    const scp = /^([\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(u);
    if (scp && !/^[a-z]+:\/\//i.test(u)) {
        u = `https://${scp[2]}/${scp[3]}`;
    }
    u = u.replace(/^(ssh|git|http|https):\/\/([^@/]*@)?/i, "https://");
    u = u.replace(/\/+$/, "").replace(/\.git$/, "");
    const m = /^(https:\/\/)([^/]+)(.*)$/.exec(u);
    return m ? `${m[1]}${m[2].toLowerCase()}${m[3]}` : u;
}

const looksLikeUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[\w.-]+@[\w.-]+:/.test(s);

function unreadable(given: string, why: string): InvalidInputError {
    return new InvalidInputError(
        `cannot read the repository ${JSON.stringify(given)}: ${why}. ` +
            "Give --repo a Git URL (https://host/owner/repo.git, git@host:owner/repo.git, file:///path) or a directory",
        { path: "--repo" },
    );
}

async function readTree(
    gitDir: string,
    revision: string,
): Promise<{ paths: string[]; files: Map<string, string>; commit: string }> {
    const commit = (
        await git(["rev-parse", "--verify", "--quiet", `${revision}^{commit}`], { cwd: gitDir })
    ).stdout.trim();
    const listing = (await git(["ls-tree", "-r", "-l", "-z", commit], { cwd: gitDir })).stdout;
    const paths: string[] = [];
    const wanted: string[] = [];
    for (const entry of listing.split("\0").filter(Boolean)) {
        const tab = entry.indexOf("\t");
        const [, type, , size] = entry.slice(0, tab).split(/\s+/);
        const p = entry.slice(tab + 1);
        if (type !== "blob" || ignored.test(p)) {
            continue;
        }
        paths.push(p);
        if (textFile.test(p) && Number(size) <= maxFileBytes) {
            wanted.push(p);
        }
    }
    const files = new Map<string, string>();
    if (wanted.length > 0) {
        const out = (
            await gitBytes(["cat-file", "--batch"], {
                cwd: gitDir,
                input: wanted.map((p) => `${commit}:${p}`).join("\n") + "\n",
            })
        ).stdout;
        let at = 0;
        for (const p of wanted) {
            const eol = out.indexOf(10, at);
            const header = out.subarray(at, eol).toString("utf8");
            const size = Number(header.split(" ")[2]);
            at = eol + 1;
            if (!header.endsWith("missing") && Number.isFinite(size)) {
                files.set(p, out.subarray(at, at + size).toString("utf8"));
                at += size + 1;
            }
        }
    }
    return { paths, files, commit };
}

function readDirectory(root: string): { paths: string[]; files: Map<string, string> } {
    const paths: string[] = [];
    const files = new Map<string, string>();
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
            const p = rel ? `${rel}/${e.name}` : e.name;
            if (ignored.test(p)) {
                continue;
            }
            if (e.isDirectory()) {
                walk(p);
            } else if (e.isFile()) {
                paths.push(p);
                const full = path.join(root, p);
                if (textFile.test(p) && fs.statSync(full).size <= maxFileBytes) {
                    files.set(p, fs.readFileSync(full, "utf8"));
                }
            }
        }
    };
    walk("");
    return { paths: paths.sort(), files };
}

async function refs(gitDir: string): Promise<{ branches: Set<string>; defaultBranch?: string }> {
    const out = (
        await git(["for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes/origin"], {
            cwd: gitDir,
        })
    ).stdout;
    const branches = new Set(
        out
            .split("\n")
            .filter((r) => r && !r.endsWith("/HEAD"))
            .map((r) => r.replace(/^refs\/(heads|remotes\/origin)\//, "")),
    );
    const head = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], {
        cwd: gitDir,
        okCodes: [1, 128],
    });
    return { branches, ...(head.code === 0 ? { defaultBranch: head.stdout.trim() } : {}) };
}

export interface ReadRepositoryOptions {
    /** `--repo`: a Git URL, or a directory. */
    readonly repo: string;
    /** `--branch`: the branch to read (default: the default branch, or a directory as it lies). */
    readonly branch?: string;
    /** Where a URL is cloned (removed by the caller). */
    readonly scratchDir?: string;
    /** Tokens for http(s) remotes, by host (PROMOTIONS_GIT_TOKENS): sent as a header, never written. */
    readonly credentials?: GitCredentials;
}

/** The URL without a password written into it: what init prints and writes into Applications. */
export function withoutPassword(url: string): string {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
}

/**
 * Reads the repository. A URL is cloned (bare, every branch) with real git into a scratch directory; a
 * directory is read as it lies, or at `branch` when it is a git repository. Throws an InvalidInputError
 * (exit 2) saying why when it cannot be read.
 */
export async function readRepository(opts: ReadRepositoryOptions): Promise<RepositorySnapshot> {
    const given = withoutPassword(opts.repo);
    if (looksLikeUrl(given)) {
        const scratch = opts.scratchDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "promote-init-"));
        const gitDir = path.join(scratch, "repo.git");
        try {
            await git(["clone", "--bare", "--quiet", "--", opts.repo, gitDir], {
                env: gitEnv(opts.repo, opts.credentials),
                repoURL: opts.repo,
                ...(opts.credentials ? { credentials: opts.credentials } : {}),
            });
        } catch (e) {
            const hint = /^https?:\/\//i.test(given)
                ? " (a private repository: set PROMOTIONS_GIT_TOKEN, or PROMOTIONS_GIT_TOKENS for several hosts)"
                : "";
            throw unreadable(given, `git clone failed${hint}: ${messageOf(e)}`);
        }
        const { branches, defaultBranch } = await refs(gitDir);
        const revision = opts.branch ?? defaultBranch;
        if (branches.size === 0 || revision === undefined) {
            return {
                given,
                url: given,
                aliases: new Set([normalizeRepoUrl(given)]),
                branches,
                paths: [],
                files: new Map(),
                gitDir,
            };
        }
        if (!branches.has(revision)) {
            throw unreadable(
                given,
                `it has no branch ${JSON.stringify(revision)} (branches: ${[...branches].join(", ")})`,
            );
        }
        const tree = await readTree(gitDir, revision);
        return {
            given,
            url: given,
            aliases: new Set([normalizeRepoUrl(given)]),
            revision,
            branches,
            ...(defaultBranch ? { defaultBranch } : {}),
            gitDir,
            ...tree,
        };
    }
    const dir = path.resolve(given);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw unreadable(given, "it is neither a Git URL nor an existing directory");
    }
    const inside = await git(["rev-parse", "--absolute-git-dir"], { cwd: dir, okCodes: [128] });
    const gitDir = inside.code === 0 ? inside.stdout.trim() : undefined;
    if (!gitDir) {
        if (opts.branch) {
            throw unreadable(
                given,
                `--branch ${opts.branch} needs a git repository, and this directory is not one`,
            );
        }
        return {
            given,
            url: `file://${dir}`,
            aliases: new Set(),
            branches: new Set(),
            ...readDirectory(dir),
        };
    }
    const { branches, defaultBranch } = await refs(gitDir);
    const origin = await git(["remote", "get-url", "origin"], { cwd: dir, okCodes: [2, 128] });
    const remote = origin.code === 0 ? origin.stdout.trim() : undefined;
    // A remote that is a plain path (a clone of a local repository) is written as the file:// URL it means.
    const originUrl =
        remote && !looksLikeUrl(remote)
            ? `file://${path.resolve(dir, remote)}`
            : remote && withoutPassword(remote);
    const bare = (await git(["rev-parse", "--is-bare-repository"], { cwd: dir })).stdout.trim() === "true";
    const url = originUrl ?? `file://${bare ? gitDir : dir}`;
    const aliases = new Set([normalizeRepoUrl(url), normalizeRepoUrl(`file://${dir}`)]);
    if (opts.branch || bare) {
        const revision = opts.branch ?? defaultBranch;
        if (revision === undefined || !branches.has(revision)) {
            if (branches.size === 0) {
                return { given, url, aliases, branches, paths: [], files: new Map(), gitDir };
            }
            throw unreadable(
                given,
                `it has no branch ${JSON.stringify(revision)} (branches: ${[...branches].join(", ")})`,
            );
        }
        const tree = await readTree(gitDir, revision);
        return {
            given,
            url,
            aliases,
            revision,
            branches,
            ...(defaultBranch ? { defaultBranch } : {}),
            gitDir,
            ...tree,
        };
    }
    const head = await git(["rev-parse", "--verify", "--quiet", "HEAD"], { cwd: dir, okCodes: [1] });
    return {
        given,
        url,
        aliases,
        ...(defaultBranch ? { revision: defaultBranch, defaultBranch } : {}),
        ...(head.code === 0 ? { commit: head.stdout.trim() } : {}),
        branches,
        gitDir,
        ...readDirectory(dir),
    };
}

/** The same repository's files at another branch (for Applications that deploy from it). */
export async function readBranch(
    snapshot: RepositorySnapshot,
    branch: string,
): Promise<Pick<RepositorySnapshot, "paths" | "files"> | undefined> {
    if (!snapshot.gitDir || !snapshot.branches.has(branch)) {
        return undefined;
    }
    const ref =
        (
            await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], {
                cwd: snapshot.gitDir,
                okCodes: [1],
            })
        ).code === 0
            ? branch
            : `origin/${branch}`;
    return readTree(snapshot.gitDir, ref);
}
