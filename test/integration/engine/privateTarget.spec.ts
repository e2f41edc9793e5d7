import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { publicRecord } from "../../../engine/record/releaseRecord";
import { runCli } from "../../support/cli";
import { GitHttpServer } from "../../support/gitHttpServer";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("a private http(s) target repository that differs from the source", function () {
    this.timeout(300_000);
    after(removeTempDirs);
    let server: GitHttpServer | undefined;
    afterEach(async () => server?.stop());

    it("plans its pre-action with the engine's credentials (the clone cache never reuses a token-less clone)", async () => {
        const dir = tempDir("private-target");
        const token = "ghp_PRIVATETARGET0123456789abcdef";
        const source = gitopsRepoFor(dir, "web", ["dev"]);
        source.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "8.0.0"'));
        fs.mkdirSync(path.join(dir, "private"));
        const target = gitopsRepoFor(path.join(dir, "private"), "web", ["qa"]);
        server = await GitHttpServer.start(path.join(dir, "private"), token);
        const marks = path.join(dir, "pre-action-ran");
        const defs = scenarioDefinitions({
            product: "web",
            repoURL: source.url,
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                { name: "f", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
            ],
            policies: [
                {
                    name: "gated",
                    priority: 1,
                    selector: {},
                    policy: { action: "commit", preAction: "check" },
                },
            ],
            workflows: [{ kind: "local", name: "check", command: `echo "$APP_NAME" >> ${marks}` }],
        });
        const config = writeConfigModule(dir, {
            ...defs,
            products: defs.products!.map((p) => ({
                ...p,
                applications: p.applications!.map((a) =>
                    a.environment === "qa" ? { ...a, repoURL: server!.url("gitops.git") } : a,
                ),
            })),
        });
        const result = await runCli(
            [
                "--config",
                config,
                "--state",
                `file://${path.join(dir, "state")}`,
                "trigger",
                "--product",
                "web",
                "--flow",
                "f",
                "--json",
            ],
            {
                env: {
                    PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                    PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
                    PROMOTIONS_GIT_TOKENS: JSON.stringify({ [server.host]: token }),
                },
            },
        );
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        const record = JSON.parse(result.stdout) as ReturnType<typeof publicRecord>;
        assert.strictEqual(record.status, "Succeeded");
        assert.strictEqual(fs.readFileSync(marks, "utf8").trim(), "web-qa", "the pre-action ran once");
        assert.match(target.read("apps/web/qa/values.yaml"), /tag: "8\.0\.0"/);
    });
});
