import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PromoteEngine, ProgressEvent } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { GitHubServer } from "../../support/githubServer";
import type { GitopsRepo } from "../../support/gitops";
import { gitopsRepoFor, gitSync } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

const token = "ghp_PRTESTTOKEN0123456789abcdefSECRET";

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v !== undefined) {
            return v;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 300));
    }
}

/**
 * dev → qa (commit) → prod (pr) on the GitHub stand-in: one repository `acme/gitops` with an application per
 * environment, and a post-action on prod that writes the COMMIT_SHA it was given.
 */
async function setup(name: string, drain?: AbortSignal) {
    const dir = tempDir(name);
    const server = await GitHubServer.start(path.join(dir, "github"), token);
    const repo = gitopsRepoFor(server.bareDir("acme"), "web", ["dev", "qa", "prod"]);
    const seen = path.join(dir, "post-commit");
    const catalog = scenario({
        product: "web",
        repoURL: server.url("acme", "gitops"),
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
        flows: [
            {
                name: "to-prod",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "prod", dependsOn: ["qa"] },
                ],
            },
        ],
        policies: [
            {
                name: "prod-by-review",
                priority: 10,
                selector: { targetEnvironment: { types: ["PROD"] } },
                policy: { action: "pr", postAction: "record-commit" },
            },
        ],
        workflows: [
            {
                name: "record-commit",
                kind: "local",
                command: ["sh", "-c", `echo "$COMMIT_SHA" >> "${seen}"`],
                timeout: "1m",
            },
        ],
    });
    const events: ProgressEvent[] = [];
    const engine = await testPromoteEngine(dir, catalog, {
        gitTokens: { [server.host]: token },
        github: { pollIntervalMs: 200, commitStatus: true },
        onProgress: (e) => events.push(e),
        ...(drain ? { drain } : {}),
    });
    return { dir, server, repo, engine, events, seen, catalog };
}

function bump(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
}

/** Starts a release and returns its id once the prod pull request is open and the record says Suspended. */
async function startUntilSuspended(
    engine: PromoteEngine,
    server: GitHubServer,
    pulls: number,
): Promise<{ id: string; done: Promise<ReleaseRecord> }> {
    let id: string | undefined;
    const done = engine.release({
        product: "web",
        target: { flow: "to-prod" },
        onCreated: (r) => (id = r.id),
    });
    done.catch(() => undefined);
    await until("the pull request", async () =>
        server.pulls("acme", "gitops").filter((p) => p.state === "open").length === pulls ? true : undefined,
    );
    await until("a Suspended record", async () => {
        // (a read racing a write of the record can miss it: try again)
        const r = id ? await engine.find(id).catch(() => undefined) : undefined;
        return r?.status === "Suspended" ? r : undefined;
    });
    return { id: id!, done };
}

