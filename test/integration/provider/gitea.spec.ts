import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { GiteaClient, GiteaError } from "../../../provider/scm/gitea";
import { GiteaServer } from "../../support/gitea";
import type { GiteaRepo } from "../../support/gitea";

/** Pushes a branch with one new file off main; returns its head commit. */
function pushBranch(repo: GiteaRepo, branch: string): string {
    repo.git(["fetch", "--quiet", "origin", "main"]);
    repo.git(["checkout", "--quiet", "-B", branch, "FETCH_HEAD"]);
    fs.writeFileSync(path.join(repo.work, `${branch.replace(/\//g, "-")}.txt`), `${branch}\n`);
    repo.git(["add", "-A"]);
    repo.git(["commit", "--quiet", "-m", `change on ${branch}`]);
    repo.git(["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
    return repo.git(["rev-parse", "HEAD"]);
}

describe("GiteaClient against a real Gitea", function () {
    this.timeout(300_000);
    let gitea: GiteaServer;
    let repo: GiteaRepo;
    const ref = () => ({ owner: gitea.admin, name: "gitops" });

    before(async () => {
        gitea = await GiteaServer.start();
        repo = await gitea.createRepo("gitops", { "README.md": "gitops\n" });
    });
    after(async () => {
        await gitea?.stop();
    });

    it("opens, finds, updates, closes, reopens and merges a pull request, with its merge commit", async () => {
        const client = new GiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token });
        const head = pushBranch(repo, "promotions/web/prod/r1");
        assert.strictEqual(await client.findPullRequest(ref(), "promotions/web/prod/r1"), undefined);
        const opened = await client.openPullRequest(ref(), {
            head: "promotions/web/prod/r1",
            base: "main",
            title: "Promote web 1.1.0 to prod",
            body: "first",
        });
        assert.strictEqual(opened.state, "open");
        assert.strictEqual(opened.headSha, head);
        assert.strictEqual(opened.baseBranch, "main");
        assert.strictEqual(opened.url, `${gitea.url}/${gitea.admin}/gitops/pulls/${opened.number}`);
        const found = await client.findPullRequest(ref(), "promotions/web/prod/r1");
        assert.strictEqual(found?.number, opened.number);
        const updated = await client.updatePullRequest(ref(), opened.number, {
            title: "Promote web 1.2.0",
            body: "b",
        });
        assert.strictEqual(updated.title, "Promote web 1.2.0");
        assert.strictEqual((await client.closePullRequest(ref(), opened.number)).state, "closed");
        assert.strictEqual((await client.findPullRequest(ref(), "promotions/web/prod/r1"))?.state, "closed");
        assert.strictEqual((await client.reopenPullRequest(ref(), opened.number)).state, "open");
        const merged = await gitea.until("a mergeable pull request", async () => {
            const m = await client.mergePullRequest(ref(), opened.number, { method: "merge", sha: head });
            return m.merged ? m : undefined;
        });
        assert.deepStrictEqual(merged, { merged: true });
        const after = await client.getPullRequest(ref(), opened.number);
        assert.strictEqual(after.state, "merged");
        assert.strictEqual(after.mergeCommitSha, repo.tip());
    });

    it("a head that moved since it was read is not merged (merged: false, Gitea's reason)", async () => {
        const client = new GiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token });
        pushBranch(repo, "moved");
        const pr = await client.openPullRequest(ref(), {
            head: "moved",
            base: "main",
            title: "t",
            body: "b",
        });
        const result = await gitea.until("an answer other than 'try again later'", async () => {
            const r = await client.mergePullRequest(ref(), pr.number, {
                method: "merge",
                sha: "0".repeat(40),
            });
            return r.reason && /try again later/i.test(r.reason) ? undefined : r;
        });
        assert.strictEqual(result.merged, false);
        assert.match(
            result.reason ?? "",
            new RegExp(
                `^Gitea refused to merge pull request #${pr.number} of promo-admin/gitops on 127\\.0\\.0\\.1:\\d+: `,
            ),
        );
        assert.strictEqual((await client.getPullRequest(ref(), pr.number)).state, "open");
    });

    it("sets commit statuses that Gitea shows as the latest per context", async () => {
        const client = new GiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token });
        const sha = repo.tip();
        await client.setCommitStatus(ref(), sha, {
            state: "pending",
            context: "promotions/web",
            description: "running",
        });
        await client.setCommitStatus(ref(), sha, {
            state: "success",
            context: "promotions/web",
            description: "x".repeat(300),
            targetUrl: "http://127.0.0.1:1/releases/r1",
        });
        const [status] = (await gitea.statuses(gitea.admin, "gitops", sha)).filter(
            (s) => s.context === "promotions/web",
        );
        assert.strictEqual(status.state, "success");
        assert.strictEqual(
            status.description.length,
            140,
            "the description is cut to GitHub's limit, which fits Gitea's",
        );
    });

    it("checkToken: who the token is; a refused token and one without a repository scope say what to do", async () => {
        const good = await new GiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token }).checkToken();
        assert.strictEqual(good.ok, true);
        assert.match(good.detail, /^token of promo-admin on 127\.0\.0\.1:\d+, with a repository scope/);

        const refused = await new GiteaClient({ apiUrl: gitea.apiUrl, token: "0".repeat(40) }).checkToken();
        assert.strictEqual(refused.ok, false);
        assert.match(refused.detail, /^GET \/repos\/search: 401 /);
        assert.match(refused.fix ?? "", /the token was refused/);

        const userOnly = await gitea.adminToken(["read:user"]);
        const noRepo = await new GiteaClient({ apiUrl: gitea.apiUrl, token: userOnly }).checkToken();
        assert.strictEqual(noRepo.ok, false);
        assert.match(noRepo.detail, /403 token does not have at least one of required scope\(s\)/);
        assert.match(noRepo.fix ?? "", /write:repository/);
        for (const f of [good, refused, noRepo]) {
            assert.ok(
                !JSON.stringify(f).includes(gitea.token) && !JSON.stringify(f).includes(userOnly),
                "no token",
            );
        }
    });

    it("errors name Gitea, the repository and the fix: an unknown repository, a refused token", async () => {
        const client = new GiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token });
        await assert.rejects(
            client.getPullRequest({ owner: gitea.admin, name: "nope" }, 1),
            (e: unknown) =>
                e instanceof GiteaError &&
                e.status === 404 &&
                /^Gitea read pull request #1 of promo-admin\/nope on 127\.0\.0\.1:\d+: 404 .*\(does the repository exist, and does the token reach it\?/.test(
                    e.message,
                ),
        );
        const bad = new GiteaClient({ apiUrl: gitea.apiUrl, token: "f".repeat(40) });
        await assert.rejects(
            bad.getPullRequest(ref(), 1),
            (e: unknown) =>
                e instanceof GiteaError &&
                e.status === 401 &&
                /\(the token was refused: put a valid one in the variable the PROMOTIONS_HOSTS entry names \(tokenEnv\)/.test(
                    e.message,
                ) &&
                !e.message.includes("f".repeat(40)),
        );
    });
});
