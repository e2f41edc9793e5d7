import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EnvironmentError } from "../../../model/errors";
import { GitHubClient, GitHubError } from "../../../provider/scm/github";
import { GitHubServer } from "../../support/githubServer";
import { GitopsRepo, gitSync } from "../../support/gitops";
import { removeTempDirs, tempDir } from "../../support/tmp";

const token = "ghp_STANDINTOKEN0123456789abcdefSECRET";
const repo = { owner: "acme", name: "gitops" };

/** A repository on the stand-in with `branch` one commit ahead of main (changing values.yaml). */
function setup(server: GitHubServer, branch: string): GitopsRepo {
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

describe("the GitHub client against the GitHub stand-in", function () {
    this.timeout(60_000);
    after(removeTempDirs);
    let server: GitHubServer;
    beforeEach(async () => {
        server = await GitHubServer.start(path.join(tempDir("gh"), "github"), token);
    });
    afterEach(async () => {
        await server.stop();
    });

    it("opens, finds, merges (a real git merge) and reads pull requests in GitHub's shapes", async () => {
        const r = setup(server, "promotions/web/prod/r1");
        const client = new GitHubClient({ apiUrl: server.apiUrl, token });
        assert.strictEqual(await client.findPullRequest(repo, "promotions/web/prod/r1"), undefined);
        const opened = await client.openPullRequest(repo, {
            head: "promotions/web/prod/r1",
            base: "main",
            title: "Promote web 2.0.0 to prod",
            body: "diff",
        });
        assert.strictEqual(opened.state, "open");
        assert.strictEqual(opened.number, 1);
        assert.match(opened.url, /\/acme\/gitops\/pull\/1$/);
        const found = await client.findPullRequest(repo, "promotions/web/prod/r1");
        assert.strictEqual(found?.number, 1);

        const notYet = await client.mergePullRequest(repo, 1, { method: "merge", sha: "0".repeat(40) });
        assert.strictEqual(notYet.merged, false, "a head that moved is not merged");
        const merged = await client.mergePullRequest(repo, 1, { method: "merge", sha: opened.headSha });
        assert.strictEqual(merged.merged, true);
        const after = await client.getPullRequest(repo, 1);
        assert.strictEqual(after.state, "merged");
        assert.strictEqual(after.mergeCommitSha, r.tip(), "the base branch holds the merge commit");
        assert.match(r.read("values.yaml"), /tag: 2\.0\.0/);
        assert.strictEqual(
            gitSync(["rev-list", "--parents", "-n", "1", r.tip()], r.bare).split(" ").length,
            3,
        );

        await client.setCommitStatus(repo, r.tip(), {
            state: "success",
            context: "promotions/web",
            description: "release r1 Succeeded",
        });
        const combined = await server.request("GET", `/repos/acme/gitops/commits/${r.tip()}/status`);
        assert.strictEqual((combined.body as { state: string }).state, "success");
        assert.deepStrictEqual(
            server.problems,
            [],
            "every request and answer conforms to GitHub's description",
        );
    });

    it("reopens a closed pull request, and refuses a second one for the same branch", async () => {
        setup(server, "feature");
        const client = new GitHubClient({ apiUrl: server.apiUrl, token });
        await client.openPullRequest(repo, { head: "feature", base: "main", title: "t", body: "b" });
        await assert.rejects(
            client.openPullRequest(repo, { head: "feature", base: "main", title: "t", body: "b" }),
            /422 Validation Failed: A pull request already exists for acme:feature/,
        );
        const closed = await server.close("acme", "gitops", 1);
        assert.strictEqual(closed.status, 200);
        assert.strictEqual((await client.getPullRequest(repo, 1)).state, "closed");
        assert.strictEqual((await client.reopenPullRequest(repo, 1)).state, "open");
        assert.deepStrictEqual(server.problems, []);
    });

    it("squash and rebase merges are real git too", async () => {
        const r = setup(server, "a");
        const client = new GitHubClient({ apiUrl: server.apiUrl, token });
        const pr = await client.openPullRequest(repo, {
            head: "a",
            base: "main",
            title: "Squash me",
            body: "",
        });
        await client.mergePullRequest(repo, pr.number, { method: "squash", sha: pr.headSha });
        const tip = r.tip();
        assert.strictEqual(gitSync(["rev-list", "--parents", "-n", "1", tip], r.bare).split(" ").length, 2);
        assert.match(gitSync(["log", "-1", "--format=%s", tip], r.bare), /^Squash me \(#1\)$/);
        assert.strictEqual((await client.getPullRequest(repo, pr.number)).mergeCommitSha, tip);

        // rebase: the branch's commit replayed on the base, no merge commit
        gitSync(["pull", "--quiet", "origin", "main"], r.work);
        gitSync(["checkout", "--quiet", "-b", "b"], r.work);
        fs.writeFileSync(path.join(r.work, "values.yaml"), "image:\n  tag: 3.0.0\n");
        gitSync(["commit", "--quiet", "-am", "bump to 3"], r.work);
        gitSync(["push", "--quiet", "origin", "b"], r.work);
        const second = await client.openPullRequest(repo, {
            head: "b",
            base: "main",
            title: "Rebase me",
            body: "",
        });
        await client.mergePullRequest(repo, second.number, { method: "rebase", sha: second.headSha });
        assert.strictEqual(gitSync(["log", "-1", "--format=%s", r.tip()], r.bare), "bump to 3");
        assert.strictEqual(
            gitSync(["rev-parse", `${r.tip()}^`], r.bare),
            tip,
            "replayed on the squash commit",
        );
        assert.strictEqual((await client.getPullRequest(repo, second.number)).mergeCommitSha, r.tip());
        assert.deepStrictEqual(server.problems, []);
    });

    it("waits out primary and secondary rate limits, as GitHub asks", async () => {
        setup(server, "feature");
        const client = new GitHubClient({ apiUrl: server.apiUrl, token });
        server.rateLimitNext(1, "primary");
        assert.strictEqual(await client.findPullRequest(repo, "feature"), undefined);
        server.rateLimitNext(1, "secondary");
        const pr = await client.openPullRequest(repo, {
            head: "feature",
            base: "main",
            title: "t",
            body: "b",
        });
        assert.strictEqual(pr.number, 1);
        const refused = server.calls.filter((c) => c.status === 403).length;
        assert.strictEqual(refused, 2, "both limits were hit and retried");
    });

    it("a wrong token is a clear error that does not contain the token", async () => {
        setup(server, "feature");
        const wrong = `${token}-wrong`;
        const client = new GitHubClient({ apiUrl: server.apiUrl, token: wrong });
        const err = await client.getPullRequest(repo, 1).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof GitHubError);
        assert.ok(err instanceof EnvironmentError, "exit 3");
        assert.match(err.message, /401 Bad credentials \(the token was refused: check PROMOTIONS_SCM_TOKEN/);
        assert.ok(!err.message.includes(wrong));
        assert.ok(!JSON.stringify(err).includes(wrong));
    });

    it("the stand-in refuses requests GitHub's description does not allow", async () => {
        setup(server, "feature");
        const bad = await server.request("POST", "/repos/acme/gitops/pulls", {
            head: "feature",
            base: "main",
            title: "t",
            reviewers: ["x"],
        });
        assert.strictEqual(bad.status, 422);
        assert.match(server.problems.join("\n"), /body\.reviewers: not a property GitHub knows/);
        const badQuery = await server.request("GET", "/repos/acme/gitops/pulls?state=merged");
        assert.strictEqual(badQuery.status, 422);
        assert.match(server.problems.join("\n"), /query\.state: "merged" is not one of/);
    });
});
