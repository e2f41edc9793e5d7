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
