import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AzureDevOpsClient } from "../../../provider/scm/azure-devops";
import { ScmApiError } from "../../../provider/scm/restClient";
import { AzureDevOpsServer } from "../../support/azureDevOpsServer";
import { GitopsRepo, gitSync } from "../../support/gitops";
import { removeTempDirs, tempDir } from "../../support/tmp";

const token = "azdo-pat-0123456789-SECRET";
const repo = { owner: "acme/platform", name: "gitops" };

function setup(server: AzureDevOpsServer, branch: string): GitopsRepo {
    const r = GitopsRepo.create(server.bareDir("acme/platform/_git"), "gitops", {
        "values.yaml": "image:\n  tag: 1.0.0\n",
    });
    fs.writeFileSync(path.join(r.work, "values.yaml"), "image:\n  tag: 2.0.0\n");
    gitSync(["checkout", "--quiet", "-b", branch], r.work);
    gitSync(["commit", "--quiet", "-am", "bump"], r.work);
    gitSync(["push", "--quiet", "origin", branch], r.work);
    gitSync(["checkout", "--quiet", "main"], r.work);
    return r;
}

describe("the Azure DevOps client against the Azure DevOps stand-in", function () {
    this.timeout(60_000);
    after(removeTempDirs);
    let server: AzureDevOpsServer;
    beforeEach(async () => {
        server = await AzureDevOpsServer.start(path.join(tempDir("azdo"), "azdo"), token);
    });
    afterEach(async () => {
        await server.stop();
        assert.deepStrictEqual(
            server.problems,
            [],
            "every request and answer conforms to Azure DevOps' description",
        );
    });

    it("opens, finds, updates, abandons, reactivates and completes by auto-complete (a real git merge)", async () => {
        const r = setup(server, "promotions/web/prod/r1");
        const client = new AzureDevOpsClient({ apiUrl: server.apiUrl, token });
        assert.strictEqual(await client.findPullRequest(repo, "promotions/web/prod/r1"), undefined);
        const opened = await client.openPullRequest(repo, {
            head: "promotions/web/prod/r1",
            base: "main",
            title: "Promote web 2.0.0 to prod",
            body: "diff",
        });
        assert.deepStrictEqual(
            [opened.number, opened.state, opened.headBranch],
            [1, "open", "promotions/web/prod/r1"],
        );
        assert.match(opened.url, /\/acme\/platform\/_git\/gitops\/pullrequest\/1$/);
        assert.strictEqual((await client.findPullRequest(repo, "promotions/web/prod/r1"))?.number, 1);
        assert.strictEqual(
            (await client.updatePullRequest(repo, 1, { title: "T2", body: "B2" })).title,
            "T2",
        );
        assert.strictEqual((await client.closePullRequest(repo, 1)).state, "closed");
        assert.strictEqual((await client.reopenPullRequest(repo, 1)).state, "open");
        const merged = await client.mergePullRequest(repo, 1, { method: "squash", sha: opened.headSha });
        assert.strictEqual(merged.merged, true, "no policy: auto-complete completes at once");
        const after = await client.getPullRequest(repo, 1);
        assert.strictEqual(after.state, "merged");
        assert.strictEqual(after.mergeCommitSha, r.tip());
        assert.match(r.read("values.yaml"), /tag: 2\.0\.0/);
    });

    it("auto-complete waits for the required status check an outside CI posts on the pull request", async () => {
        setup(server, "b");
        server.requiredChecks.set("main", ["ci/build"]);
        const client = new AzureDevOpsClient({ apiUrl: server.apiUrl, token });
        const pr = await client.openPullRequest(repo, { head: "b", base: "main", title: "t", body: "" });
        assert.deepStrictEqual(await client.mergePullRequest(repo, 1, { method: "merge", sha: pr.headSha }), {
            merged: false,
            reason: "Azure DevOps completes pull request 1 of acme/platform/gitops when its branch policies pass (auto-complete is set)",
        });
        server.setPullRequestStatus(1, "ci/build", "succeeded");
        assert.strictEqual((await client.getPullRequest(repo, 1)).state, "merged");
    });

    it("sets commit statuses (Azure DevOps' states and context)", async () => {
        const r = setup(server, "s");
        const client = new AzureDevOpsClient({ apiUrl: server.apiUrl, token });
        await client.setCommitStatus(repo, r.tip(), {
            state: "success",
            context: "promotions/web",
            description: "ok",
        });
        assert.strictEqual(
            server.statuses.get(`acme/platform/gitops@${r.tip()}`)?.get("promotions/web"),
            "succeeded",
        );
    });

    it("auto-complete refused on a protected branch names host, repository and fix", async () => {
        setup(server, "p");
        server.protectedBranches.add("main");
        const client = new AzureDevOpsClient({ apiUrl: server.apiUrl, token });
        const pr = await client.openPullRequest(repo, { head: "p", base: "main", title: "t", body: "" });
        const refused = await client.mergePullRequest(repo, pr.number, { method: "merge", sha: pr.headSha });
        assert.strictEqual(refused.merged, false);
        assert.match(
            refused.reason!,
            /^Azure DevOps refused auto-complete of pull request 1 of acme\/platform\/gitops: 403 TF401027.*fix: give the token's identity Contribute to pull requests/,
        );
    });

    it("a read-only token: doctor reads the project; a write fails naming host, repository and fix; a wrong token is refused", async () => {
        const r = setup(server, "x");
        server.readOnly = true;
        const client = new AzureDevOpsClient({ apiUrl: server.apiUrl, token });
        const finding = await client.checkToken(`${server.prefix}acme/platform/`);
        assert.deepStrictEqual(
            [finding.ok, /reads 1 repositories of acme\/platform/.test(finding.detail)],
            [true, true],
        );
        await assert.rejects(
            client.setCommitStatus(repo, r.tip(), { state: "success", context: "c", description: "d" }),
            (e: unknown) =>
                e instanceof ScmApiError &&
                /^Azure DevOps set commit status on \w{12} in acme\/platform\/gitops: 403 TF401027.*\(the token lacks a scope or permission: it needs Code \(read & write\) and Code \(status\)/.test(
                    e.message,
                ),
        );
        assert.strictEqual(server.statuses.size, 0, "nothing written");
        server.readOnly = false;
        const wrong = new AzureDevOpsClient({ apiUrl: server.apiUrl, token: "wrong" });
        const bad = await wrong.checkToken(`${server.prefix}acme/platform/`);
        assert.strictEqual(bad.ok, false);
        assert.match(bad.fix!, /the token was refused/);
    });
});
