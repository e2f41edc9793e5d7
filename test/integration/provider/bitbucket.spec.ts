import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { BitbucketClient } from "../../../provider/scm/bitbucket";
import { ScmApiError } from "../../../provider/scm/restClient";
import { BitbucketServer } from "../../support/bitbucketServer";
import { GitopsRepo, gitSync } from "../../support/gitops";
import { removeTempDirs, tempDir } from "../../support/tmp";

const token = "bb-access-token-0123456789-SECRET";
const repo = { owner: "acme", name: "gitops" };

/** A repository on the stand-in with `branch` one commit ahead of main. */
function setup(server: BitbucketServer, branch: string): GitopsRepo {
    const r = GitopsRepo.create(server.bareDir("acme"), "gitops", {
        "values.yaml": "image:\n  tag: 1.0.0\n",
    });
    fs.writeFileSync(path.join(r.work, "values.yaml"), "image:\n  tag: 2.0.0\n");
    gitSync(["checkout", "--quiet", "-b", branch], r.work);
    gitSync(["commit", "--quiet", "-am", "bump"], r.work);
    gitSync(["push", "--quiet", "origin", branch], r.work);
    gitSync(["checkout", "--quiet", "main"], r.work);
    return r;
}

describe("the Bitbucket client against the Bitbucket Cloud stand-in", function () {
    this.timeout(60_000);
    after(removeTempDirs);
    let server: BitbucketServer;
    beforeEach(async () => {
        server = await BitbucketServer.start(path.join(tempDir("bb"), "bitbucket"), token);
    });
    afterEach(async () => {
        await server.stop();
        assert.deepStrictEqual(
            server.problems,
            [],
            "every request and answer conforms to Bitbucket's description",
        );
    });

    it("opens, finds, updates, declines, reopens (as a new pull request) and squash-merges (a real git merge)", async () => {
        const r = setup(server, "promotions/web/prod/r1");
        const client = new BitbucketClient({ apiUrl: server.apiUrl, token });
        assert.strictEqual(await client.findPullRequest(repo, "promotions/web/prod/r1"), undefined);
        const opened = await client.openPullRequest(repo, {
            head: "promotions/web/prod/r1",
            base: "main",
            title: "Promote web 2.0.0 to prod",
            body: "diff",
        });
        assert.deepStrictEqual([opened.number, opened.state], [1, "open"]);
        assert.match(opened.url, /\/acme\/gitops\/pull-requests\/1$/);
        assert.strictEqual((await client.findPullRequest(repo, "promotions/web/prod/r1"))?.number, 1);
        assert.strictEqual(
            (await client.updatePullRequest(repo, 1, { title: "T2", body: "B2" })).title,
            "T2",
        );
        assert.strictEqual((await client.closePullRequest(repo, 1)).state, "closed");
        const reopened = await client.reopenPullRequest(repo, 1);
        assert.deepStrictEqual([reopened.number, reopened.state], [2, "open"]);
        assert.strictEqual((await client.findPullRequest(repo, "promotions/web/prod/r1"))?.number, 2);
        const merged = await client.mergePullRequest(repo, 2, { method: "squash", sha: reopened.headSha });
        assert.strictEqual(merged.merged, true);
        const after = await client.getPullRequest(repo, 2);
        assert.strictEqual(after.state, "merged");
        assert.strictEqual(
            after.mergeCommitSha,
            r.tip().slice(0, 12),
            "Bitbucket's 12-character hash of the squash",
        );
        assert.match(r.read("values.yaml"), /tag: 2\.0\.0/);
    });

    it("waits for the required builds an outside CI reports (a merge check), then merges", async () => {
        setup(server, "b");
        server.requiredChecks.set("main", ["ci-build"]);
        const client = new BitbucketClient({ apiUrl: server.apiUrl, token });
        const pr = await client.openPullRequest(repo, { head: "b", base: "main", title: "t", body: "" });
        const refused = await client.mergePullRequest(repo, 1, { method: "merge", sha: pr.headSha });
        assert.strictEqual(refused.merged, false);
        assert.match(
            refused.reason!,
            /^Bitbucket refused to merge pull request #1 of acme\/gitops: 400 You can't merge until you resolve all merge checks.*fix: meet the merge checks/,
        );
        const full = server.pulls[0].sha;
        server.setStatus("acme/gitops", full, "ci-build", "SUCCESSFUL");
        assert.strictEqual(
            (await client.mergePullRequest(repo, 1, { method: "merge", sha: pr.headSha })).merged,
            true,
        );
    });

    it("sets build statuses (Bitbucket's states, a link to the commit when there is none)", async () => {
        const r = setup(server, "s");
        const client = new BitbucketClient({ apiUrl: server.apiUrl, token });
        await client.setCommitStatus(repo, r.tip(), {
            state: "pending",
            context: "promotions/web",
            description: "r1 Running",
        });
        assert.strictEqual(
            server.statuses.get(`acme/gitops@${r.tip()}`)?.get("promotions/web"),
            "INPROGRESS",
        );
        const call = server.calls.find((c) => c.operationId === "createBuildStatus")!;
        assert.strictEqual(
            (call.body as { url: string }).url,
            `http://${server.host}/acme/gitops/commits/${r.tip()}`,
        );
    });

    it("a merge refused by a branch restriction names host, repository and fix", async () => {
        setup(server, "p");
        server.protectedBranches.add("main");
        const client = new BitbucketClient({ apiUrl: server.apiUrl, token });
        const pr = await client.openPullRequest(repo, { head: "p", base: "main", title: "t", body: "" });
        const refused = await client.mergePullRequest(repo, pr.number, { method: "merge", sha: pr.headSha });
        assert.strictEqual(refused.merged, false);
        assert.match(
            refused.reason!,
            /^Bitbucket refused to merge pull request #1 of acme\/gitops: 403 .*fix: let the token merge into the destination branch/,
        );
    });

    it("a token without pullrequest:write: doctor names the scopes; a write fails naming host, repository and fix", async () => {
        const r = setup(server, "x");
        server.scopes = ["repository"];
        const client = new BitbucketClient({ apiUrl: server.apiUrl, token });
        const finding = await client.checkToken();
        assert.deepStrictEqual(
            [finding.ok, finding.detail],
            [false, "token of promotions lacks pullrequest:write and repository:write (has repository)"],
        );
        await assert.rejects(
            client.setCommitStatus(repo, r.tip(), { state: "success", context: "c", description: "d" }),
            (e: unknown) =>
                e instanceof ScmApiError &&
                /^Bitbucket set build status on \w{12} in acme\/gitops: 403 .*\(the token lacks a scope: it needs pullrequest:write and repository:write\)/.test(
                    e.message,
                ),
        );
        assert.strictEqual(server.statuses.size, 0, "nothing written");
    });
});
