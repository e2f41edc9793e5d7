import type * as http from "http";
import bitbucketSpec from "./apis/bitbucket-cloud.json";
import { HostStandIn, StandInError, mergeBranches, now, resolveRev } from "./hostStandIn";
import type { MatchedOperation } from "./openapi";
import { ApiDescription } from "./openapi";

/** The REST operations the stand-in serves (paths of Bitbucket's description). */
const operations = [
    "/repositories/{workspace}/{repo_slug}/pullrequests",
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}",
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/merge",
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/decline",
    "/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build",
    "/user",
];

interface Pull {
    id: number;
    repo: string;
    title: string;
    description: string;
    source: string;
    destination: string;
    state: "OPEN" | "MERGED" | "DECLINED";
    sha: string;
    mergeCommit: string | null;
    createdOn: string;
    updatedOn: string;
}

let description: ApiDescription | undefined;
/** Bitbucket's description, trimmed (test/support/apis/bitbucket-cloud.json says from where). */
function bitbucketDescription(): ApiDescription {
    description ??= new ApiDescription("Bitbucket", bitbucketSpec as never, true);
    return description;
}

const error = (status: number, message: string) =>
    new StandInError(status, { type: "error", error: { message } });

/**
 * A stand-in for Bitbucket Cloud: git at `/<workspace>/<repo>.git`, REST API 2.0 under `/2.0`, every request
 * and answer checked against Bitbucket's published description (apis/bitbucket-cloud.json). Pull requests merge
 * with real git (merge commit, squash, fast-forward); a branch's required builds ({@link requiredChecks}) are a
 * merge check, refused with 400 until they are SUCCESSFUL, as Bitbucket's "minimum successful builds" check
 * does; a restricted branch ({@link protectedBranches}) refuses the token's merges with 403. Commits appear as
 * 12-character hashes, as Bitbucket shows them. The token's scopes ({@link scopes}) go out in
 * `X-OAuth-Scopes`; without `pullrequest:write`, writes are refused with 403.
 */
export class BitbucketServer extends HostStandIn {
    readonly pulls: Pull[] = [];
    /** Build statuses per repository and commit: key → state. */
    readonly statuses = new Map<string, Map<string, string>>();
    scopes: string[] = ["pullrequest:write", "repository:write"];

    private constructor(root: string, token: string) {
        super(root, token, "/2.0", bitbucketDescription(), operations);
    }

    static async start(root: string, token: string): Promise<BitbucketServer> {
        const s = new BitbucketServer(root, token);
        await s.listen();
        return s;
    }

    /** The clone URL of a repository. */
    url(workspace: string, name: string): string {
        return `http://${this.host}/${workspace}/${name}.git`;
    }

    get prefix(): string {
        return `http://${this.host}/`;
    }

    protected authorized(req: http.IncomingMessage): boolean {
        const writes = req.method !== "GET";
        return (
            req.headers.authorization === `Bearer ${this.token}` &&
            (!writes || this.scopes.includes("pullrequest:write"))
        );
    }

    protected unauthorized(): [number, unknown] {
        return this.scopes.includes("pullrequest:write")
            ? [401, { type: "error", error: { message: "Unauthorized" } }]
            : [
                  403,
                  {
                      type: "error",
                      error: {
                          message: "Your credentials lack one or more required privilege scopes.",
                          detail: { granted: this.scopes, required: ["pullrequest:write"] },
                      },
                  },
              ];
    }

    protected notFoundBody(): unknown {
        return { type: "error", error: { message: "Resource not found" } };
    }

    protected override responseHeaders(): Record<string, string> {
        return { "x-oauth-scopes": this.scopes.join(", ") };
    }

    /** As the CI: sets a build status. */
    setStatus(repo: string, sha: string, key: string, state: string): void {
        const k = `${repo}@${sha}`;
        const m = this.statuses.get(k) ?? new Map<string, string>();
        m.set(key, state);
        this.statuses.set(k, m);
    }

