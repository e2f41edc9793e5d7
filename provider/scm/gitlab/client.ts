import type { CommitStatus, MergeMethod, PullRequest, RepositoryRef, ScmClient, TokenFinding } from "../scm";
import { RestClient, ScmApiError } from "../restClient";

/** The fields of GitLab's merge request entity we read. */
interface GitLabMergeRequest {
    readonly iid: number;
    readonly web_url: string;
    readonly state: string;
    readonly title: string;
    readonly source_branch: string;
    readonly target_branch: string;
    readonly sha: string | null;
    readonly merge_commit_sha: string | null;
    readonly squash_commit_sha?: string | null;
    readonly merge_when_pipeline_succeeds?: boolean;
    readonly detailed_merge_status?: string;
}

function mergeRequest(m: GitLabMergeRequest): PullRequest {
    const merged = m.state === "merged";
    const landed = m.merge_commit_sha ?? m.squash_commit_sha ?? m.sha;
    return {
        number: m.iid,
        url: m.web_url,
        // `locked` is an open merge request being merged right now.
        state: merged ? "merged" : m.state === "closed" ? "closed" : "open",
        title: m.title,
        headBranch: m.source_branch,
        headSha: m.sha ?? "",
        baseBranch: m.target_branch,
        ...(merged && landed ? { mergeCommitSha: landed } : {}),
    };
}

/** GitLab's commit status states for ours. */
const statusStates: Record<CommitStatus["state"], string> = {
    pending: "pending",
    success: "success",
    failure: "failed",
    error: "failed",
};

/** A project of the API, by its URL-encoded path (`group/subgroup/name`). */
const project = (repo: RepositoryRef) => encodeURIComponent(`${repo.owner}/${repo.name}`);

/**
 * GitLab (gitlab.com and self-managed) through its REST API v4: merge requests (merged when the pipeline
 * succeeds, when GitLab allows it now or later), commit statuses, the token's scopes. GitLab chooses the merge
 * method per project (merge commit, fast-forward, semi-linear); `squash` is asked per merge.
 */
export class GitLabClient implements ScmClient {
    private readonly rest: RestClient;

    constructor(opts: { readonly apiUrl: string; readonly token?: string }) {
        this.rest = new RestClient({
            hostName: "GitLab",
            apiUrl: opts.apiUrl,
            auth: opts.token ? { "private-token": opts.token } : {},
            hints: {
                401: "the token was refused: put a valid personal, group or project access token with the api scope in the variable the PROMOTIONS_HOSTS entry names (tokenEnv)",
                403: "the token lacks the api scope, or its user the Developer role on this project: grant them",
                404: "no such project for this token: check the repository URL, and that the token's user is a member",
            },
        });
    }

    async findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined> {
        const q = new URLSearchParams({
            source_branch: headBranch,
            state: "all",
            order_by: "created_at",
            sort: "desc",
            per_page: "10",
        });
        const { body } = await this.rest.call<GitLabMergeRequest[]>(
            `list merge requests of ${repo.owner}/${repo.name}`,
            "GET",
            `/projects/${project(repo)}/merge_requests?${q}`,
        );
        const found = body.find((m) => m.source_branch === headBranch);
        return found ? this.getPullRequest(repo, found.iid) : undefined;
    }

    async openPullRequest(
        repo: RepositoryRef,
        pr: { head: string; base: string; title: string; body: string },
    ): Promise<PullRequest> {
        const { body } = await this.rest.call<GitLabMergeRequest>(
            `open a merge request in ${repo.owner}/${repo.name}`,
            "POST",
            `/projects/${project(repo)}/merge_requests`,
            {
                body: {
                    source_branch: pr.head,
                    target_branch: pr.base,
                    title: pr.title,
                    description: pr.body,
                },
            },
        );
        return mergeRequest(body);
    }

