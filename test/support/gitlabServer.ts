import type * as http from "http";
import { HostStandIn, StandInError, mergeBranches, now, resolveRev } from "./hostStandIn";
import type { MatchedOperation } from "./openapi";
import { ApiDescription, fromSwagger2 } from "./openapi";
import gitlabSpec from "./apis/gitlab-v4.json";

/** The REST operations the stand-in serves (paths of GitLab's description). */
const operations = [
    "/api/v4/projects/{id}/merge_requests",
    "/api/v4/projects/{id}/merge_requests/{merge_request_iid}",
    "/api/v4/projects/{id}/merge_requests/{merge_request_iid}/merge",
    "/api/v4/projects/{id}/statuses/{sha}",
    "/api/v4/personal_access_tokens/self",
];

interface MergeRequest {
    iid: number;
    id: number;
    project: string;
    title: string;
    description: string;
    source: string;
    target: string;
    state: "opened" | "closed" | "merged";
    sha: string;
    mergeCommitSha: string | null;
    squashCommitSha: string | null;
    mergeWhenPipelineSucceeds: boolean;
    squash: boolean;
    createdAt: string;
    updatedAt: string;
    mergedAt: string | null;
    closedAt: string | null;
    mergedBy: string | null;
}

let description: ApiDescription | undefined;
/** GitLab's description, trimmed (test/support/apis/gitlab-v4.json says from where). */
function gitlabDescription(): ApiDescription {
    description ??= new ApiDescription(
        "GitLab",
        fromSwagger2(gitlabSpec as unknown as Record<string, unknown>),
        true,
    );
    return description;
}

const gone = () => new StandInError(404, { message: "404 Not found" });

/**
 * A stand-in for GitLab (gitlab.com or self-managed): git at `/<group>/<project>.git`, REST API v4 under
 * `/api/v4`, every request and answer checked against GitLab's published description (apis/gitlab-v4.json).
 * Merge requests merge with real git; "merge when pipeline succeeds" waits for the commit statuses the
 * branch's required checks name ({@link requiredChecks}), as GitLab waits for a pipeline, and merges when the
 * last one turns `success`. The token's scopes ({@link scopes}) decide what it may do: without `api`, writes
 * are refused with GitLab's 403 `insufficient_scope`.
 */
export class GitLabServer extends HostStandIn {
    readonly mergeRequests: MergeRequest[] = [];
    /** Statuses per project and commit: name → state. */
    readonly statuses = new Map<string, Map<string, string>>();
    /** The token's scopes. */
    scopes: string[] = ["api"];
    private nextId = 5000;

    private constructor(root: string, token: string) {
        super(root, token, "/api/v4", gitlabDescription(), operations);
    }

    static async start(root: string, token: string): Promise<GitLabServer> {
        const s = new GitLabServer(root, token);
        await s.listen();
        return s;
    }

    /** The clone URL of a project. */
    url(group: string, name: string): string {
        return `http://${this.host}/${group}/${name}.git`;
    }

    /** The prefix a hosts entry names for this server. */
    get prefix(): string {
        return `http://${this.host}/`;
    }

    protected override describedPath(apiPath: string): string {
        return `/api/v4${apiPath}`;
    }

    protected authorized(req: http.IncomingMessage): boolean {
        const auth = req.headers["private-token"] ?? req.headers.authorization;
        const scopeOk =
            this.scopes.includes("api") || (req.method === "GET" && this.scopes.includes("read_api"));
        return (auth === this.token || auth === `Bearer ${this.token}`) && scopeOk;
    }

    protected unauthorized(): [number, unknown] {
        // A known token whose scopes do not allow the call: GitLab's insufficient_scope.
        return this.scopes.length > 0 && !this.scopes.includes("api")
            ? [
                  403,
                  {
                      error: "insufficient_scope",
                      error_description:
                          "The request requires higher privileges than provided by the access token.",
                      scope: "api",
                  },
              ]
            : [401, { message: "401 Unauthorized" }];
    }

    protected notFoundBody(): unknown {
        return { error: "404 Not Found" };
    }

    /** As a person: merges a merge request in the web UI. */
    mergeAsPerson(project: string, iid: number): void {
        const mr = this.mr(project, iid);
        this.merge(mr, false);
    }

    /** As a person: closes a merge request. */
    closeAsPerson(project: string, iid: number): void {
        const mr = this.mr(project, iid);
        mr.state = "closed";
        mr.closedAt = now();
    }

    /** As the project's CI: sets a commit status (as a pipeline job would). */
    setStatus(project: string, sha: string, name: string, state: string): void {
        this.recordStatus(project, sha, name, state);
    }

