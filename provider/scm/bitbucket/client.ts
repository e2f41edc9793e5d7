import type { CommitStatus, MergeMethod, PullRequest, RepositoryRef, ScmClient, TokenFinding } from "../scm";
import { RestClient, ScmApiError } from "../restClient";

/** The fields of Bitbucket Cloud's `pullrequest` we read. */
interface BitbucketPull {
    readonly id: number;
    readonly title: string;
    readonly state: "OPEN" | "MERGED" | "DECLINED" | "SUPERSEDED";
    readonly source: {
        readonly branch: { readonly name: string };
        readonly commit?: { readonly hash: string };
    };
    readonly destination: { readonly branch: { readonly name: string } };
    readonly merge_commit?: { readonly hash: string } | null;
    readonly links: { readonly html: { readonly href: string } };
}

function pullRequest(p: BitbucketPull): PullRequest {
    const merged = p.state === "MERGED";
    return {
        number: p.id,
        url: p.links.html.href,
        state: merged ? "merged" : p.state === "OPEN" ? "open" : "closed",
        title: p.title,
        headBranch: p.source.branch.name,
        // Bitbucket gives commits as 12-character hashes; git resolves them.
        headSha: p.source.commit?.hash ?? "",
        baseBranch: p.destination.branch.name,
        ...(merged && p.merge_commit?.hash ? { mergeCommitSha: p.merge_commit.hash } : {}),
    };
}

const strategies: Record<MergeMethod, string> = {
    merge: "merge_commit",
    squash: "squash",
    rebase: "fast_forward",
};

const buildStates: Record<CommitStatus["state"], string> = {
    pending: "INPROGRESS",
    success: "SUCCESSFUL",
    failure: "FAILED",
    error: "STOPPED",
};

/** The web root beside an API root (`https://api.bitbucket.org/2.0` → `https://bitbucket.org`). */
function webRoot(apiUrl: string): string {
    return apiUrl.replace(/\/2\.0\/?$/, "").replace("://api.bitbucket.org", "://bitbucket.org");
}

/**
 * Bitbucket Cloud through its REST API 2.0: pull requests (merged with the merge strategy asked; Bitbucket's
 * merge checks may refuse until required builds pass, and the engine looks again), build statuses, the token.
 * A token with a colon is `username:app-password` (HTTP Basic); any other is an access token (Bearer). A
 * declined pull request cannot be reopened on Bitbucket: "reopen" opens a new one from the same branch.
 */
export class BitbucketClient implements ScmClient {
    private readonly rest: RestClient;

    constructor(private readonly opts: { readonly apiUrl: string; readonly token?: string }) {
        const auth: Record<string, string> = !opts.token
            ? {}
            : opts.token.includes(":")
              ? { authorization: `Basic ${Buffer.from(opts.token).toString("base64")}` }
              : { authorization: `Bearer ${opts.token}` };
        this.rest = new RestClient({
            hostName: "Bitbucket",
            apiUrl: opts.apiUrl,
            auth,
            hints: {
                401: "the token was refused: put a repository or workspace access token (or username:app-password) in the variable the PROMOTIONS_HOSTS entry names (tokenEnv)",
                403: "the token lacks a scope: it needs pullrequest:write and repository:write",
                404: "no such repository for this token: check the repository URL and the token's workspace",
            },
        });
    }