describe("pull-request promotions (GitHub stand-in)", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    it("qa is committed, prod waits Suspended on one PR of exactly the promoted values, and the merge lets it finish", async () => {
        const { dir, server, repo, engine, events, seen } = await setup("pr-merge");
        try {
            bump(repo, "2.0.0");
            const { id, done } = await startUntilSuspended(engine, server, 1);

            const suspended = await engine.find(id);
            const prod = suspended.environments.find((e) => e.name === "prod")!;
            assert.strictEqual(prod.status, "Suspended");
            const pr = prod.applications[0].pullRequest!;
            assert.strictEqual(pr.state, "open");
            assert.strictEqual(pr.number, 1);
            assert.match(pr.url, /\/acme\/gitops\/pull\/1$/);
            assert.strictEqual(suspended.environments.find((e) => e.name === "qa")!.status, "Succeeded");
            assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "2\.0\.0"/, "qa committed directly");
            assert.match(
                repo.read("apps/web/prod/values.yaml"),
                /tag: "1\.0\.0"/,
                "prod waits for the merge",
            );
            assert.ok(
                events.some((e) => e.type === "release" && e.release.status === "Suspended"),
                "progress shows Suspended",
            );

            // The pull request's diff is exactly the promoted values.
            const pull = server.pulls("acme", "gitops")[0];
            assert.strictEqual(pull.head, `promotions/web/prod/${id}`);
            assert.strictEqual(pull.base, "main");
            assert.strictEqual(pull.title, "Promote web 2.0.0 to prod");
            assert.match(pull.body ?? "", new RegExp(`Release: \`${id}\``));
            assert.match(pull.body ?? "", /```diff[\s\S]*-  tag: "1\.0\.0"\n\+  tag: "2\.0\.0"/);
            const diff = gitSync(["diff", "-U0", `main...${pull.head}`], repo.bare);
            const changed = diff.split("\n").filter((l) => /^[-+][^-+]/.test(l));
            assert.deepStrictEqual(changed, [
                '-appVersion: "1.0.0"',
                '+appVersion: "2.0.0"',
                '-  tag: "1.0.0"',
                '+  tag: "2.0.0"',
            ]);
            const status = await server.request(
                "GET",
                `/repos/acme/gitops/commits/${suspended.sourceCommit}/status`,
            );
            assert.strictEqual(
                (status.body as { state: string }).state,
                "pending",
                "the source commit shows the release pending",
            );

            const merged = await server.merge("acme", "gitops", 1);
            assert.strictEqual(merged.status, 200);
            const record = await done;
            assert.strictEqual(record.status, "Succeeded", record.error);
            const app = record.environments.find((e) => e.name === "prod")!.applications[0];
            assert.strictEqual(app.status, "Succeeded");
            assert.strictEqual(app.commitSha, repo.tip(), "prod's commit is the merge commit");
            assert.deepStrictEqual(app.pullRequest, { url: pr.url, number: 1, state: "merged" });
            assert.deepStrictEqual(
                app.changes.map((c) => c.path),
                ["$.appVersion", "$.image.tag"],
            );
            assert.strictEqual(
                fs.readFileSync(seen, "utf8").trim(),
                repo.tip(),
                "the post-action got the merge commit",
            );
            const final = await server.request(
                "GET",
                `/repos/acme/gitops/commits/${record.sourceCommit}/status`,
            );
            assert.strictEqual((final.body as { state: string }).state, "success");

            // Running the same promotion again finds nothing to change and opens nothing.
            const again = await engine.release({ product: "web", target: { flow: "to-prod" } });
            assert.strictEqual(again.status, "Succeeded", again.error);
            assert.strictEqual(again.environments.find((e) => e.name === "prod")!.status, "Skipped");
            assert.strictEqual(server.pulls("acme", "gitops").length, 1, "no second pull request");

            assert.deepStrictEqual(server.problems, [], "every request conformed to GitHub's description");
            const leaks = filesContaining(dir, token);
            assert.deepStrictEqual(leaks, [], "the token is in no state, record, cache or log file");
            assert.ok(!JSON.stringify(events).includes(token));
            assert.ok(!JSON.stringify(await engine.releases("web")).includes(token));
        } finally {
            await server.stop();
        }
    });

    it("a PR closed without merge fails prod and the release; retry reopens the same PR instead of a second", async () => {
        const { server, repo, engine } = await setup("pr-closed");
        try {
            bump(repo, "3.0.0");
            const { id, done } = await startUntilSuspended(engine, server, 1);
            assert.strictEqual((await server.close("acme", "gitops", 1)).status, 200);
            const failed = await done;
            assert.strictEqual(failed.status, "Failed");
            const prod = failed.environments.find((e) => e.name === "prod")!;
            assert.strictEqual(prod.status, "Failed");
            assert.match(prod.error ?? "", /pull request #1 closed without merge/);
            assert.match(failed.error ?? "", /prod: .*closed without merge/);
            assert.strictEqual(prod.applications[0].pullRequest?.state, "closed");
            assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/);

            const retried = engine.retry(id);
            await until("the reopened pull request", async () =>
                server.pulls("acme", "gitops")[0].state === "open" ? true : undefined,
            );
            assert.strictEqual(server.pulls("acme", "gitops").length, 1, "reopened, not a second one");
            await until("Suspended again", async () =>
                (await engine.find(id)).status === "Suspended" ? true : undefined,
            );
            await server.merge("acme", "gitops", 1, "squash");
            const record = await retried;
            assert.strictEqual(record.status, "Succeeded", record.error);
            assert.strictEqual(record.attempts, 2);
            assert.strictEqual(server.pulls("acme", "gitops").length, 1);
            assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "3\.0\.0"/);
            assert.deepStrictEqual(server.problems, []);
        } finally {
            await server.stop();
        }
    });

    it("terminating a release that waits on a PR ends it Terminated; retry adopts the open PR", async () => {
        const { server, repo, engine } = await setup("pr-terminate");
        try {
            bump(repo, "4.0.0");
            const { id, done } = await startUntilSuspended(engine, server, 1);
            await engine.terminate(id);
            const terminated = await done;
            assert.strictEqual(terminated.status, "Terminated", JSON.stringify(terminated, null, 1));
            assert.strictEqual(terminated.environments.find((e) => e.name === "prod")!.status, "Terminated");
            assert.strictEqual(server.pulls("acme", "gitops")[0].state, "open", "the PR stays for the retry");

            const retried = engine.retry(id);
            await until("Suspended again", async () =>
                (await engine.find(id)).status === "Suspended" ? true : undefined,
            );
            await server.merge("acme", "gitops", 1);
            const record = await retried;
            assert.strictEqual(record.status, "Succeeded", record.error);
            assert.strictEqual(server.pulls("acme", "gitops").length, 1, "the open PR was adopted");
            assert.strictEqual(
                record.environments.find((e) => e.name === "prod")!.applications[0].commitSha,
                repo.tip(),
            );
        } finally {
            await server.stop();
        }
    });
    it("--no-wait returns once the PR is open (Suspended, no owner); resume leaves it while open, finishes it once merged", async () => {
        const { server, repo, engine, seen } = await setup("pr-no-wait");
        try {
            bump(repo, "6.0.0");
            const parked = await engine.release({
                product: "web",
                target: { flow: "to-prod" },
                noWait: true,
            });
            assert.strictEqual(parked.status, "Suspended", parked.error);
            assert.strictEqual(parked.waitKind, "pullRequest");
            assert.strictEqual(parked.owner, undefined, "a parked release is held by no process");
            const prod = parked.environments.find((e) => e.name === "prod")!;
            assert.deepStrictEqual(
                [prod.status, prod.waitKind, prod.error, prod.applications[0].status],
                ["Suspended", "pullRequest", undefined, "Suspended"],
            );
            assert.strictEqual(prod.applications[0].pullRequest?.state, "open");
            assert.strictEqual(
                prod.applications[0].commitSha,
                undefined,
                "no commit of prod's until the merge",
            );
            assert.strictEqual(parked.environments.find((e) => e.name === "qa")!.status, "Succeeded");
            assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/);

            // While the pull request is open, a resume pass (serve's, every 30 s) asks the host and leaves it.
            assert.deepStrictEqual(await engine.resumeReady({ noWait: true }), []);
            assert.strictEqual((await engine.find(parked.id)).attempts, parked.attempts, "not run again");

            await server.merge("acme", "gitops", 1);
            const [done] = await engine.resumeReady({ noWait: true });
            assert.strictEqual(done?.id, parked.id);
            assert.strictEqual(done.status, "Succeeded", done.error);
            const app = done.environments.find((e) => e.name === "prod")!.applications[0];
            assert.deepStrictEqual(
                [app.status, app.commitSha, app.pullRequest?.state],
                ["Succeeded", repo.tip(), "merged"],
            );
            assert.strictEqual(
                fs.readFileSync(seen, "utf8").trim(),
                repo.tip(),
                "the post-action got the merge",
            );
            assert.strictEqual(
                server.pulls("acme", "gitops").length,
                1,
                "the open PR was adopted, not doubled",
            );
            assert.deepStrictEqual(server.problems, []);
        } finally {
            await server.stop();
        }
    });

    it("a process shutting down hands a PR wait over: Suspended without owner, and another process finishes it", async () => {
        const drain = new AbortController();
        const { dir, server, repo, engine, catalog } = await setup("pr-drain", drain.signal);
        try {
            bump(repo, "7.0.0");
            const { id, done } = await startUntilSuspended(engine, server, 1);
            drain.abort();
            const handed = await done;
            assert.strictEqual(handed.status, "Suspended", handed.error);
            assert.strictEqual(handed.owner, undefined);
            assert.strictEqual(handed.environments.find((e) => e.name === "prod")!.waitKind, "pullRequest");

            await server.merge("acme", "gitops", 1);
            const other = await testPromoteEngine(dir, catalog, {
                gitTokens: { [server.host]: token },
                github: { pollIntervalMs: 200 },
            });
            const [resumed] = await other.resumeReady({ noWait: true });
            assert.strictEqual(resumed?.id, id);
            assert.strictEqual(resumed.status, "Succeeded", resumed.error);
            assert.strictEqual(
                resumed.environments.find((e) => e.name === "prod")!.applications[0].commitSha,
                repo.tip(),
            );
        } finally {
            await server.stop();
        }
    });
});