    /** A push event as GitLab's webhook sends it (the body for `X-Gitlab-Event: Push Hook`). */
    pushPayload(group: string, name: string, branch: string, before: string, after: string): unknown {
        const web = `http://${this.host}/${group}/${name}`;
        return {
            object_kind: "push",
            event_name: "push",
            before,
            after,
            ref: `refs/heads/${branch}`,
            ref_protected: true,
            checkout_sha: after,
            user_id: 1,
            user_name: "Pusher",
            user_username: "pusher",
            project_id: 1,
            project: {
                id: 1,
                name,
                web_url: web,
                git_ssh_url: `git@127.0.0.1:${group}/${name}.git`,
                git_http_url: this.url(group, name),
                namespace: group,
                path_with_namespace: `${group}/${name}`,
                default_branch: "main",
            },
            commits: [],
            total_commits_count: 0,
            repository: {
                name,
                url: `git@127.0.0.1:${group}/${name}.git`,
                homepage: web,
                git_http_url: this.url(group, name),
                git_ssh_url: `git@127.0.0.1:${group}/${name}.git`,
            },
        };
    }

    private mr(project: string, iid: number | string): MergeRequest {
        const mr = this.mergeRequests.find((m) => m.project === project && m.iid === Number(iid));
        if (!mr) {
            throw gone();
        }
        return mr;
    }

    private dir(project: string): string {
        const i = project.lastIndexOf("/");
        const dir = this.bare(project.slice(0, i), project.slice(i + 1));
        if (!resolveRev(dir, "HEAD")) {
            throw new StandInError(404, { message: "404 Project Not Found" });
        }
        return dir;
    }

    protected handle(
        op: MatchedOperation,
        query: Record<string, unknown>,
        body: Record<string, unknown>,
    ): [number, unknown] {
        const project = op.params.id;
        switch (op.operationId) {
            case "getApiV4PersonalAccessTokensSelf":
                return [
                    200,
                    {
                        id: 1,
                        name: "promotions",
                        revoked: false,
                        created_at: now(),
                        description: null,
                        scopes: this.scopes,
                        user_id: 1,
                        last_used_at: now(),
                        active: true,
                        expires_at: null,
                    },
                ];
            case "getApiV4ProjectsIdMergeRequests": {
                this.dir(project);
                let list = this.mergeRequests.filter((m) => m.project === project);
                if (query.source_branch) {
                    list = list.filter((m) => m.source === query.source_branch);
                }
                if (query.state && query.state !== "all") {
                    list = list.filter((m) => m.state === query.state);
                }
                list = [...list].sort((a, b) => b.iid - a.iid);
                if (query.sort === "asc") {
                    list.reverse();
                }
                return [200, list.slice(0, Number(query.per_page ?? 20)).map((m) => this.json(m))];
            }
            case "postApiV4ProjectsIdMergeRequests": {
                const dir = this.dir(project);
                const source = String(body.source_branch);
                const target = String(body.target_branch);
                const sha = resolveRev(dir, `refs/heads/${source}`);
                if (!sha || !resolveRev(dir, `refs/heads/${target}`)) {
                    throw new StandInError(400, { message: { source_branch: ["is invalid"] } });
                }
                const open = this.mergeRequests.find(
                    (m) => m.project === project && m.source === source && m.state === "opened",
                );
                if (open) {
                    throw new StandInError(409, {
                        message: [
                            `Another open merge request already exists for this source branch: !${open.iid}`,
                        ],
                    });
                }
                const at = now();
                const mr: MergeRequest = {
                    iid: this.mergeRequests.filter((m) => m.project === project).length + 1,
                    id: this.nextId++,
                    project,
                    title: String(body.title),
                    description: typeof body.description === "string" ? body.description : "",
                    source,
                    target,
                    state: "opened",
                    sha,
                    mergeCommitSha: null,
                    squashCommitSha: null,
                    mergeWhenPipelineSucceeds: false,
                    squash: body.squash === true,
                    createdAt: at,
                    updatedAt: at,
                    mergedAt: null,
                    closedAt: null,
                    mergedBy: null,
                };
                this.mergeRequests.push(mr);
                return [201, this.json(mr)];
            }
            case "getApiV4ProjectsIdMergeRequestsMergeRequestIid":
                return [200, this.json(this.refresh(this.mr(project, op.params.merge_request_iid)))];
            case "putApiV4ProjectsIdMergeRequestsMergeRequestIid": {
                const mr = this.mr(project, op.params.merge_request_iid);
                if (body.state_event === "close" && mr.state === "opened") {
                    mr.state = "closed";
                    mr.closedAt = now();
                } else if (body.state_event === "reopen" && mr.state === "closed") {
                    if (!resolveRev(this.dir(project), `refs/heads/${mr.source}`)) {
                        throw new StandInError(422, { message: ["Source branch does not exist"] });
                    }
                    mr.state = "opened";
                    mr.closedAt = null;
                }
                if (typeof body.title === "string") {
                    mr.title = body.title;
                }
                if (typeof body.description === "string") {
                    mr.description = body.description;
                }
                mr.updatedAt = now();
                return [200, this.json(this.refresh(mr))];
            }
            case "putApiV4ProjectsIdMergeRequestsMergeRequestIidMerge": {
                const mr = this.refresh(this.mr(project, op.params.merge_request_iid));
                if (mr.state !== "opened") {
                    throw new StandInError(405, { message: "405 Method Not Allowed" });
                }
                if (this.protectedBranches.has(mr.target)) {
                    throw new StandInError(401, { message: "401 Unauthorized" });
                }
                if (typeof body.sha === "string" && body.sha !== mr.sha) {
                    throw new StandInError(409, {
                        message: `SHA does not match HEAD of source branch: ${mr.sha}`,
                    });
                }
                mr.squash = body.squash === true || mr.squash;
                const missing = this.missingChecks(mr.target, this.statuses.get(`${project}@${mr.sha}`));
                if (missing.length > 0) {
                    if (body.merge_when_pipeline_succeeds === true || body.auto_merge === true) {
                        mr.mergeWhenPipelineSucceeds = true;
                        return [200, this.json(mr)];
                    }
                    throw new StandInError(405, { message: "405 Method Not Allowed" });
                }
                this.merge(mr, true);
                return [200, this.json(mr)];
            }
            case "postApiV4ProjectsIdStatusesSha": {
                const dir = this.dir(project);
                const sha = resolveRev(dir, `${op.params.sha}^{commit}`);
                if (!sha) {
                    throw new StandInError(404, { message: "404 Commit Not Found" });
                }
                const name = String(body.name ?? body.context ?? "default");
                this.recordStatus(project, sha, name, String(body.state));
                return [
                    201,
                    {
                        id: this.nextId++,
                        sha,
                        ref: null,
                        status: String(body.state),
                        name,
                        target_url: typeof body.target_url === "string" ? body.target_url : null,
                        description: typeof body.description === "string" ? body.description : null,
                        created_at: now(),
                        started_at: null,
                        finished_at: null,
                        allow_failure: false,
                        coverage: null,
                        author: this.user("promotions"),
                    },
                ];
            }
            default:
                throw new Error(`no handler for ${op.operationId}`);
        }
    }

