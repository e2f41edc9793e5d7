import type * as http from "http";
import azureSpec from "./apis/azure-devops-git-7.1.json";
import { HostStandIn, StandInError, mergeBranches, now, resolveRev } from "./hostStandIn";
import type { MatchedOperation } from "./openapi";
import { ApiDescription, fromSwagger2 } from "./openapi";

/** The REST operations the stand-in serves (paths of Azure DevOps' description). */
const operations = [
    "/{organization}/{project}/_apis/git/repositories",
    "/{organization}/{project}/_apis/git/repositories/{repositoryId}/commits/{commitId}/statuses",
    "/{organization}/{project}/_apis/git/repositories/{repositoryId}/pullrequests",
    "/{organization}/{project}/_apis/git/repositories/{repositoryId}/pullrequests/{pullRequestId}",
];

interface Pull {
    id: number;
    /** `org/project/repo`. */
    repo: string;
    title: string;
    description: string;
    source: string;
    target: string;
    status: "active" | "abandoned" | "completed";
    sha: string;
    mergeCommit: string | null;
    autoComplete: boolean;
    strategy: string;
    created: string;
    /** Statuses on the pull request (what a status-check policy reads): name → state. */
    statuses: Map<string, string>;
}

let description: ApiDescription | undefined;
/** Azure DevOps' description, trimmed (test/support/apis/azure-devops-git-7.1.json says from where). */
function azureDescription(): ApiDescription {
    description ??= new ApiDescription(
        "Azure DevOps",
        fromSwagger2(azureSpec as unknown as Record<string, unknown>),
        true,
        true,
    );
    return description;
}

const identity = {
    id: "6f3c1b2a-0000-4000-8000-000000000001",
    displayName: "Promotions",
    uniqueName: "promotions@example.com",
};

const refused = (status: number, message: string, typeKey = "InvalidArgumentValueException") =>
    new StandInError(status, {
        $id: "1",
        innerException: null,
        message,
        typeName: typeKey,
        typeKey,
        errorCode: 0,
    });

/**
 * A stand-in for Azure DevOps Repos: git at `/<org>/<project>/_git/<repo>`, the Git REST API (api-version 7.1)
 * under `/<org>/<project>/_apis/git/…`, every request and answer checked against Azure DevOps' published
 * description (apis/azure-devops-git-7.1.json). Auto-complete completes a pull request with a real git merge
 * once the target branch's required status checks ({@link requiredChecks}) are `succeeded` on the pull
 * request, as a status-check branch policy does; the test plays the CI that posts them. A branch only people
 * may complete into ({@link protectedBranches}) refuses auto-complete with 403. A token refused answers 401;
 * {@link readOnly} makes writes answer 403 as a token without Code (write) does.
 */
export class AzureDevOpsServer extends HostStandIn {
    readonly pullRequests: Pull[] = [];
    /** Commit statuses per repository and commit: name → state. */
    readonly statuses = new Map<string, Map<string, string>>();
    /** The token may read only (a PAT with Code (read)). */
    readOnly = false;
    private nextId = 1;

    private constructor(root: string, token: string) {
        super(root, token, "", azureDescription(), operations);
    }

    static async start(root: string, token: string): Promise<AzureDevOpsServer> {
        const s = new AzureDevOpsServer(root, token);
        await s.listen();
        return s;
    }

    protected override isApi(url: string): boolean {
        return url.includes("/_apis/");
    }

    /** The clone URL of a repository. */
    url(org: string, project: string, name: string): string {
        return `http://${this.host}/${org}/${project}/_git/${name}`;
    }

    get prefix(): string {
        return `http://${this.host}/`;
    }

    protected authorized(req: http.IncomingMessage): boolean {
        const m = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
        const password = m ? Buffer.from(m[1], "base64").toString("utf8").split(":").slice(1).join(":") : "";
        return password === this.token && (!this.readOnly || req.method === "GET");
    }

    protected unauthorized(): [number, unknown] {
        return this.readOnly
            ? [
                  403,
                  {
                      message:
                          "TF401027: You need the Git 'GenericContribute' permission to perform this action.",
                      typeKey: "GitNeedsPermissionException",
                  },
              ]
            : [401, { message: "TF400813: The user is not authorized to access this resource." }];
    }

    protected notFoundBody(): unknown {
        return { message: "The controller for path was not found.", typeKey: "HttpException" };
    }

    /** As the CI: posts a status on a pull request (what a status-check policy waits for). */
    setPullRequestStatus(id: number, name: string, state: string): void {
        const p = this.pullRequests.find((x) => x.id === id)!;
        p.statuses.set(name, state);
        this.tryComplete(p);
    }