    private base(repo: RepositoryRef): string {
        return `/repositories/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
    }

    async findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined> {
        const q = new URLSearchParams();
        for (const s of ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]) {
            q.append("state", s);
        }
        q.set("q", `source.branch.name = "${headBranch.replace(/"/g, '\\"')}"`);
        q.set("sort", "-created_on");
        const { body } = await this.rest.call<{ values: BitbucketPull[] }>(
            `list pull requests of ${repo.owner}/${repo.name}`,
            "GET",
            `${this.base(repo)}/pullrequests?${q}`,
        );
        const found = body.values.find((p) => p.source.branch.name === headBranch);
        return found ? pullRequest(found) : undefined;
    }

    async openPullRequest(
        repo: RepositoryRef,
        pr: { head: string; base: string; title: string; body: string },
    ): Promise<PullRequest> {
        const { body } = await this.rest.call<BitbucketPull>(
            `open a pull request in ${repo.owner}/${repo.name}`,
            "POST",
            `${this.base(repo)}/pullrequests`,
            {
                body: {
                    type: "pullrequest",
                    title: pr.title,
                    description: pr.body,
                    source: { branch: { name: pr.head } },
                    destination: { branch: { name: pr.base } },
                    close_source_branch: false,
                },
            },
        );
        return pullRequest(body);
    }

    async getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const { body } = await this.rest.call<BitbucketPull>(
            `read pull request #${number} of ${repo.owner}/${repo.name}`,
            "GET",
            `${this.base(repo)}/pullrequests/${number}`,
        );
        return pullRequest(body);
    }

    async reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const declined = await this.getPullRequest(repo, number);
        return this.openPullRequest(repo, {
            head: declined.headBranch,
            base: declined.baseBranch,
            title: declined.title,
            body: `Reopens #${number}, declined.`,
        });
    }

    async closePullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const { body } = await this.rest.call<BitbucketPull>(
            `decline pull request #${number} of ${repo.owner}/${repo.name}`,
            "POST",
            `${this.base(repo)}/pullrequests/${number}/decline`,
        );
        return pullRequest(body);
    }

    async updatePullRequest(
        repo: RepositoryRef,
        number: number,
        change: { title: string; body: string },
    ): Promise<PullRequest> {
        const { body } = await this.rest.call<BitbucketPull>(
            `update pull request #${number} of ${repo.owner}/${repo.name}`,
            "PUT",
            `${this.base(repo)}/pullrequests/${number}`,
            { body: { type: "pullrequest", title: change.title, description: change.body } },
        );
        return pullRequest(body);
    }

    /**
     * Merges now if Bitbucket allows it; not merged yet (400 merge checks unmet, such as required builds or
     * approvals; 409 the pull request changed; 555 the merge timed out on Bitbucket's side) comes back with
     * Bitbucket's reason, naming the repository and the fix, and the engine looks again.
     */
    async mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { method: MergeMethod; sha: string },
    ): Promise<{ merged: boolean; reason?: string }> {
        const where = `pull request #${number} of ${repo.owner}/${repo.name}`;
        const res = await this.rest.call<BitbucketPull | { error?: { message?: string } }>(
            `merge ${where}`,
            "POST",
            `${this.base(repo)}/pullrequests/${number}/merge`,
            {
                body: {
                    type: "pullrequest_merge_parameters",
                    merge_strategy: strategies[opts.method],
                    close_source_branch: false,
                },
                accept: [400, 403, 409, 555],
            },
        );
        if (res.status === 200) {
            return { merged: (res.body as BitbucketPull).state === "MERGED" };
        }
        const message = (res.body as { error?: { message?: string } }).error?.message ?? "";
        return {
            merged: false,
            reason: `Bitbucket refused to merge ${where}: ${res.status} ${message} (fix: ${res.status === 403 ? "let the token merge into the destination branch (branch restrictions)" : "meet the merge checks (required builds, approvals), or merge it yourself"})`,
        };
    }

    async setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void> {
        await this.rest.call(
            `set build status on ${sha.slice(0, 12)} in ${repo.owner}/${repo.name}`,
            "POST",
            `${this.base(repo)}/commit/${sha}/statuses/build`,
            {
                body: {
                    type: "commitstatus",
                    key: status.context.slice(0, 40),
                    name: status.context,
                    state: buildStates[status.state],
                    description: status.description.slice(0, 255),
                    // Bitbucket requires a link: the commit's page when the release has none.
                    url:
                        status.targetUrl ??
                        `${webRoot(this.opts.apiUrl)}/${repo.owner}/${repo.name}/commits/${sha}`,
                },
            },
        );
    }

    /**
     * `GET /user`: who the token is, and its scopes when Bitbucket lists them (`X-OAuth-Scopes`). A repository
     * access token has no user: it is refused here, and its scopes are judged at its first write.
     */
    async checkToken(): Promise<TokenFinding> {
        try {
            const res = await this.rest.call<{ display_name?: string; username?: string }>(
                "read the token's user",
                "GET",
                "/user",
            );
            const scopes = (res.headers.get("x-oauth-scopes") ?? "")
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean);
            const who = `token of ${res.body.username ?? res.body.display_name ?? "?"}`;
            const missing = ["pullrequest:write", "repository:write"].filter(
                (s) => scopes.length > 0 && !scopes.includes(s),
            );
            return missing.length === 0
                ? { ok: true, detail: `${who}${scopes.length > 0 ? `, scopes ${scopes.join(", ")}` : ""}` }
                : {
                      ok: false,
                      detail: `${who} lacks ${missing.join(" and ")} (has ${scopes.join(", ")})`,
                      fix: "create a token with the pullrequest:write and repository:write scopes",
                  };
        } catch (e) {
            const status = e instanceof ScmApiError ? e.status : undefined;
            return {
                ok: false,
                detail: e instanceof Error ? e.message : String(e),
                fix:
                    status === 401
                        ? "the token was refused: create a new one with pullrequest:write and repository:write"
                        : "check the hosts entry's apiUrl (https://api.bitbucket.org/2.0) and that the host is reachable",
            };
        }
    }
}
