import * as assert from "assert";
import type { Definitions } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { ArgoCdStandIn } from "../../support/argoCdServer";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("health waits against a stand-in Argo CD", function () {
    this.timeout(300_000);
    after(removeTempDirs);
    let argocd: ArgoCdStandIn | undefined;
    afterEach(async () => argocd?.stop());

    async function setup(name: string, timeout: string) {
        const dir = tempDir(name);
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        argocd = await ArgoCdStandIn.start("cd-token");
        for (const env of ["qa", "prod"]) {
            argocd.track(`web-${env}`, repo.bare);
        }
        const defs: Definitions = scenarioDefinitions({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"], policy: { postAction: "after-healthy" } },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
            workflows: [{ name: "after-healthy", kind: "local", command: "true" }],
        });
        const withHealth = {
            ...defs,
            environments: defs.environments!.map((e) =>
                e.name === "qa" ? { ...e, healthWait: { timeout } } : e,
            ),
        };
        const { catalog, issues } = buildCatalog(withHealth);
        assert.deepStrictEqual(issues, []);
        const engine = await testPromoteEngine(dir, catalog, {
            argocd: { url: argocd.url, token: "cd-token", pollIntervalMs: 100 },
        });
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "12.0.0"'));
        return { engine, argocd, repo };
    }

    it("waits for Synced and Healthy at the promotion commit before the post-action and dependents", async () => {
        const { engine } = await setup("health-ok", "60s");
        const r = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
        const qa = r.environments[0].applications[0];
        assert.strictEqual(qa.health?.status, "Healthy");
        assert.strictEqual(qa.health?.revision, qa.commitSha);
        assert.ok(
            Date.parse(qa.health!.checkedAt) <= Date.parse(qa.postAction!.startedAt!),
            "health before the post-action",
        );
        assert.ok(
            Date.parse(r.environments[1].startedAt!) >= Date.parse(qa.health!.checkedAt),
            "prod after qa is healthy",
        );
    });

    it("Degraded fails the environment; its dependents stay Pending", async () => {
        const { engine, argocd } = await setup("health-degraded", "60s");
        argocd.apps.get("web-qa")!.behaviour = "Degraded";
        const r = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(r.status, "Failed");
        assert.deepStrictEqual(
            r.environments.map((e) => e.status),
            ["Failed", "Pending"],
        );
        assert.match(
            r.environments[0].error ?? "",
            /health of web-qa in qa: Degraded \(Back-off pulling image/,
        );
        assert.strictEqual(
            r.environments[0].applications[0].postAction,
            undefined,
            "no post-action after a failed wait",
        );
    });

    it("no answer within the timeout fails the environment with that reason", async () => {
        const { engine, argocd } = await setup("health-timeout", "2s");
        argocd.apps.get("web-qa")!.behaviour = "Unavailable";
        const r = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(r.status, "Failed");
        assert.match(
            r.environments[0].error ?? "",
            /TimedOut \(no Synced and Healthy answer at \w{12} within 2s \(last error: Argo CD GET .*503/,
        );
    });
});
