import { EnvironmentError } from "../../../model/errors";
import type { CommitStatus, MergeMethod, PullRequest, RepositoryRef, ScmClient, TokenFinding } from "../scm";

/** How long one API request may take before it counts as no answer. */
export const requestTimeoutMs = 30_000;

/**
 * How many pages of pull requests (most recently updated first, 50 a page: Gitea's default page limit) are
 * read looking for a head branch. Gitea's list has no head filter; a promotion branch belongs to one release,
 * so its pull request is among the recently updated ones.
 */
export const findPages = 10;
const pageSize = 50;

/** The fields of Gitea's (and Forgejo's) PullRequest we read. */
interface GiteaPull {
    readonly number: number;
    readonly html_url: string;
    readonly state: string;
    readonly title: string;
    readonly merged: boolean;
    readonly merge_commit_sha?: string | null;
    readonly head: { readonly ref: string; readonly sha: string };
    readonly base: { readonly ref: string };
}

function pullRequest(p: GiteaPull): PullRequest {
    return {
        number: p.number,
        url: p.html_url,
        state: p.merged ? "merged" : p.state === "open" ? "open" : "closed",
        title: p.title,
        headBranch: p.head.ref,
        headSha: p.head.sha,
        baseBranch: p.base.ref,
        ...(p.merged && p.merge_commit_sha ? { mergeCommitSha: p.merge_commit_sha } : {}),
    };
}

/**
 * A refused or failed Gitea API call: what was asked (host and repository included), what Gitea answered,
 * and what to check. Gitea names the scope a token lacks in its 403 answer; the hint says which scope
 * promotions need.
 */
export class GiteaError extends EnvironmentError {
    constructor(
        readonly operation: string,
        readonly status: number | undefined,
        answer: string,
    ) {
        const hint =
            status === 401
                ? " (the token was refused: put a valid one in the variable the PROMOTIONS_HOSTS entry names (tokenEnv), or in the Git token for this host)"
                : status === 403
                  ? " (the token needs the write:repository scope, and write access to this repository: create one under Settings → Applications with it)"
                  : status === 404
                    ? " (does the repository exist, and does the token reach it? A token without the read:repository scope sees nothing)"
                    : "";
        super(`Gitea ${operation}: ${status ?? "no answer"} ${answer}${hint}`);
    }
}

/** What a failed call answered: Gitea's `{"message": …}`, else the start of the body. */
async function answerOf(res: Response): Promise<string> {
    const text = await res.text().catch(() => "");
    try {
        const data = JSON.parse(text) as { message?: unknown; errors?: unknown };
        const details = Array.isArray(data.errors) ? data.errors.filter((e) => typeof e === "string") : [];
        if (typeof data.message === "string" && data.message !== "") {
            return [data.message, ...details].join(": ");
        }
    } catch {
        // not JSON: fall through
    }
    return text.trim().slice(0, 200) || res.statusText;
}

/**
 * Gitea and Forgejo through their REST API (`/api/v1`, the same for both). Server errors (5xx) and lost
 * connections are tried again a few times with backoff; refusals (4xx) are not.
 */
export class GiteaClient implements ScmClient {
    private readonly apiUrl: string;
    private readonly origin: string;

    constructor(private readonly opts: { readonly apiUrl: string; readonly token?: string }) {
        this.apiUrl = opts.apiUrl.replace(/\/+$/, "");
        this.origin = new URL(this.apiUrl).host;
    }

    /** `owner/name on host`: how messages name a repository. */
    private where(repo: RepositoryRef): string {
        return `${repo.owner}/${repo.name} on ${this.origin}`;
    }

