import type { CommitStatus, MergeMethod, PullRequest, RepositoryRef, ScmClient, TokenFinding } from "../scm";
import { RestClient, ScmApiError } from "../restClient";

const apiVersion = "api-version=7.1";

/** The fields of Azure DevOps' `GitPullRequest` we read. */
interface AzurePull {
    readonly pullRequestId: number;
    readonly title: string;
    readonly status: "active" | "abandoned" | "completed" | "notSet";
    readonly sourceRefName: string;
    readonly targetRefName: string;
    readonly lastMergeSourceCommit?: { readonly commitId: string };
    readonly lastMergeCommit?: { readonly commitId: string };
    readonly autoCompleteSetBy?: { readonly id: string };
    readonly createdBy?: { readonly id: string };
    readonly mergeStatus?: string;
    readonly mergeFailureMessage?: string;
    readonly repository?: { readonly webUrl?: string };
}

const branch = (ref: string) => ref.replace(/^refs\/heads\//, "");

function pullRequest(p: AzurePull): PullRequest {
    const merged = p.status === "completed";
    return {
        number: p.pullRequestId,
        url: `${p.repository?.webUrl ?? ""}/pullrequest/${p.pullRequestId}`,
        state: merged ? "merged" : p.status === "abandoned" ? "closed" : "open",
        title: p.title,
        headBranch: branch(p.sourceRefName),
        headSha: p.lastMergeSourceCommit?.commitId ?? "",
        baseBranch: branch(p.targetRefName),
        ...(merged && p.lastMergeCommit?.commitId ? { mergeCommitSha: p.lastMergeCommit.commitId } : {}),
    };
}

const strategies: Record<MergeMethod, string> = {
    merge: "noFastForward",
    squash: "squash",
    rebase: "rebase",
};

const statusStates: Record<CommitStatus["state"], string> = {
    pending: "pending",
    success: "succeeded",
    failure: "failed",
    error: "error",
};

/**
 * Azure DevOps Repos (Services) through the Git REST API 7.1, with a personal access token (HTTP Basic, empty
 * user): pull requests completed by auto-complete (Azure DevOps completes one as soon as its branch policies
 * pass, required status checks included), commit statuses, the token. The repository is
 * `organization/project` (owner) and the repository name.
 */
export class AzureDevOpsClient implements ScmClient {
    private readonly rest: RestClient;

    constructor(opts: { readonly apiUrl: string; readonly token?: string }) {
        this.rest = new RestClient({
            hostName: "Azure DevOps",
            apiUrl: opts.apiUrl,
            auth: opts.token
                ? { authorization: `Basic ${Buffer.from(`:${opts.token}`).toString("base64")}` }
                : {},
            hints: {
                203: "the token was refused (Azure DevOps answers a sign-in page)",
                401: "the token was refused: put a personal access token with Code (read & write) and Code (status) in the variable the PROMOTIONS_HOSTS entry names (tokenEnv)",
                403: "the token lacks a scope or permission: it needs Code (read & write) and Code (status), and Contribute to pull requests on the repository",
                404: "no such repository for this token: check the organization, project and repository of the URL",
            },
        });
    }

    private base(repo: RepositoryRef): string {
        const [org, project] = repo.owner.split("/");
        return `/${encodeURIComponent(org)}/${encodeURIComponent(project)}/_apis/git/repositories/${encodeURIComponent(repo.name)}`;
    }

    async findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined> {
        const q = new URLSearchParams({
            "searchCriteria.sourceRefName": `refs/heads/${headBranch}`,
            "searchCriteria.status": "all",
            $top: "10",
        });
        const { body } = await this.rest.call<{ value: AzurePull[] }>(
            `list pull requests of ${repo.owner}/${repo.name}`,
            "GET",
            `${this.base(repo)}/pullrequests?${q}&${apiVersion}`,
        );
        // Newest first, as Azure DevOps lists them.
        const found = body.value.find((p) => branch(p.sourceRefName) === headBranch);
        return found ? this.getPullRequest(repo, found.pullRequestId) : undefined;
    }

    async openPullRequest(
        repo: RepositoryRef,
        pr: { head: string; base: string; title: string; body: string },
    ): Promise<PullRequest> {
        const { body } = await this.rest.call<AzurePull>(
            `open a pull request in ${repo.owner}/${repo.name}`,
            "POST",
            `${this.base(repo)}/pullrequests?${apiVersion}`,
            {
                body: {
                    sourceRefName: `refs/heads/${pr.head}`,
                    targetRefName: `refs/heads/${pr.base}`,
                    title: pr.title,
                    // Azure DevOps caps descriptions at 4000 characters.
                    description: pr.body.slice(0, 4000),
                },
            },
        );
        return pullRequest(body);
    }

    private async read(repo: RepositoryRef, number: number): Promise<AzurePull> {
        const { body } = await this.rest.call<AzurePull>(
            `read pull request ${number} of ${repo.owner}/${repo.name}`,
            "GET",
            `${this.base(repo)}/pullrequests/${number}?${apiVersion}`,
        );
        return body;
    }

    async getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return pullRequest(await this.read(repo, number));
    }

    private async patch(
        repo: RepositoryRef,
        number: number,
        what: string,
        change: Record<string, unknown>,
        accept: readonly number[] = [],
    ) {
        return this.rest.call<AzurePull | { message?: string }>(
            `${what} pull request ${number} of ${repo.owner}/${repo.name}`,
            "PATCH",
            `${this.base(repo)}/pullrequests/${number}?${apiVersion}`,
            { body: change, accept },
        );
    }

    async reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return pullRequest(
            (await this.patch(repo, number, "reactivate", { status: "active" })).body as AzurePull,
        );
    }

    async closePullRequest(repo: RepositoryRef, number: number): Promise<PullRequest> {
        return pullRequest(
            (await this.patch(repo, number, "abandon", { status: "abandoned" })).body as AzurePull,
        );
    }

    async updatePullRequest(
        repo: RepositoryRef,
        number: number,
        change: { title: string; body: string },
    ): Promise<PullRequest> {
        const res = await this.patch(repo, number, "update", {
            title: change.title,
            description: change.body.slice(0, 4000),
        });
        return pullRequest(res.body as AzurePull);
    }

    /**
     * Sets auto-complete (by the identity that opened it) with the merge strategy asked: Azure DevOps completes
     * the pull request once its policies pass. Until then: not merged, with why (policies pending, conflicts, a
     * permission the token lacks) naming the repository and the fix; the engine looks again.
     */
    async mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { method: MergeMethod; sha: string },
    ): Promise<{ merged: boolean; reason?: string }> {
        const where = `pull request ${number} of ${repo.owner}/${repo.name}`;
        const pr = await this.read(repo, number);
        if (pr.status === "completed") {
            return { merged: true };
        }
        if (pr.mergeStatus === "conflicts" || pr.mergeStatus === "failure") {
            return {
                merged: false,
                reason: `Azure DevOps cannot complete ${where}: ${pr.mergeStatus}${pr.mergeFailureMessage ? ` (${pr.mergeFailureMessage})` : ""} (fix: resolve the conflict on the branch)`,
            };
        }
        if (!pr.autoCompleteSetBy) {
            const res = await this.patch(
                repo,
                number,
                "set auto-complete on",
                {
                    autoCompleteSetBy: { id: pr.createdBy?.id },
                    completionOptions: { mergeStrategy: strategies[opts.method], deleteSourceBranch: false },
                },
                [400, 403, 409],
            );
            if (res.status !== 200) {
                const message = (res.body as { message?: string }).message ?? "";
                return {
                    merged: false,
                    reason: `Azure DevOps refused auto-complete of ${where}: ${res.status} ${message} (fix: ${res.status === 403 ? "give the token's identity Contribute to pull requests on the target branch, or complete it yourself" : "check the pull request in Azure DevOps"})`,
                };
            }
            if ((res.body as AzurePull).status === "completed") {
                return { merged: true };
            }
        }
        return {
            merged: false,
            reason: `Azure DevOps completes ${where} when its branch policies pass (auto-complete is set)`,
        };
    }

    async setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void> {
        await this.rest.call(
            `set commit status on ${sha.slice(0, 12)} in ${repo.owner}/${repo.name}`,
            "POST",
            `${this.base(repo)}/commits/${sha}/statuses?${apiVersion}`,
            {
                body: {
                    state: statusStates[status.state],
                    description: status.description,
                    context: { name: status.context },
                    ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
                },
            },
        );
    }

    /**
     * Lists the repositories of the project the hosts prefix names (`https://dev.azure.com/org/project/`): the
     * token reads code there. Azure DevOps does not say a token's scopes; the write scopes show at first use.
     */
    async checkToken(prefix?: string): Promise<TokenFinding> {
        const segments = (/^https?:\/\/[^/]+\/(.*)$/.exec(prefix ?? "")?.[1] ?? "")
            .split("/")
            .filter(Boolean);
        if (segments.length < 2) {
            return {
                ok: true,
                detail: "not checked: the hosts prefix names no project (e.g. https://dev.azure.com/org/project/)",
            };
        }
        const [org, project] = segments;
        try {
            const { body } = await this.rest.call<{ count?: number }>(
                `list the repositories of ${org}/${project}`,
                "GET",
                `/${encodeURIComponent(org)}/${encodeURIComponent(project)}/_apis/git/repositories?${apiVersion}`,
            );
            return {
                ok: true,
                detail: `reads ${body.count ?? 0} repositories of ${org}/${project} (it also needs Code (read & write) and Code (status), shown at first use)`,
            };
        } catch (e) {
            const status = e instanceof ScmApiError ? e.status : undefined;
            return {
                ok: false,
                detail: e instanceof Error ? e.message : String(e),
                fix:
                    status === 401 || status === 203
                        ? "the token was refused: create a personal access token with Code (read & write) and Code (status)"
                        : "check the organization and project of the hosts prefix, and the token's scopes",
            };
        }
    }
}
