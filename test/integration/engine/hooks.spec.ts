import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("flow and step hooks, the trigger workflow, PROMOTION_CONTEXT", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("run in order with their parameters; onFail gets ERROR_MESSAGE and FAILED_ENVIRONMENTS", async () => {
        const dir = tempDir("hooks");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        const hook = path.join(dir, "hook.sh");
        fs.writeFileSync(
            hook,
            `#!/bin/sh
echo "$1" >> "${dir}/order.log"
cp "$PROMOTION_PARAMETERS" "${dir}/$1.json"
[ "$1" = start ] && echo 'PROMOTION_CONTEXT={"JIRA_ID":"OPS-7"}' >> "$PROMOTION_OUTPUTS"
[ -e "${dir}/fail-$1" ] && { echo "$1 failed"; exit 1; }
exit 0
`,
        );
        fs.chmodSync(hook, 0o755);
        const wf = (name: string) => ({ name, kind: "local" as const, command: [hook, name] });
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod" }],
            flows: [
                {
                    name: "hooked",
                    triggerEnvironment: "dev",
                    triggerWorkflow: "trigger",
                    hooks: { onStart: "start", onSuccess: "success", onFail: "fail" },
                    steps: [
                        {
                            environment: "qa",
                            dependsOn: ["dev"],
                            hooks: { onStart: "qa-start", onSuccess: "qa-success" },
                        },
                        {
                            environment: "prod",
                            dependsOn: ["qa"],
                            policy: { postAction: "prod-post" },
                            hooks: { onFail: "prod-fail" },
                        },
                    ],
                },
            ],
            workflows: [
                "trigger",
                "start",
                "success",
                "fail",
                "qa-start",
                "qa-success",
                "prod-post",
                "prod-fail",
            ].map(wf),
        });
        const engine = await testPromoteEngine(dir, catalog);
        const read = (n: string) =>
            JSON.parse(fs.readFileSync(path.join(dir, `${n}.json`), "utf8")) as Record<string, string>;

        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "10.0.0"'));
        const ok = await engine.release({ product: "web", target: { flow: "hooked" } });
        assert.strictEqual(ok.status, "Succeeded", JSON.stringify(publicRecord(ok), null, 2));
        assert.deepStrictEqual(fs.readFileSync(path.join(dir, "order.log"), "utf8").trim().split("\n"), [
            "start",
            "trigger",
            "qa-start",
            "prod-post",
            "qa-success", // step onSuccess/onFail hooks run when the release's update ends
            "success",
        ]);
        assert.deepStrictEqual(read("start"), {
            PRODUCT_NAME: "web",
            RELEASE_ID: ok.id,
            // No public URL configured: the console `promote serve` serves by default; the host's name.
            RELEASE_URL: `http://127.0.0.1:8080/#/releases/${ok.id}`,
            RUNTIME: os.hostname(),
            PROMOTION_FLOW_NAME: "hooked",
            VERSION: "1.0.0",
            COMMIT_SHA: ok.sourceCommit,
        });
        assert.strictEqual(read("success").JIRA_ID, "OPS-7", "PROMOTION_CONTEXT reaches later hooks");
        assert.strictEqual(read("trigger").APP_NAME, "web-dev");
        assert.deepStrictEqual(
            (ok.hooks ?? []).map((h) => [h.workflow, h.status]),
            [
                ["start", "Succeeded"],
                ["trigger", "Succeeded"],
                ["success", "Succeeded"],
            ],
        );
        assert.deepStrictEqual(
            ok.environments[0].hooks?.map((h) => h.workflow),
            ["qa-start", "qa-success"],
        );

        fs.writeFileSync(path.join(dir, "fail-prod-post"), "");
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "10.0.0"', 'tag: "10.1.0"'));
        const failed = await engine.release({ product: "web", target: { flow: "hooked" } });
        assert.strictEqual(failed.status, "Failed");
        const onFail = read("fail");
        assert.match(onFail.ERROR_MESSAGE, /prod: .*workflow "prod-post" Failed/);
        assert.deepStrictEqual(
            (JSON.parse(onFail.FAILED_ENVIRONMENTS) as { name: string; status: string }[]).map((e) => [
                e.name,
                e.status,
            ]),
            [["prod", "Failed"]],
        );
        assert.strictEqual(read("prod-fail").ENVIRONMENT, "prod");
    });
});
