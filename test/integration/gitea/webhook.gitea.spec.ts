import * as assert from "assert";
import { createHmac } from "crypto";
import * as path from "path";
import { startCli } from "../../support/cli";
import type { RunningCli } from "../../support/cli";
import { GiteaServer } from "../../support/gitea";
import { helmApp } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const secret = "gitea-webhook-secret-0123456789";

describe("push webhooks from a real Gitea to promote serve", function () {
    this.timeout(600_000);
    let gitea: GiteaServer;
    let serve: RunningCli | undefined;

    before(async () => {
        gitea = await GiteaServer.start();
    });
    afterEach(async () => {
        serve?.child.kill("SIGTERM");
        await serve?.done;
        serve?.killGroup();
        serve = undefined;
    });
    after(async () => {
        await gitea?.stop();
        removeTempDirs();
    });

    it("Gitea's signed push starts the flow, whose pull request the engine merges on Gitea; a hook with another secret is refused", async () => {
        const dir = tempDir("gitea-webhook");
        const files: Record<string, string> = {};
        for (const env of ["dev", "prod"]) {
            for (const [file, content] of Object.entries(helmApp("web", env))) {
                files[`apps/web/${env}/${file}`] = content;
            }
        }
        const repo = await gitea.createRepo("gitops", files);
        const config = writeConfigModule(
            dir,
            scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
                flows: [
                    {
                        name: "f",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "prod", dependsOn: ["dev"] }],
                    },
                ],
                policies: [
                    { name: "auto", priority: 1, policy: { action: "pr", pullRequest: { autoMerge: true } } },
                ],
            }),
        );
        // No --interval: serve reads the trigger branches at start and then only when a push is delivered.
        serve = startCli(
            ["--config", config, "--state", `file://${path.join(dir, "state")}`, "serve", "--port", "0"],
            {
                env: {
                    PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                    PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
                    PROMOTIONS_HOSTS: JSON.stringify([
                        {
                            prefix: `${gitea.url}/`,
                            kind: "gitea",
                            tokenEnv: "GITEA_TOKEN",
                            webhookSecretEnv: "GITEA_WEBHOOK_SECRET",
                        },
                    ]),
                    GITEA_TOKEN: gitea.token,
                    GITEA_WEBHOOK_SECRET: secret,
                    PROMOTIONS_GIT_TOKENS: JSON.stringify({ [gitea.host]: gitea.token }),
                    PROMOTIONS_PR_POLL_SECONDS: "0.2",
                },
            },
        );
        await serve.waitFor(/listening on http:\S+/, 120_000);
        const url = /listening on (http:\S+)/.exec(serve.output())![1].replace(/\/$/, "");
        await serve.waitFor(/web-dev: watching main from/, 120_000);
        await serve.waitFor(/webhooks [^\n]*\/webhooks\/gitea/);

        // Two hooks on the repository: one with the secret serve knows, one with another.
        await gitea.addWebhook(gitea.admin, "gitops", `${url}/webhooks/gitea`, secret);
        await gitea.addWebhook(gitea.admin, "gitops", `${url}/webhooks/gitea`, "not-the-secret");

        // One push (one commit): one release.
        const sha = repo.commit(
            {
                "apps/web/dev/values.yaml": repo
                    .read("apps/web/dev/values.yaml")
                    .replace(/tag: "[^"]+"/, 'tag: "9.0.0"'),
                "apps/web/dev/Chart.yaml": repo
                    .read("apps/web/dev/Chart.yaml")
                    .replace(/appVersion: "[^"]+"/, 'appVersion: "9.0.0"'),
            },
            "web 9.0.0 in dev",
        );
        await serve.waitFor(
            new RegExp(
                `push delivery [0-9a-f-]{36}: reading trigger branches \\(main of ${repo.url.replace(/[.]/g, "\\.")} at ${sha.slice(0, 12)} moved\\)`,
            ),
            120_000,
        );
        await serve.waitFor(
            /rejected webhook delivery [0-9a-f-]{36} \(Gitea\): bad or missing X-Gitea-Signature/,
            120_000,
        );
        await serve.waitFor(
            new RegExp(`${sha.slice(0, 12)} "web 9\\.0\\.0 in dev" → flow f: release r\\S+ Succeeded`),
            300_000,
        );

        const pulls = await gitea.pulls(gitea.admin, "gitops");
        assert.strictEqual(pulls.length, 1, JSON.stringify(pulls.map((p) => p.head.ref)));
        assert.ok(pulls[0].merged);
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "9\.0\.0"/);
        assert.ok(!serve.output().includes(secret), "the secret is never logged");
    });

    it("a forged delivery to /webhooks/gitea: 401 and a log line naming Gitea's signature header, nothing started", async () => {
        const dir = tempDir("gitea-webhook-forged");
        const files: Record<string, string> = {};
        for (const [file, content] of Object.entries(helmApp("web", "dev"))) {
            files[`apps/web/dev/${file}`] = content;
        }
        const repo = await gitea.createRepo("forged", files);
        const config = writeConfigModule(
            dir,
            scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }],
                flows: [],
            }),
        );
        serve = startCli(
            ["--config", config, "--state", `file://${path.join(dir, "state")}`, "serve", "--port", "0"],
            {
                env: {
                    PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                    PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
                    PROMOTIONS_HOSTS: JSON.stringify([{ prefix: `${gitea.url}/`, kind: "gitea" }]),
                    PROMOTIONS_WEBHOOK_SECRET: secret,
                },
            },
        );
        await serve.waitFor(/listening on http:\S+/, 120_000);
        const url = /listening on (http:\S+)/.exec(serve.output())![1].replace(/\/$/, "");
        const body = JSON.stringify({
            ref: "refs/heads/main",
            after: "a".repeat(40),
            repository: { clone_url: repo.url },
        });
        const send = (signature: string, delivery: string) =>
            fetch(`${url}/webhooks/gitea`, {
                method: "POST",
                headers: {
                    "Content-Type": "application/json",
                    "X-Gitea-Event": "push",
                    "X-Gitea-Delivery": delivery,
                    "X-Gitea-Signature": signature,
                },
                body,
            });
        const wrong = createHmac("sha256", "another-secret").update(body).digest("hex");
        assert.strictEqual((await send(wrong, "forged-1")).status, 401);
        await serve.waitFor(/rejected webhook delivery forged-1 \(Gitea\): bad or missing X-Gitea-Signature/);
        // GitHub's signature form on Gitea's path is refused before the body is read.
        assert.strictEqual((await send(`sha256=${wrong}`, "forged-2")).status, 401);
        await serve.waitFor(/rejected webhook delivery forged-2 \(Gitea\): bad or missing X-Gitea-Signature/);
        const good = createHmac("sha256", secret).update(body).digest("hex");
        assert.strictEqual((await send(good, "good-1")).status, 202);
        await serve.waitFor(/push delivery good-1: reading trigger branches/);
        assert.doesNotMatch(serve.output(), /push delivery forged-/);
    });
});
