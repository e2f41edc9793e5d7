import * as assert from "assert";
import { createHmac } from "crypto";
import * as path from "path";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { buildCatalog } from "../../../components/catalog";
import { TriggerWatcher } from "../../../engine/triggers/triggerWatcher";
import { ArgoCdStandIn } from "../../support/argoCdServer";
import { runCli, startCli } from "../../support/cli";
import { gitopsRepoFor } from "../../support/gitops";
import {
    cliScenario,
    scenarioDefinitions,
    testPromoteEngine,
    writeConfigModule,
} from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

function setup(name: string) {
    const dir = tempDir(name);
    const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
    const defs = scenarioDefinitions({
        product: "web",
        repoURL: repo.url,
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod" }],
        flows: [
            {
                name: "hotfix",
                triggerEnvironment: "dev",
                steps: [{ environment: "prod", dependsOn: ["dev"] }],
            },
            { name: "seq", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
        ],
    });
    const product = defs.products![0];
    const config = writeConfigModule(dir, {
        ...defs,
        products: [
            {
                ...product,
                promotionFlows: [
                    {
                        name: "hotfix",
                        gitTriggerSelectors: [
                            { key: "commitMessage", operator: "In", values: ["*[hotfix]*"] },
                        ],
                    },
                    {
                        name: "seq",
                        gitTriggerSelectors: [{ key: "commitMessage", operator: "In", values: ["*deploy*"] }],
                    },
                ],
            },
        ],
    });
    const args = ["--config", config, "--state", `file://${path.join(dir, "state")}`];
    const env = {
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
    };
    const ship = (version: string, message: string) =>
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]+"/, `tag: "${version}"`), message);
    return { dir, repo, args, env, ship };
}