    private repoPath(repo: RepositoryRef): string {
        return `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
    }

    /** One request; retried on 5xx and lost connections (at most 3 tries). Resolves with the answer. */
    private async send(method: string, path: string, body?: unknown): Promise<Response> {
        const headers: Record<string, string> = {
            Accept: "application/json",
            "User-Agent": "pulumi-promotions",
            ...(this.opts.token ? { Authorization: `token ${this.opts.token}` } : {}),
            ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        };
        for (let attempt = 1; ; attempt++) {
            try {
                const res = await fetch(`${this.apiUrl}${path}`, {
                    method,
                    headers,
                    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
                    signal: AbortSignal.timeout(requestTimeoutMs),
                });
                if (res.status < 500 || attempt >= 3) {
                    return res;
                }
                await res.body?.cancel();
            } catch (e) {
                if (attempt >= 3) {
                    throw e;
                }
            }
            await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
        }
    }

    /** A request that must succeed: its JSON answer, or a {@link GiteaError} naming `operation`. */
    private async call<T>(operation: string, method: string, path: string, body?: unknown): Promise<T> {
        let res: Response;
        try {
            res = await this.send(method, path, body);
        } catch (e) {
            throw new GiteaError(operation, undefined, `(${e instanceof Error ? e.message : String(e)})`);
        }
        if (!res.ok) {
            throw new GiteaError(operation, res.status, await answerOf(res));
        }
        const text = await res.text();
        return (text === "" ? undefined : JSON.parse(text)) as T;
    }

    /**
     * A repository or head branch pushed a moment ago can be unknown to Gitea's API for a moment (404 "not
     * found", seen against Gitea 1.27 when opening a pull request and when listing them): a 404 is tried again,
     * 3 times over about 3.5 s, before it counts.
     */
    private async afterPush<T>(fn: () => Promise<T>): Promise<T> {
        for (let attempt = 1; ; attempt++) {
            try {
                return await fn();
            } catch (e) {
                if (!(e instanceof GiteaError && e.status === 404) || attempt > 3) {
                    throw e;
                }
            }
            await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
        }
    }

    async findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined> {
        for (let page = 1; page <= findPages; page++) {
            const pulls = await this.afterPush(() =>
                this.call<GiteaPull[]>(
                    `list pull requests of ${this.where(repo)}`,
                    "GET",
                    `${this.repoPath(repo)}/pulls?state=all&sort=recentupdate&limit=${pageSize}&page=${page}`,
                ),
            );
            const found = pulls
                .filter((p) => p.head.ref === headBranch)
                .sort((a, b) => b.number - a.number)[0];
            if (found) {
                return pullRequest(found);
            }
            if (pulls.length < pageSize) {
                return undefined;
            }
        }
        return undefined;
    }

    /** Opens a pull request (see {@link afterPush}: its head branch may have been pushed a moment ago). */
    async openPullRequest(
        repo: RepositoryRef,
        pr: { head: string; base: string; title: string; body: string },
    ): Promise<PullRequest> {
        const operation = `open a pull request in ${this.where(repo)}`;
        return pullRequest(
            await this.afterPush(() =>
                this.call<GiteaPull>(operation, "POST", `${this.repoPath(repo)}/pulls`, pr),
            ),
        );
    }

    async getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return pullRequest(
            await this.call<GiteaPull>(
                `read pull request #${number} of ${this.where(repo)}`,
                "GET",
                `${this.repoPath(repo)}/pulls/${number}`,
            ),
        );
    }

    async reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return pullRequest(
            await this.call<GiteaPull>(
                `reopen pull request #${number} of ${this.where(repo)}`,
                "PATCH",
                `${this.repoPath(repo)}/pulls/${number}`,
                { state: "open" },
            ),
        );
    }

    async closePullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return pullRequest(
            await this.call<GiteaPull>(
                `close pull request #${number} of ${this.where(repo)}`,
                "PATCH",
                `${this.repoPath(repo)}/pulls/${number}`,
                { state: "closed" },
            ),
        );
    }

    async updatePullRequest(
        repo: RepositoryRef,
        number: number,
        change: { title: string; body: string },
    ): Promise<PullRequest> {
        return pullRequest(
            await this.call<GiteaPull>(
                `update pull request #${number} of ${this.where(repo)}`,
                "PATCH",
                `${this.repoPath(repo)}/pulls/${number}`,
                change,
            ),
        );
    }

    /**
     * Gitea shows no token's scopes; what it lets the token do tells. `GET /repos/search` needs a repository
     * scope (401: the token is refused; 403: it has none), `GET /user` names the token's user when it has a
     * user scope (promotions do not need one). A missing write scope shows at the first write, in Gitea's
     * words (`token does not have at least one of required scope(s): [write:repository]`).
     */
    async checkToken(): Promise<TokenFinding> {
        if (!this.opts.token) {
            return {
                ok: false,
                detail: `no token for ${this.origin}`,
                fix: "create a token with the write:repository scope and put it in the variable the hosts entry names (tokenEnv)",
            };
        }
        let repos: Response;
        try {
            repos = await this.send("GET", "/repos/search?limit=1");
        } catch (e) {
            return {
                ok: false,
                detail: `GET ${this.apiUrl}/repos/search: no answer (${e instanceof Error ? e.message : String(e)})`,
                fix: "check the API URL of the hosts entry (a Gitea's is https://<host>/api/v1) and that the host is reachable",
            };
        }
        if (!repos.ok) {
            const answer = await answerOf(repos);
            return {
                ok: false,
                detail: `GET /repos/search: ${repos.status} ${answer}`,
                fix:
                    repos.status === 401
                        ? "the token was refused: create a new one and put it in the variable the hosts entry names"
                        : repos.status === 403
                          ? "the token has no repository scope: create one with write:repository (Settings → Applications)"
                          : "check the API URL of the hosts entry (a Gitea's is https://<host>/api/v1)",
            };
        }
        await repos.body?.cancel();
        const user = await this.send("GET", "/user").catch(() => undefined);
        const login = user?.ok ? ((await user.json()) as { login?: string }).login : undefined;
        await user?.body?.cancel().catch(() => undefined);
        return {
            ok: true,
            detail: `token of ${login ?? "a user it may not name (no read:user scope, which promotions do not need)"} on ${this.origin}, with a repository scope (write:repository is needed: Gitea names a missing write scope at the first write)`,
        };
    }

    /**
     * Gitea answers 405 when the pull request may not be merged now (required status checks not all
     * successful, approvals missing, the mergeability check still running) and 409 when the head moved or
     * conflicts: both are `merged: false` with Gitea's reason, for the engine to wait and try again.
     */
    async mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { method: MergeMethod; sha: string },
    ): Promise<{ merged: boolean; reason?: string }> {
        const operation = `merge pull request #${number} of ${this.where(repo)}`;
        let res: Response;
        try {
            res = await this.send("POST", `${this.repoPath(repo)}/pulls/${number}/merge`, {
                Do: opts.method,
                head_commit_id: opts.sha,
            });
        } catch (e) {
            throw new GiteaError(operation, undefined, `(${e instanceof Error ? e.message : String(e)})`);
        }
        if (res.ok) {
            await res.body?.cancel();
            return { merged: true };
        }
        if (res.status === 405 || res.status === 409) {
            const answer = await answerOf(res);
            return {
                merged: false,
                reason: `Gitea refused to merge pull request #${number} of ${this.where(repo)}: ${answer}${mergeHint(answer)}`,
            };
        }
        throw new GiteaError(operation, res.status, await answerOf(res));
    }

    async setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void> {
        await this.call(
            `set commit status on ${sha.slice(0, 12)} in ${this.where(repo)}`,
            "POST",
            `${this.repoPath(repo)}/statuses/${encodeURIComponent(sha)}`,
            {
                state: status.state,
                context: status.context,
                // Gitea keeps descriptions in a 255-character column; GitHub's limit (140) fits both.
                description: status.description.slice(0, 140),
                ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
            },
        );
    }
}

/** What to do about a merge Gitea refused, for the refusals whose fix is known. */
function mergeHint(answer: string): string {
    if (/status checks/i.test(answer)) {
        return " (waiting for the required status checks of the branch protection to succeed on the pull request's head)";
    }
    if (/approvals|requested changes|review/i.test(answer)) {
        return " (waiting for the reviews the branch protection requires)";
    }
    if (/not allowed to merge/i.test(answer)) {
        return " (the token's user may not merge into this branch: add it to the branch protection's merge whitelist, or merge by hand)";
    }
    if (/not an? allowed merge style|is not allowed an allowed merge style/i.test(answer)) {
        return " (the repository does not allow this merge method: change pullRequest.mergeMethod or the repository's settings)";
    }
    return "";
}