    /** A `repo:push` delivery as Bitbucket Cloud sends it. */
    pushPayload(workspace: string, name: string, branch: string, before: string, after: string): unknown {
        const html = `http://${this.host}/${workspace}/${name}`;
        return {
            actor: { type: "user", display_name: "Pusher" },
            repository: {
                type: "repository",
                full_name: `${workspace}/${name}`,
                name,
                links: { html: { href: html } },
            },
            push: {
                changes: [
                    {
                        new: { type: "branch", name: branch, target: { type: "commit", hash: after } },
                        old: { type: "branch", name: branch, target: { type: "commit", hash: before } },
                        created: false,
                        closed: false,
                        forced: false,
                    },
                ],
            },
        };
    }

    private dir(repo: string): string {
        const [workspace, name] = repo.split("/");
        const dir = this.bare(workspace, name);
        if (!resolveRev(dir, "HEAD")) {
            throw error(404, `Repository ${repo} not found`);
        }
        return dir;
    }

    private pull(repo: string, id: string | number): Pull {
        const p = this.pulls.find((x) => x.repo === repo && x.id === Number(id));
        if (!p) {
            throw error(404, "Pull request not found");
        }
        return p;
    }

    protected handle(
        op: MatchedOperation,
        _query: Record<string, unknown>,
        body: Record<string, unknown>,
        url: URL,
    ): [number, unknown] {
        const repo = `${op.params.workspace}/${op.params.repo_slug}`;
        switch (op.operationId) {
            case "getCurrentUser":
                return [
                    200,
                    {
                        type: "user",
                        uuid: "{1}",
                        display_name: "Promotions",
                        username: "promotions",
                        links: {},
                    },
                ];
            case "listPullRequests": {
                this.dir(repo);
                const states = url.searchParams.getAll("state") ?? [];
                const q = /^source\.branch\.name = "(.*)"$/.exec(url.searchParams.get("q") ?? "");
                let list = this.pulls.filter((p) => p.repo === repo);
                list = list.filter((p) =>
                    states.length > 0 ? states.includes(p.state) : p.state === "OPEN",
                );
                if (q) {
                    list = list.filter((p) => p.source === q[1].replace(/\\"/g, '"'));
                }
                if (url.searchParams.get("sort") === "-created_on") {
                    list = [...list].reverse();
                }
                return [
                    200,
                    {
                        size: list.length,
                        page: 1,
                        pagelen: 10,
                        values: list.slice(0, 10).map((p) => this.json(p)),
                    },
                ];
            }
            case "createPullRequest": {
                const dir = this.dir(repo);
                const source =
                    (body.source as { branch?: { name?: string } } | undefined)?.branch?.name ?? "";
                const destination =
                    (body.destination as { branch?: { name?: string } } | undefined)?.branch?.name ?? "main";
                const sha = resolveRev(dir, `refs/heads/${source}`);
                if (!sha || !resolveRev(dir, `refs/heads/${destination}`)) {
                    throw error(400, `source: branch not found: ${source}`);
                }
                const open = this.pulls.find(
                    (p) => p.repo === repo && p.source === source && p.state === "OPEN",
                );
                if (open) {
                    // Bitbucket answers the existing open pull request's update for the same branches.
                    return [201, this.json(open)];
                }
                const at = now();
                const p: Pull = {
                    id: this.pulls.filter((x) => x.repo === repo).length + 1,
                    repo,
                    title: String(body.title ?? ""),
                    description: typeof body.description === "string" ? body.description : "",
                    source,
                    destination,
                    state: "OPEN",
                    sha,
                    mergeCommit: null,
                    createdOn: at,
                    updatedOn: at,
                };
                this.pulls.push(p);
                return [201, this.json(p)];
            }
            case "getPullRequest":
                return [200, this.json(this.refresh(this.pull(repo, op.params.pull_request_id)))];
            case "updatePullRequest": {
                const p = this.pull(repo, op.params.pull_request_id);
                if (p.state !== "OPEN") {
                    throw error(400, "Only open pull requests can be updated");
                }
                if (typeof body.title === "string") {
                    p.title = body.title;
                }
                if (typeof body.description === "string") {
                    p.description = body.description;
                }
                p.updatedOn = now();
                return [200, this.json(p)];
            }
            case "declinePullRequest": {
                const p = this.pull(repo, op.params.pull_request_id);
                if (p.state === "OPEN") {
                    p.state = "DECLINED";
                    p.updatedOn = now();
                }
                return [200, this.json(p)];
            }
            case "mergePullRequest": {
                const p = this.refresh(this.pull(repo, op.params.pull_request_id));
                if (p.state !== "OPEN") {
                    throw error(400, "You can't merge a pull request that is not open.");
                }
                if (this.protectedBranches.has(p.destination)) {
                    throw error(403, `You don't have permission to merge into ${p.destination}.`);
                }
                const missing = this.missingChecks(p.destination, this.successes(repo, p.sha));
                if (missing.length > 0) {
                    throw error(
                        400,
                        `You can't merge until you resolve all merge checks: ${missing.length} required build(s) not successful.`,
                    );
                }
                const strategy = String(body.merge_strategy ?? "merge_commit");
                let tip: string;
                try {
                    tip = mergeBranches(this.dir(repo), {
                        head: p.source,
                        base: p.destination,
                        method:
                            strategy === "squash"
                                ? "squash"
                                : strategy === "fast_forward"
                                  ? "rebase"
                                  : "merge",
                        message: `Merged in ${p.source} (pull request #${p.id})\n\n${p.title}`,
                    });
                } catch {
                    throw error(409, "Unable to merge: the branches changed or conflict.");
                }
                Object.assign(p, { state: "MERGED", mergeCommit: tip, updatedOn: now() });
                return [200, this.json(p)];
            }
            case "createBuildStatus": {
                const dir = this.dir(repo);
                const sha = resolveRev(dir, `${op.params.commit}^{commit}`);
                if (!sha) {
                    throw error(404, "Commit not found");
                }
                this.setStatus(repo, sha, String(body.key), String(body.state));
                return [
                    201,
                    {
                        type: "build",
                        key: String(body.key),
                        state: String(body.state),
                        name: typeof body.name === "string" ? body.name : String(body.key),
                        description: typeof body.description === "string" ? body.description : "",
                        url: String(body.url ?? ""),
                        created_on: now(),
                        updated_on: now(),
                    },
                ];
            }
            default:
                throw new Error(`no handler for ${op.operationId}`);
        }
    }

    /** Key → state of the build statuses on a commit, in the words the required checks use (`success`). */
    private successes(repo: string, sha: string): Map<string, string> {
        const out = new Map<string, string>();
        for (const [k, v] of this.statuses.get(`${repo}@${sha}`) ?? []) {
            out.set(k, v === "SUCCESSFUL" ? "success" : v);
        }
        return out;
    }

    private refresh(p: Pull): Pull {
        if (p.state === "OPEN") {
            p.sha = resolveRev(this.dir(p.repo), `refs/heads/${p.source}`) ?? p.sha;
        }
        return p;
    }

    private json(p: Pull) {
        const html = `http://${this.host}/${p.repo}`;
        const endpoint = (branch: string, hash: string | null) => ({
            branch: { name: branch },
            ...(hash ? { commit: { hash: hash.slice(0, 12) } } : {}),
            repository: { type: "repository", full_name: p.repo },
        });
        return {
            type: "pullrequest",
            id: p.id,
            title: p.title,
            description: p.description,
            summary: { raw: p.description, markup: "markdown", html: p.description },
            state: p.state,
            author: { type: "user", display_name: "Promotions" },
            source: endpoint(p.source, p.sha),
            destination: endpoint(p.destination, null),
            merge_commit: p.mergeCommit ? { hash: p.mergeCommit.slice(0, 12) } : null,
            comment_count: 0,
            task_count: 0,
            close_source_branch: false,
            reason: "",
            created_on: p.createdOn,
            updated_on: p.updatedOn,
            links: {
                self: { href: `${this.apiUrl}/repositories/${p.repo}/pullrequests/${p.id}` },
                html: { href: `${html}/pull-requests/${p.id}` },
            },
        };
    }
}
