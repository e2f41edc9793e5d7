import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { GitLabClient } from "../../../provider/scm/gitlab";
import { ScmApiError } from "../../../provider/scm/restClient";
import { GitLabServer } from "../../support/gitlabServer";
import { GitopsRepo, gitSync } from "../../support/gitops";
import { removeTempDirs, tempDir } from "../../support/tmp";

const token = "glpat-STANDINTOKEN0123456789SECRET";
/** A project in a subgroup, as self-managed GitLabs often have them. */
const repo = { owner: "acme/platform", name: "gitops" };
const project = "acme/platform/gitops";

/** A project on the stand-in with `branch` one commit ahead of main (changing values.yaml). */
function setup(server: GitLabServer, branch: string): GitopsRepo {
    const r = GitopsRepo.create(server.bareDir("acme/platform"), "gitops", {
        "values.yaml": "image:\n  tag: 1.0.0\n",
    });
    fs.writeFileSync(path.join(r.work, "values.yaml"), "image:\n  tag: 2.0.0\n");
    gitSync(["checkout", "--quiet", "-b", branch], r.work);
    gitSync(["commit", "--quiet", "-am", "bump"], r.work);
    gitSync(["push", "--quiet", "origin", branch], r.work);
    gitSync(["checkout", "--quiet", "main"], r.work);
    return r;
}