describe("automatic triggers", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("watch: the first matching flow runs; non-matching commits start nothing; restarts neither miss nor repeat", async () => {
        const { args, env, ship } = setup("watch");
        const watchOnce = () => runCli([...args, "watch", "--once"], { env });
        const first = await watchOnce();
        assert.strictEqual(first.code, 0, first.stderr);
        assert.match(first.stderr, /web-dev: watching main from \w{12}/);

        const a = ship("2.0.0", "please deploy 2.0.0");
        const r1 = await watchOnce();
        assert.match(
            r1.stdout,
            new RegExp(
                `web-dev ${a.slice(0, 12)} "please deploy 2\\.0\\.0" → flow seq: release r\\S+ Succeeded`,
            ),
        );

        const b = ship("2.0.1", "fix a typo");
        const r2 = await watchOnce();
        assert.match(
            r2.stdout,
            new RegExp(`web-dev ${b.slice(0, 12)} "fix a typo": no flow's trigger selectors match`),
        );

        // Two commits in quick succession, and a watcher that was not running while they landed.
        const c = ship("2.1.0", "deploy 2.1.0");
        const d = ship("2.2.0", "deploy 2.2.0 [hotfix]");
        const r3 = await watchOnce();
        const lines = r3.stdout.trim().split("\n");
        assert.strictEqual(lines.length, 2, r3.stdout + r3.stderr);
        assert.match(
            lines[0],
            new RegExp(`${c.slice(0, 12)} "deploy 2\\.1\\.0" → flow seq: release \\S+ Succeeded`),
        );
        assert.match(
            lines[1],
            new RegExp(
                `${d.slice(0, 12)} "deploy 2\\.2\\.0 \\[hotfix\\]" → flow hotfix: release \\S+ Succeeded`,
            ),
        );

        const again = await watchOnce();
        assert.strictEqual(again.stdout.trim(), "", "nothing is released twice");
        const list = JSON.parse(
            (await runCli([...args, "releases", "--product", "web", "--json"], { env })).stdout,
        ) as ReleaseRecord[];
        assert.deepStrictEqual(
            list.map((r) => r.flow),
            ["hotfix", "seq", "seq"],
        );
    });

    it("watch --interval: the loop releases a new commit and stops on SIGTERM with exit code 0", async () => {
        const { args, env, ship } = setup("watch-loop");
        const watcher = startCli([...args, "watch", "--interval", "1s"], { env });
        try {
            await watcher.waitFor(/web-dev: watching main from \w{12}/);
            const sha = ship("4.0.0", "deploy 4.0.0");
            await watcher.waitFor(
                new RegExp(`${sha.slice(0, 12)} "deploy 4\\.0\\.0" → flow seq: release r\\S+ Succeeded`),
            );
        } finally {
            watcher.child.kill("SIGTERM");
        }
        const done = await watcher.done;
        assert.strictEqual(done.code, 0, done.stderr);
        assert.doesNotMatch(done.stderr, /MaxListenersExceededWarning|poll failed/);
    });

    it("serve: a webhook with a wrong signature is rejected and logged without its payload; a valid one triggers", async () => {
        const { args, env, ship } = setup("serve");
        const secret = "webhook-secret";
        const server = startCli([...args, "serve", "--port", "0"], {
            env: { ...env, PROMOTIONS_WEBHOOK_SECRET: secret },
        });
        try {
            await server.waitFor(/listening on (http:\S+)/);
            const url = `${/listening on (http:\S+)/.exec(server.output())![1]}/webhooks/github`;
            const send = async (body: string, signature: string, delivery: string) =>
                fetch(url, {
                    method: "POST",
                    headers: {
                        "X-GitHub-Event": "push",
                        "X-GitHub-Delivery": delivery,
                        "X-Hub-Signature-256": signature,
                        "Content-Type": "application/json",
                    },
                    body,
                });
            const sign = (body: string) =>
                `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
            const payload = (after: string) =>
                JSON.stringify({
                    ref: "refs/heads/main",
                    after,
                    commits: [{ id: after, message: "SECRET-PAYLOAD-MARKER" }],
                });

            // Serve reads the trigger branches at start: the watch starts at the current tip, so the first push
            // after start is released.
            await server.waitFor(/web-dev: watching main from/);

            const sha = ship("3.0.0", "deploy 3.0.0");
            const forged = await send(payload(sha), "sha256=" + "0".repeat(64), "d-2");
            assert.strictEqual(forged.status, 401);
            await server.waitFor(/rejected webhook delivery d-2: bad or missing X-Hub-Signature-256/);
            assert.ok(!server.output().includes("SECRET-PAYLOAD-MARKER"), "the payload is never logged");
            assert.doesNotMatch(server.output(), /deploy 3\.0\.0/, "a rejected webhook triggers nothing");

            assert.strictEqual((await send(payload(sha), sign(payload(sha)), "d-3")).status, 202);
            await server.waitFor(
                new RegExp(`${sha.slice(0, 12)} "deploy 3\\.0\\.0" → flow seq: release r\\S+ Succeeded`),
            );
        } finally {
            server.child.kill("SIGTERM");
            await server.done;
        }
    });
});

describe("automatic triggers with a health source", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("the release is created only once the trigger application is Synced and Healthy at the commit", async () => {
        const dir = tempDir("watch-health");
        const { repo, defs } = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        });
        const argocd = await ArgoCdStandIn.start("cd-token", 3);
        try {
            argocd.track("web-dev", repo.bare);
            const { catalog, issues } = buildCatalog({
                ...defs,
                environments: defs.environments!.map((e) =>
                    e.name === "dev" ? { ...e, healthWait: { timeout: "60s" } } : e,
                ),
            });
            assert.deepStrictEqual(issues, []);
            const argo = { url: argocd.url, token: "cd-token", pollIntervalMs: 100 };
            const engine = await testPromoteEngine(dir, catalog);
            const watcher = new TriggerWatcher({
                catalog,
                engine,
                gitCacheDir: path.join(dir, "git-cache"),
                argocd: argo,
            });
            await watcher.pollOnce(); // starts at the tip
            const sha = repo.edit(
                "apps/web/dev/values.yaml",
                (t) => t.replace('tag: "1.0.0"', 'tag: "13.0.0"'),
                "ship 13",
            );
            const polledBefore = argocd.apps.get("web-dev")!.polls;
            const [outcome] = await watcher.pollOnce();
            assert.strictEqual(outcome.commit, sha);
            assert.strictEqual(outcome.status, "Succeeded");
            assert.ok(
                argocd.apps.get("web-dev")!.polls - polledBefore >= 4,
                "it waited for Argo CD to sync and report Healthy",
            );
            const release = (await engine.releases("web"))[0];
            assert.strictEqual(release.sourceCommit, sha);
        } finally {
            await argocd.stop();
        }
    });
});
