import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { EnvironmentError } from "../../../model/errors";
import type { CommitStatus, MergeMethod, PullRequest, RepositoryRef, ScmClient, TokenFinding } from "../scm";

const GitHubOctokit = Octokit.plugin(retry, throttling);

/** How many times a request refused for a rate limit (primary or secondary) is tried again. */
export const rateLimitRetries = 3;

/** The fields of GitHub's pull-request shape we read (the list and the single forms share them). */
interface GitHubPull {
    readonly number: number;
    readonly html_url: string;
    readonly state: string;
    readonly title: string;
    readonly merged_at: string | null;
    readonly merge_commit_sha: string | null;
    readonly head: { readonly ref: string; readonly sha: string };
    readonly base: { readonly ref: string };
}

function pullRequest(p: GitHubPull): PullRequest {
    const merged = p.merged_at !== null;
    return {
        number: p.number,
        url: p.html_url,
        state: merged ? "merged" : p.state === "open" ? "open" : "closed",
        title: p.title,
        headBranch: p.head.ref,
        headSha: p.head.sha,
        baseBranch: p.base.ref,
        ...(merged && p.merge_commit_sha ? { mergeCommitSha: p.merge_commit_sha } : {}),
    };
}

/** An Octokit failure as a message that says what was asked, what GitHub answered and what to check. */
export class GitHubError extends EnvironmentError {
    constructor(
        readonly operation: string,
        readonly status: number | undefined,
        answer: string,
    ) {
        const hint =
            status === 401
                ? " (the token was refused: check PROMOTIONS_SCM_TOKEN, or the Git token for this host, or the variable its PROMOTIONS_HOSTS entry names)"
                : status === 403 || status === 404
                  ? " (does the token reach this repository, with Pull requests and Contents write and Commit statuses write?)"
                  : "";
        super(`GitHub ${operation}: ${status ?? "no answer"} ${answer}${hint}`);
    }
}

function statusOf(e: unknown): number | undefined {
    return typeof (e as { status?: unknown }).status === "number"
        ? (e as { status: number }).status
        : undefined;
}

function answerOf(e: unknown): string {
    const data = (e as { response?: { data?: { message?: string; errors?: { message?: string }[] } } })
        .response?.data;
    const details = (data?.errors ?? []).map((x) => x.message).filter(Boolean);
    const message = data?.message ?? (e instanceof Error ? e.message : String(e));
    return [message, ...details].join(": ");
}

/**
 * GitHub and GitHub Enterprise through Octokit. Requests refused for a rate limit are retried after the wait
 * GitHub asks for (at most {@link rateLimitRetries} times), server errors with backoff; writes are spaced as
 * GitHub's guidance for content-creating requests says.
 */
export class GitHubClient implements ScmClient {
    private readonly octokit: InstanceType<typeof GitHubOctokit>;