describe("the GitLab client against the GitLab stand-in", function () {
    this.timeout(60_000);
    after(removeTempDirs);
    let server: GitLabServer;
    beforeEach(async () => {
        server = await GitLabServer.start(path.join(tempDir("gl"), "gitlab"), token);
    });
    afterEach(async () => {
        assert.deepStrictEqual(
            server.problems,
            [],
            "every request and answer conforms to GitLab's description",
        );
        await server.stop();
    });

    it("opens, finds, updates, closes, reopens and squash-merges merge requests (a real git merge)", async () => {
        const r = setup(server, "promotions/web/prod/r1");
        const client = new GitLabClient({ apiUrl: server.apiUrl, token });
        assert.strictEqual(await client.findPullRequest(repo, "promotions/web/prod/r1"), undefined);
        const opened = await client.openPullRequest(repo, {
            head: "promotions/web/prod/r1",
            base: "main",
            title: "Promote web 2.0.0 to prod",
            body: "diff",
        });
        assert.deepStrictEqual([opened.number, opened.state, opened.baseBranch], [1, "open", "main"]);
        assert.match(opened.url, /\/acme\/platform\/gitops\/-\/merge_requests\/1$/);
        assert.strictEqual((await client.findPullRequest(repo, "promotions/web/prod/r1"))?.number, 1);
        assert.strictEqual(
            (await client.updatePullRequest(repo, 1, { title: "T2", body: "B2" })).title,
            "T2",
        );
        assert.strictEqual((await client.closePullRequest(repo, 1)).state, "closed");
        assert.strictEqual((await client.reopenPullRequest(repo, 1)).state, "open");

        const moved = await client.mergePullRequest(repo, 1, { method: "squash", sha: "0".repeat(40) });
        assert.strictEqual(moved.merged, false, "a head that moved is not merged");
        assert.match(
            moved.reason!,
            /GitLab refused to merge merge request !1 of acme\/platform\/gitops: 409 SHA does not match/,
        );
        const merged = await client.mergePullRequest(repo, 1, { method: "squash", sha: opened.headSha });
        assert.strictEqual(merged.merged, true);
        const after = await client.getPullRequest(repo, 1);
        assert.strictEqual(after.state, "merged");
        assert.strictEqual(after.mergeCommitSha, r.tip(), "the target branch holds the squashed commit");
        assert.match(r.read("values.yaml"), /tag: 2\.0\.0/);
        // The token went to the API as GitLab takes it, on every call.
        assert.ok(server.calls.every((c) => c.authorized));
    });

    it("merges when the pipeline succeeds: the required check an outside CI sets merges it", async () => {
        setup(server, "promotions/web/prod/r2");
        server.requiredChecks.set("main", ["ci/build"]);
        const client = new GitLabClient({ apiUrl: server.apiUrl, token });
        const opened = await client.openPullRequest(repo, {
            head: "promotions/web/prod/r2",
            base: "main",
            title: "Promote",
            body: "",
        });
        const waiting = await client.mergePullRequest(repo, opened.number, {
            method: "merge",
            sha: opened.headSha,
        });
        assert.deepStrictEqual(waiting, {
            merged: false,
            reason: "GitLab merges merge request !1 of acme/platform/gitops when its pipeline succeeds",
        });
        assert.strictEqual((await client.getPullRequest(repo, 1)).state, "open");
        server.setStatus(project, opened.headSha, "ci/build", "running");
        assert.strictEqual((await client.getPullRequest(repo, 1)).state, "open");
        server.setStatus(project, opened.headSha, "ci/build", "success");
        const after = await client.getPullRequest(repo, 1);
        assert.strictEqual(after.state, "merged");
        assert.ok(after.mergeCommitSha);
    });

    it("sets commit statuses (GitLab's states and name)", async () => {
        const r = setup(server, "b");
        const client = new GitLabClient({ apiUrl: server.apiUrl, token });
        await client.setCommitStatus(repo, r.tip(), {
            state: "failure",
            context: "promotions/web",
            description: "release r1 Failed",
        });
        assert.strictEqual(server.statuses.get(`${project}@${r.tip()}`)?.get("promotions/web"), "failed");
    });

    it("a merge refused by branch protection is not merged, and says so naming host, repository and fix", async () => {
        setup(server, "p");
        server.protectedBranches.add("main");
        const client = new GitLabClient({ apiUrl: server.apiUrl, token });
        const pr = await client.openPullRequest(repo, { head: "p", base: "main", title: "t", body: "" });
        const refused = await client.mergePullRequest(repo, pr.number, { method: "merge", sha: pr.headSha });
        assert.strictEqual(refused.merged, false);
        assert.match(
            refused.reason!,
            /^GitLab refused to merge merge request !1 of acme\/platform\/gitops: 401 .*fix: let the token's user merge into the target branch/,
        );
        assert.strictEqual((await client.getPullRequest(repo, 1)).state, "open");
    });

    it("a token without the api scope: doctor's check names the scope, and a write fails naming host, repository and fix", async () => {
        const r = setup(server, "s");
        server.scopes = ["read_api"];
        const client = new GitLabClient({ apiUrl: server.apiUrl, token });
        const finding = await client.checkToken();
        assert.strictEqual(finding.ok, false);
        assert.match(finding.detail, /lacks the api scope \(has read_api\)/);
        await assert.rejects(
            client.setCommitStatus(repo, r.tip(), { state: "success", context: "c", description: "d" }),
            (e: unknown) =>
                e instanceof ScmApiError &&
                /^GitLab set commit status on \w{12} in acme\/platform\/gitops: 403 insufficient_scope.*\(the token lacks the api scope/.test(
                    e.message,
                ),
        );
        assert.strictEqual(server.statuses.size, 0, "nothing written");
        server.scopes = ["api"];
        assert.deepStrictEqual(await client.checkToken(), {
            ok: true,
            detail: 'token "promotions", scopes api',
        });
    });

    it("a wrong token is refused with the fix", async () => {
        setup(server, "w");
        const client = new GitLabClient({ apiUrl: server.apiUrl, token: "glpat-WRONG" });
        await assert.rejects(
            client.findPullRequest(repo, "w"),
            /GitLab list merge requests of acme\/platform\/gitops: 401 401 Unauthorized \(the token was refused: put a valid .* access token with the api scope in the variable the PROMOTIONS_HOSTS entry names/,
        );
    });
});