    /** A `git.push` service hook event, as the Web Hooks consumer posts it. */
    pushPayload(
        org: string,
        project: string,
        name: string,
        branch: string,
        before: string,
        after: string,
    ): unknown {
        return {
            subscriptionId: "00000000-0000-4000-8000-0000000000aa",
            notificationId: 1,
            id: "03c164c2-8912-4d5e-8009-3707d5f83734",
            eventType: "git.push",
            publisherId: "tfs",
            message: { text: "Pusher pushed updates" },
            resource: {
                refUpdates: [{ name: `refs/heads/${branch}`, oldObjectId: before, newObjectId: after }],
                repository: {
                    id: name,
                    name,
                    project: { id: project, name: project },
                    remoteUrl: this.url(org, project, name),
                },
                pushId: 1,
                date: now(),
            },
            createdDate: now(),
        };
    }

    private dir(repo: string): string {
        const [org, project, name] = repo.split("/");
        const dir = this.bare(`${org}/${project}/_git`, name);
        if (!resolveRev(dir, "HEAD")) {
            throw refused(
                404,
                `TF401019: The Git repository with name or identifier ${name} does not exist or you do not have permissions for the operation you are attempting.`,
                "GitRepositoryNotFoundException",
            );
        }
        return dir;
    }

    private pull(repo: string, id: string | number): Pull {
        const p = this.pullRequests.find((x) => x.repo === repo && x.id === Number(id));
        if (!p) {
            throw refused(
                404,
                `TF401180: The requested pull request was not found.`,
                "GitPullRequestNotFoundException",
            );
        }
        return p;
    }

