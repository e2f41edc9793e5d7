import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { publicRecord } from "../../../engine/record/releaseRecord";
import { runCli } from "../../support/cli";
import { GitHttpServer } from "../../support/gitHttpServer";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

describe("an http(s) remote with a token", function () {
    this.timeout(300_000);
    after(removeTempDirs);
    let server: GitHttpServer | undefined;
    afterEach(async () => server?.stop());

    it("promotes through smart HTTP; the token is never in URLs, state, records, caches, logs or errors", async () => {
        const dir = tempDir("http");
        const token = "ghp_TESTTOKEN0123456789abcdefSECRET";
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "7.0.0"'));
        server = await GitHttpServer.start(dir, token);
        const config = writeConfigModule(
            dir,
            scenarioDefinitions({
                product: "web",
                repoURL: server.url("gitops.git"),
                environments: [{ name: "dev" }, { name: "qa" }],
                flows: [
                    {
                        name: "f",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "qa", dependsOn: ["dev"] }],
                    },
                ],
            }),
        );
        const state = path.join(dir, "state");
        const cache = path.join(dir, "git-cache");
        const args = ["--config", config, "--state", `file://${state}`];
        const env = { PROMOTIONS_GIT_CACHE: cache, PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase" };

        const denied = await runCli([...args, "trigger", "--product", "web", "--flow", "f"], {
            env: { ...env, PROMOTIONS_GIT_TOKEN: `${token}-wrong` },
        });
        assert.strictEqual(
            denied.code,
            3,
            `an unreachable repository is an environment problem:\n${denied.stderr}`,
        );
        assert.match(denied.stderr, /cannot read the source application web-dev/);
        assert.ok(!denied.stderr.includes(token) && !denied.stdout.includes(token), "no token in the error");

        // A process killed while making the clone left it half made (as before clones were made atomically):
        // the next run rebuilds it instead of failing until someone deletes it by hand.
        const entry = path.join(
            cache,
            fs.readdirSync(cache).find((n) => n.endsWith(".git"))!,
        );
        for (const f of fs.readdirSync(entry).filter((n) => n !== "HEAD" && n !== "objects")) {
            fs.rmSync(path.join(entry, f), { recursive: true, force: true });
        }

        const ok = await runCli([...args, "trigger", "--product", "web", "--flow", "f", "--json"], {
            env: { ...env, PROMOTIONS_GIT_TOKENS: JSON.stringify({ [server.host]: token }) },
        });
        assert.strictEqual(ok.code, 0, ok.stderr);
        const record = JSON.parse(ok.stdout) as ReturnType<typeof publicRecord>;
        assert.strictEqual(record.status, "Succeeded");
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "7\.0\.0"/);
        assert.ok(
            server.requests.some((r) => r.url.includes("git-receive-pack") && r.authorized),
            "pushed over HTTP",
        );

        const shown = await runCli([...args, "release", record.id, "--json"], { env });
        for (const text of [ok.stdout, ok.stderr, shown.stdout]) {
            assert.ok(!text.includes(token), "no token in CLI output");
        }
        assert.deepStrictEqual(
            filesContaining(state, token),
            [],
            "no token in the Pulumi state or release records",
        );
        assert.deepStrictEqual(
            filesContaining(cache, token),
            [],
            "no token in the clone cache (remote URLs, config)",
        );
    });
});
