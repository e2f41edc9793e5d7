/** A repository on a code host, as its API names it. */
export interface RepositoryRef {
    readonly owner: string;
    readonly name: string;
}

/** `merged` is a closed pull request whose change landed; `closed` is one closed without merge. */
export type PullRequestState = "open" | "closed" | "merged";

export interface PullRequest {
    readonly number: number;
    /** The page people review it on. */
    readonly url: string;
    readonly state: PullRequestState;
    readonly title: string;
    readonly headBranch: string;
    readonly headSha: string;
    readonly baseBranch: string;
    /** Set once merged: the commit the base branch got (a merge, squash or the last rebased commit). */
    readonly mergeCommitSha?: string;
}

export type MergeMethod = "merge" | "squash" | "rebase";

export interface CommitStatus {
    readonly state: "pending" | "success" | "failure" | "error";
    /** The status's name on the commit (e.g. `promotions/<product>`); a later status with it replaces this one. */
    readonly context: string;
    readonly description: string;
    readonly targetUrl?: string;
}

/**
 * What promotions need from a code host. One implementation per host kind (GitHub, GitHub Enterprise today);
 * every call is safe to repeat.
 */
export interface ScmClient {
    /** The newest pull request from `headBranch` in any state, if there is one. */
    findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined>;
    openPullRequest(
        repo: RepositoryRef,
        pr: { readonly head: string; readonly base: string; readonly title: string; readonly body: string },
    ): Promise<PullRequest>;
    getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest>;
    /** Reopens a pull request closed without merge (its head branch must exist). */
    reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest>;
    /**
     * Merges if the host allows it now; `merged: false` with the host's reason when it does not yet (checks
     * pending, reviews required, conflicts). `sha` guards against merging a head that moved.
     */
    mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { readonly method: MergeMethod; readonly sha: string },
    ): Promise<{ readonly merged: boolean; readonly reason?: string }>;
    setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void>;
}

/** How to reach the code host's API. */
export interface ScmConfig {
    /**
     * The API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. Unset: derived from the
     * repository URL (github.com uses api.github.com, any other host `<host>/api/v3`, as GitHub Enterprise does).
     */
    readonly apiUrl?: string;
    /** The API token. Unset: the Git token for the repository's host. */
    readonly token?: string;
}

/**
 * One kind of code host, as {@link scmHosts} (registry.ts) lists them. The registry picks the token (the
 * configured API token, else the Git token for the repository's host) and keeps one client per host, API
 * root and token.
 */
export interface ScmHost {
    /** Shown in messages, e.g. `GitHub`. */
    readonly name: string;
    /** The repository URLs it takes, for messages, e.g. `https://host/owner/repo`. */
    readonly urlForm: string;
    /** True when this host serves `repoURL` (`config.apiUrl` may tell, for a self-hosted instance). */
    matches(repoURL: string, config: ScmConfig): boolean;
    /** The repository as the host's API names it, and the `host[:port]` its Git token is keyed by. */
    locate(repoURL: string): { readonly host: string; readonly repo: RepositoryRef } | undefined;
    /** The API root: `config.apiUrl` when set, else derived from the repository URL. */
    apiRootFor(repoURL: string, config: ScmConfig): string;
    /** A client talking to `apiUrl` with `token` (none: anonymous). */
    create(opts: { readonly apiUrl: string; readonly token?: string }): ScmClient;
}

/** The parts of a repository URL every host reads the same way. */
export interface RepositoryURLParts {
    /** `http` or `https` for web URLs; `ssh` for both SSH forms. */
    readonly scheme: "http" | "https" | "ssh";
    /** `host[:port]` for web URLs; the host alone for SSH. */
    readonly host: string;
    /** The path segments after the host, without a trailing `.git`. */
    readonly segments: readonly string[];
}

/**
 * Splits `https://host/group/name(.git)`, `ssh://git@host[:port]/group/name.git` and `git@host:group/name.git`;
 * undefined for anything else (a `file://` URL, a local path).
 */
export function repositoryURLParts(repoURL: string): RepositoryURLParts | undefined {
    const m =
        /^(https?):\/\/(?:[^@/]*@)?([^/]+)\/(.+?)\/?$/.exec(repoURL) ??
        /^(ssh):\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?\/(.+?)\/?$/.exec(repoURL) ??
        /^()[^@/:]+@([^:/]+):(.+?)\/?$/.exec(repoURL);
    if (!m) {
        return undefined;
    }
    const [, scheme, host, rest] = m;
    const segments = rest.replace(/\.git$/, "").split("/");
    if (segments.some((p) => p === "")) {
        return undefined;
    }
    return { scheme: scheme === "" ? "ssh" : (scheme as "http" | "https" | "ssh"), host, segments };
}
