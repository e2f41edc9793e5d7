import * as assert from "assert";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli, startCli } from "../../support/cli";
import { slowPushes } from "../../support/gitops";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

function setup(name: string) {
    const dir = tempDir(name);
    const { repo, args, env } = cliScenario(dir, {
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
        flows: [
            {
                name: "seq",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    // Inline step values override the policy below for this flow.
                    { environment: "prod", dependsOn: ["qa"], policy: { action: "commit" } },
                ],
            },
        ],
        policies: [
            {
                name: "prod-none",
                priority: 1,
                selector: { targetEnvironment: { types: ["PROD"] } },
                policy: { action: "none" },
            },
        ],
        workflows: [{ name: "deploy", kind: "local", command: "true" }],
    });
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "8.0.0"'));
    return { repo, args, env, slow: slowPushes(repo, dir) };
}

describe("promote promote, release, releases and terminate", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("promote promote: one target, flow 'manual', policy fields from matching policies and flags", async () => {
        const { repo, args, env } = setup("manual");
        // The matching policy says "none" for production, which needs a pre-action: refused with the fix.
        const refused = await runCli(
            [...args, "promote", "--product", "web", "--from", "dev", "--to", "prod"],
            { env },
        );
        assert.strictEqual(refused.code, 2);
        assert.match(
            refused.stderr,
            /action "none" for product "web" in "prod" has no preAction: set a preAction that performs the promotion, or another action \(set --pre-action, or another --action\)/,
        );

        const r = await runCli(
            [
                ...args,
                "promote",
                "--product",
                "web",
                "--from",
                "dev",
                "--to",
                "prod",
                "--action",
                "commit",
                "--json",
            ],
            { env },
        );
        assert.strictEqual(r.code, 0, r.stderr);
        const record = JSON.parse(r.stdout) as ReleaseRecord;
        assert.strictEqual(record.flow, "manual");
        assert.deepStrictEqual(
            record.environments.map((e) => [e.name, e.status, e.dependsOn]),
            [["prod", "Succeeded", ["dev"]]],
        );
        assert.strictEqual(record.environments[0].applications[0].action, "commit");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "8\.0\.0"/);
        assert.doesNotMatch(repo.read("apps/web/qa/values.yaml"), /8\.0\.0/, "only the one target");

        const shown = await runCli([...args, "release", record.id], { env });
        assert.strictEqual(shown.code, 0);
        assert.match(shown.stdout, new RegExp(`release ${record.id} {2}web {2}flow manual {2}Succeeded`));
        assert.match(shown.stdout, /values\.yaml \$\.image\.tag: 1\.0\.0 → 8\.0\.0/);
        const list = await runCli([...args, "releases", "--product", "web"], { env });
        assert.match(list.stdout, /ID +FLOW +VERSION +STATUS +STARTED +PROD/);
        assert.match(list.stdout, new RegExp(`${record.id} +manual +1\\.0\\.0 +Succeeded`));
        const missing = await runCli([...args, "release", "r-nope"], { env });
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /no release "r-nope"/);
    });

    it("terminate ID stops a running release: Terminated, downstream Pending, exit 1", async () => {
        const { args, env, slow } = setup("terminate-cmd");
        slow.once(12);
        const run = startCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], { env });
        await run.waitFor(/qa Running/);
        const id = /release (r\S+) \(web/.exec(run.output())![1];
        const t = await runCli([...args, "terminate", id, "--json"], { env });
        assert.strictEqual(t.code, 0, t.stderr);
        assert.strictEqual((JSON.parse(t.stdout) as ReleaseRecord).status, "Terminated");
        const done = await run.done;
        assert.strictEqual(done.code, 1);
        const record = JSON.parse(done.stdout) as ReleaseRecord;
        assert.strictEqual(record.status, "Terminated");
        assert.strictEqual(record.error, "terminated by user");
        assert.strictEqual(record.environments.find((e) => e.name === "prod")!.status, "Pending");
    });
});