    async getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const { body } = await this.rest.call<GitLabMergeRequest>(
            `read merge request !${number} of ${repo.owner}/${repo.name}`,
            "GET",
            `/projects/${project(repo)}/merge_requests/${number}`,
        );
        return mergeRequest(body);
    }

    private async edit(
        repo: RepositoryRef,
        number: number,
        what: string,
        change: Record<string, string>,
    ): Promise<PullRequest> {
        const { body } = await this.rest.call<GitLabMergeRequest>(
            `${what} merge request !${number} of ${repo.owner}/${repo.name}`,
            "PUT",
            `/projects/${project(repo)}/merge_requests/${number}`,
            { body: change },
        );
        return mergeRequest(body);
    }

    reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return this.edit(repo, number, "reopen", { state_event: "reopen" });
    }

    closePullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return this.edit(repo, number, "close", { state_event: "close" });
    }

    updatePullRequest(
        repo: RepositoryRef,
        number: number,
        change: { title: string; body: string },
    ): Promise<PullRequest> {
        return this.edit(repo, number, "update", { title: change.title, description: change.body });
    }

    /**
     * Asks GitLab to merge as soon as the pipeline succeeds (at once when there is none, or it passed). Not
     * merged yet: the reason GitLab gave (401 the branch protection lets the token's user not merge; 405 not mergeable
     * now: approvals, draft, a blocking discussion; 406 conflicts; 409 the head moved; 422 cannot be merged), and the engine looks again.
     */
    async mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { method: MergeMethod; sha: string },
    ): Promise<{ merged: boolean; reason?: string }> {
        const where = `merge request !${number} of ${repo.owner}/${repo.name}`;
        const res = await this.rest.call<GitLabMergeRequest | { message?: unknown }>(
            `merge ${where}`,
            "PUT",
            `/projects/${project(repo)}/merge_requests/${number}/merge`,
            {
                body: {
                    sha: opts.sha,
                    squash: opts.method === "squash",
                    merge_when_pipeline_succeeds: true,
                },
                // 401 here is the token's user not allowed to merge into the target branch (it read the MR).
                accept: [401, 405, 406, 409, 422],
            },
        );
        if (res.status !== 200) {
            const message = (res.body as { message?: unknown }).message;
            return {
                merged: false,
                reason: `GitLab refused to merge ${where}: ${res.status} ${typeof message === "string" ? message : JSON.stringify(message)} (fix: let the token's user merge into the target branch, resolve what blocks it, or merge it yourself)`,
            };
        }
        const m = res.body as GitLabMergeRequest;
        if (m.state === "merged") {
            return { merged: true };
        }
        return {
            merged: false,
            reason: m.merge_when_pipeline_succeeds
                ? `GitLab merges ${where} when its pipeline succeeds`
                : `GitLab did not merge ${where} (${m.detailed_merge_status ?? m.state})`,
        };
    }

    async setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void> {
        await this.rest.call(
            `set commit status on ${sha.slice(0, 12)} in ${repo.owner}/${repo.name}`,
            "POST",
            `/projects/${project(repo)}/statuses/${sha}`,
            {
                body: {
                    state: statusStates[status.state],
                    name: status.context,
                    description: status.description.slice(0, 255),
                    ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
                },
            },
        );
    }

    /** `GET /personal_access_tokens/self`: the token's name and scopes; promotions need `api`. */
    async checkToken(): Promise<TokenFinding> {
        try {
            const { body } = await this.rest.call<{ name?: string; scopes?: string[]; active?: boolean }>(
                "read the token",
                "GET",
                "/personal_access_tokens/self",
            );
            const scopes = body.scopes ?? [];
            const who = `token "${body.name ?? "?"}"`;
            if (body.active === false) {
                return {
                    ok: false,
                    detail: `${who} is revoked or expired`,
                    fix: "create a new token with the api scope",
                };
            }
            return scopes.includes("api")
                ? { ok: true, detail: `${who}, scopes ${scopes.join(", ")}` }
                : {
                      ok: false,
                      detail: `${who} lacks the api scope (has ${scopes.join(", ") || "none"})`,
                      fix: "create a token with the api scope (read_api cannot open merge requests or set statuses)",
                  };
        } catch (e) {
            const status = e instanceof ScmApiError ? e.status : undefined;
            return {
                ok: false,
                detail: e instanceof Error ? e.message : String(e),
                fix:
                    status === 401
                        ? "the token was refused: create a new one with the api scope"
                        : "check the hosts entry's apiUrl (https://<host>/api/v4) and that the host is reachable",
            };
        }
    }
}