    protected handle(
        op: MatchedOperation,
        query: Record<string, unknown>,
        body: Record<string, unknown>,
    ): [number, unknown] {
        const { organization, project, repositoryId } = op.params;
        const repo = `${organization}/${project}/${repositoryId}`;
        switch (op.operationId) {
            case "Repositories_List":
                return [200, { count: 1, value: [this.repository(`${organization}/${project}/gitops`)] }];
            case "Pull Requests_Get Pull Requests": {
                this.dir(repo);
                let list = this.pullRequests.filter((p) => p.repo === repo);
                const source = query["searchCriteria.sourceRefName"];
                if (typeof source === "string") {
                    list = list.filter((p) => `refs/heads/${p.source}` === source);
                }
                const status = query["searchCriteria.status"] ?? "active";
                if (status !== "all") {
                    list = list.filter((p) => p.status === status);
                }
                list = [...list].reverse().slice(0, Number(query.$top ?? 101));
                return [200, { count: list.length, value: list.map((p) => this.json(p)) }];
            }
            case "Pull Requests_Create": {
                const dir = this.dir(repo);
                const source = String(body.sourceRefName ?? "").replace(/^refs\/heads\//, "");
                const target = String(body.targetRefName ?? "").replace(/^refs\/heads\//, "");
                const sha = resolveRev(dir, `refs/heads/${source}`);
                if (!sha || !resolveRev(dir, `refs/heads/${target}`)) {
                    throw refused(
                        400,
                        `TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists.`,
                    );
                }
                if (
                    this.pullRequests.some(
                        (p) =>
                            p.repo === repo &&
                            p.source === source &&
                            p.target === target &&
                            p.status === "active",
                    )
                ) {
                    throw refused(
                        409,
                        "TF401179: An active pull request for the source and target branch already exists.",
                        "GitPullRequestExistsException",
                    );
                }
                const p: Pull = {
                    id: this.nextId++,
                    repo,
                    title: String(body.title ?? ""),
                    description: typeof body.description === "string" ? body.description : "",
                    source,
                    target,
                    status: "active",
                    sha,
                    mergeCommit: null,
                    autoComplete: false,
                    strategy: "noFastForward",
                    created: now(),
                    statuses: new Map(),
                };
                this.pullRequests.push(p);
                return [201, this.json(p)];
            }
            case "Pull Requests_Get Pull Request":
                return [200, this.json(this.refresh(this.pull(repo, op.params.pullRequestId)))];
            case "Pull Requests_Update": {
                const p = this.refresh(this.pull(repo, op.params.pullRequestId));
                if (body.status === "abandoned" && p.status === "active") {
                    p.status = "abandoned";
                    p.autoComplete = false;
                } else if (body.status === "active" && p.status === "abandoned") {
                    p.status = "active";
                } else if (body.status === "completed") {
                    this.complete(p);
                }
                if (typeof body.title === "string") {
                    p.title = body.title;
                }
                if (typeof body.description === "string") {
                    p.description = body.description;
                }
                if (body.autoCompleteSetBy) {
                    if (this.protectedBranches.has(p.target)) {
                        throw refused(
                            403,
                            `TF401027: You need the Git 'PullRequestContribute' permission to perform this action. Details: identity '${identity.displayName}', scope 'branch ${p.target}'.`,
                            "GitNeedsPermissionException",
                        );
                    }
                    const options = body.completionOptions as { mergeStrategy?: string } | undefined;
                    p.autoComplete = true;
                    p.strategy = options?.mergeStrategy ?? "noFastForward";
                    this.tryComplete(p);
                }
                return [200, this.json(p)];
            }
            case "Statuses_Create": {
                const dir = this.dir(repo);
                const sha = resolveRev(dir, `${op.params.commitId}^{commit}`);
                if (!sha) {
                    throw refused(404, `TF401174: The item '${op.params.commitId}' could not be found.`);
                }
                const context = (body.context ?? {}) as { name?: string; genre?: string };
                const key = `${repo}@${sha}`;
                const m = this.statuses.get(key) ?? new Map<string, string>();
                m.set(String(context.name), String(body.state));
                this.statuses.set(key, m);
                return [
                    201,
                    {
                        id: m.size,
                        state: String(body.state),
                        description: typeof body.description === "string" ? body.description : "",
                        context: {
                            name: String(context.name),
                            ...(context.genre ? { genre: context.genre } : {}),
                        },
                        creationDate: now(),
                        updatedDate: now(),
                        createdBy: identity,
                        ...(typeof body.targetUrl === "string" ? { targetUrl: body.targetUrl } : {}),
                    },
                ];
            }
            default:
                throw new Error(`no handler for ${op.operationId}`);
        }
    }

    /** Auto-complete: completes once the required status checks passed on the pull request. */
    private tryComplete(p: Pull): void {
        if (p.status !== "active" || !p.autoComplete) {
            return;
        }
        const passed = new Map([...p.statuses].map(([k, v]) => [k, v === "succeeded" ? "success" : v]));
        if (this.missingChecks(p.target, passed).length === 0) {
            this.complete(p);
        }
    }

    private complete(p: Pull): void {
        const tip = mergeBranches(this.dir(p.repo), {
            head: p.source,
            base: p.target,
            method: p.strategy === "squash" ? "squash" : p.strategy === "rebase" ? "rebase" : "merge",
            message: `Merged PR ${p.id}: ${p.title}`,
        });
        Object.assign(p, { status: "completed", mergeCommit: tip });
    }

    private refresh(p: Pull): Pull {
        if (p.status === "active") {
            p.sha = resolveRev(this.dir(p.repo), `refs/heads/${p.source}`) ?? p.sha;
        }
        return p;
    }

    private repository(repo: string) {
        const [org, project, name] = repo.split("/");
        return {
            id: name,
            name,
            url: `${this.apiUrl}/${org}/${project}/_apis/git/repositories/${name}`,
            project: { id: project, name: project, state: "wellFormed", visibility: "private" },
            defaultBranch: "refs/heads/main",
            remoteUrl: this.url(org, project, name),
            webUrl: this.url(org, project, name),
        };
    }

    private json(p: Pull) {
        return {
            repository: this.repository(p.repo),
            pullRequestId: p.id,
            codeReviewId: p.id,
            status: p.status,
            createdBy: identity,
            creationDate: p.created,
            title: p.title,
            description: p.description,
            sourceRefName: `refs/heads/${p.source}`,
            targetRefName: `refs/heads/${p.target}`,
            mergeStatus: p.status === "completed" ? "succeeded" : "queued",
            isDraft: false,
            mergeId: "00000000-0000-4000-8000-00000000" + String(1000 + p.id),
            lastMergeSourceCommit: { commitId: p.sha },
            ...(p.mergeCommit ? { lastMergeCommit: { commitId: p.mergeCommit } } : {}),
            ...(p.autoComplete
                ? {
                      autoCompleteSetBy: identity,
                      completionOptions: { mergeStrategy: p.strategy, deleteSourceBranch: false },
                  }
                : {}),
            reviewers: [],
            url: `${this.apiUrl}/${p.repo.split("/").slice(0, 2).join("/")}/_apis/git/repositories/${p.repo.split("/")[2]}/pullRequests/${p.id}`,
            supportsIterations: true,
        };
    }
}
