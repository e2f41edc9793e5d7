import * as assert from "assert";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const guardrails = path.join(packageRoot, "examples", "policy-packs", "promotion-guardrails");

describe("policy packs gate promotions (the example pack, through the real engine)", function () {
    this.timeout(180_000);
    after(removeTempDirs);

    it("blocks 2.0.0-rc.1 from prod only (qa promoted), passes 2.0.0, and records advisory warnings", async () => {
        const dir = tempDir("policy");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
            policies: [{ name: "guarded", priority: 1, policy: { policyPacks: [guardrails] } }],
        });
        const engine = await testPromoteEngine(dir, catalog);
        const ship = (version: string) => {
            repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
            repo.edit("apps/web/dev/Chart.yaml", (t) =>
                t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`),
            );
        };

        // A release candidate: qa takes it, prod (kind production) must not.
        ship("2.0.0-rc.1");
        const prodBefore = repo.read("apps/web/prod/values.yaml");
        const rc = await engine.release({ product: "web", target: { flow: "seq" } });
        const show = (r: typeof rc) => JSON.stringify(publicRecord(r), null, 2);
        assert.strictEqual(rc.status, "Failed", show(rc));
        const [qa, prod] = rc.environments;
        assert.strictEqual(qa.status, "Succeeded", show(rc));
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "2\.0\.0-rc\.1"/);
        assert.strictEqual(prod.status, "Failed", show(rc));
        assert.strictEqual(prod.reason, "policy");
        assert.match(prod.error ?? "", /no-prerelease-in-production/);
        assert.match(prod.error ?? "", /2\.0\.0-rc\.1/);
        assert.strictEqual(repo.read("apps/web/prod/values.yaml"), prodBefore, "nothing written to prod");
        assert.match(rc.error ?? "", /prod: policy no-prerelease-in-production/);

        // The release: both environments promoted; the advisory rule is a warning on the record.
        ship("2.0.0");
        const final = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(final.status, "Succeeded", show(final));
        assert.deepStrictEqual(
            final.environments.map((e) => [e.name, e.status]),
            [
                ["qa", "Succeeded"],
                ["prod", "Succeeded"],
            ],
        );
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "2\.0\.0"/);
        const warnings = final.warnings ?? [];
        assert.ok(
            warnings.some((w) =>
                /^prod: policy images-pinned-by-digest .*advisory.*ghcr\.io\/acme\/web:2\.0\.0/.test(w),
            ),
            `advisory warning expected, got ${JSON.stringify(warnings)}`,
        );
    });
});