    /** The source branch's tip, as GitLab keeps `sha` current while the merge request is open. */
    private refresh(mr: MergeRequest): MergeRequest {
        if (mr.state === "opened") {
            mr.sha = resolveRev(this.dir(mr.project), `refs/heads/${mr.source}`) ?? mr.sha;
        }
        return mr;
    }

    private recordStatus(project: string, sha: string, name: string, state: string): void {
        const key = `${project}@${sha}`;
        const map = this.statuses.get(key) ?? new Map<string, string>();
        map.set(name, state);
        this.statuses.set(key, map);
        // Merge when pipeline succeeds: the last required check passing merges the merge request.
        for (const mr of this.mergeRequests) {
            if (
                mr.project === project &&
                mr.state === "opened" &&
                mr.mergeWhenPipelineSucceeds &&
                mr.sha === sha &&
                this.missingChecks(mr.target, map).length === 0
            ) {
                try {
                    this.merge(mr, true);
                } catch {
                    // A conflict leaves it open, as GitLab does (it shows the merge as failed).
                    mr.mergeWhenPipelineSucceeds = false;
                }
            }
        }
    }

    private merge(mr: MergeRequest, byToken: boolean): void {
        const dir = this.dir(mr.project);
        let tip: string;
        try {
            tip = mergeBranches(dir, {
                head: mr.source,
                base: mr.target,
                method: mr.squash ? "squash" : "merge",
                message: mr.squash
                    ? mr.title
                    : `Merge branch '${mr.source}' into '${mr.target}'\n\n${mr.title}\n\nSee merge request ${mr.project}!${mr.iid}`,
            });
        } catch (e) {
            throw new StandInError((e as Error).message === "moved" ? 409 : 422, {
                message: "Branch cannot be merged",
            });
        }
        const at = now();
        Object.assign(mr, {
            state: "merged",
            mergeCommitSha: mr.squash ? null : tip,
            squashCommitSha: mr.squash ? tip : null,
            mergedAt: at,
            updatedAt: at,
            mergedBy: byToken ? "promotions" : "reviewer",
        });
    }

    private user(username: string) {
        return {
            id: username.length,
            username,
            name: username,
            state: "active",
            web_url: `http://${this.host}/${username}`,
        };
    }

    private json(mr: MergeRequest) {
        return {
            id: mr.id,
            iid: mr.iid,
            project_id: 1,
            title: mr.title,
            description: mr.description,
            state: mr.state,
            created_at: mr.createdAt,
            updated_at: mr.updatedAt,
            merged_at: mr.mergedAt,
            closed_at: mr.closedAt,
            merged_by: mr.mergedBy ? this.user(mr.mergedBy) : null,
            target_branch: mr.target,
            source_branch: mr.source,
            source_project_id: 1,
            target_project_id: 1,
            draft: false,
            merge_when_pipeline_succeeds: mr.mergeWhenPipelineSucceeds,
            merge_status: "can_be_merged",
            detailed_merge_status: mr.mergeWhenPipelineSucceeds ? "ci_still_running" : "mergeable",
            sha: mr.sha,
            merge_commit_sha: mr.mergeCommitSha,
            squash_commit_sha: mr.squashCommitSha,
            squash: mr.squash,
            web_url: `http://${this.host}/${mr.project}/-/merge_requests/${mr.iid}`,
            author: this.user("promotions"),
            references: { short: `!${mr.iid}`, full: `${mr.project}!${mr.iid}` },
        };
    }
}