    constructor(opts: { readonly apiUrl: string; readonly token?: string }) {
        const quiet = () => undefined;
        this.octokit = new GitHubOctokit({
            ...(opts.token ? { auth: opts.token } : {}),
            baseUrl: opts.apiUrl.replace(/\/+$/, ""),
            userAgent: "pulumi-promotions",
            log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
            throttle: {
                onRateLimit: (_after: number, _o: unknown, _k: unknown, count: number) =>
                    count < rateLimitRetries,
                onSecondaryRateLimit: (_after: number, _o: unknown, _k: unknown, count: number) =>
                    count < rateLimitRetries,
            },
            retry: { doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 429, 451] },
        });
    }

    private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
        try {
            return await fn();
        } catch (e) {
            throw new GitHubError(operation, statusOf(e), answerOf(e));
        }
    }

    async findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined> {
        const { data } = await this.call(`list pull requests of ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.pulls.list({
                owner: repo.owner,
                repo: repo.name,
                head: `${repo.owner}:${headBranch}`,
                state: "all",
                sort: "created",
                direction: "desc",
                per_page: 10,
            }),
        );
        const found = (data as GitHubPull[]).find((p) => p.head.ref === headBranch);
        // The list form may leave out merge details: read the pull request itself.
        return found ? this.getPullRequest(repo, found.number) : undefined;
    }

    async openPullRequest(
        repo: RepositoryRef,
        pr: { head: string; base: string; title: string; body: string },
    ): Promise<PullRequest> {
        const { data } = await this.call(`open a pull request in ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.pulls.create({ owner: repo.owner, repo: repo.name, ...pr }),
        );
        return pullRequest(data as GitHubPull);
    }

    async getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const { data } = await this.call(`read pull request #${number} of ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number }),
        );
        return pullRequest(data as GitHubPull);
    }

    async reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const { data } = await this.call(`reopen pull request #${number} of ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.pulls.update({
                owner: repo.owner,
                repo: repo.name,
                pull_number: number,
                state: "open",
            }),
        );
        return pullRequest(data as GitHubPull);
    }

    async mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { method: MergeMethod; sha: string },
    ): Promise<{ merged: boolean; reason?: string }> {
        try {
            const { data } = await this.octokit.rest.pulls.merge({
                owner: repo.owner,
                repo: repo.name,
                pull_number: number,
                merge_method: opts.method,
                sha: opts.sha,
            });
            return { merged: data.merged, ...(data.merged ? {} : { reason: data.message }) };
        } catch (e) {
            // 405: not mergeable now (checks, reviews, conflicts); 409: the head moved. Both: wait and see.
            const status = statusOf(e);
            if (status === 405 || status === 409) {
                return { merged: false, reason: answerOf(e) };
            }
            throw new GitHubError(
                `merge pull request #${number} of ${repo.owner}/${repo.name}`,
                status,
                answerOf(e),
            );
        }
    }

    async closePullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        const { data } = await this.call(`close pull request #${number} of ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.pulls.update({
                owner: repo.owner,
                repo: repo.name,
                pull_number: number,
                state: "closed",
            }),
        );
        return pullRequest(data as GitHubPull);
    }

    async updatePullRequest(
        repo: RepositoryRef,
        number: number,
        change: { title: string; body: string },
    ): Promise<PullRequest> {
        const { data } = await this.call(`update pull request #${number} of ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.pulls.update({
                owner: repo.owner,
                repo: repo.name,
                pull_number: number,
                ...change,
            }),
        );
        return pullRequest(data as GitHubPull);
    }

    /**
     * `GET /user`: who the token is. A classic token lists its scopes (`X-OAuth-Scopes`): it needs `repo` (or
     * `public_repo` and `repo:status`); a fine-grained token lists none and is judged by its first write.
     */
    async checkToken(): Promise<TokenFinding> {
        try {
            const res = await this.octokit.rest.users.getAuthenticated();
            const scopes = res.headers["x-oauth-scopes"];
            const who = `token of ${res.data.login}`;
            if (typeof scopes !== "string") {
                return {
                    ok: true,
                    detail: `${who} (fine-grained: needs Contents, Pull requests and Commit statuses read and write)`,
                };
            }
            const list = scopes
                .split(",")
                .map((x) => x.trim())
                .filter(Boolean);
            const enough =
                list.includes("repo") || (list.includes("public_repo") && list.includes("repo:status"));
            return enough
                ? { ok: true, detail: `${who}, scopes ${list.join(", ")}` }
                : {
                      ok: false,
                      detail: `${who} lacks the repo scope (has ${list.join(", ") || "none"})`,
                      fix: "create a token with the repo scope (or a fine-grained one with Contents, Pull requests and Commit statuses read and write)",
                  };
        } catch (e) {
            const status = statusOf(e);
            return {
                ok: false,
                detail: `GET /user: ${status ?? "no answer"} ${answerOf(e)}`,
                fix:
                    status === 401
                        ? "the token was refused: create a new one and put it in the variable the hosts entry names"
                        : "check the API URL of the hosts entry and that the host is reachable",
            };
        }
    }

    async setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void> {
        await this.call(`set commit status on ${sha.slice(0, 12)} in ${repo.owner}/${repo.name}`, () =>
            this.octokit.rest.repos.createCommitStatus({
                owner: repo.owner,
                repo: repo.name,
                sha,
                state: status.state,
                context: status.context,
                description: status.description.slice(0, 140),
                ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
            }),
        );
    }
}
