import * as assert from "assert";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { ArgoServerStandIn } from "../../support/argoServer";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("Argo Workflows gates, against a stand-in Argo Server", function () {
    this.timeout(300_000);
    after(removeTempDirs);
    let argo: ArgoServerStandIn | undefined;
    afterEach(async () => argo?.stop());

    async function setup(name: string) {
        const dir = tempDir(name);
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        argo = await ArgoServerStandIn.start({
            token: "argo-token",
            templates: {
                "smoke-tests": ["APP_NAME", "ENVIRONMENT", "RELEASE_ID", "BRANCH"],
                verify: ["APP_NAME", "COMMIT_SHA"],
            },
        });
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [
                        {
                            environment: "qa",
                            dependsOn: ["dev"],
                            policy: { preAction: "smoke-tests", postAction: "verify" },
                        },
                    ],
                },
            ],
            workflows: [
                {
                    name: "smoke-tests",
                    kind: "argo",
                    parameters: ["APP_NAME", "ENVIRONMENT", "RELEASE_ID", "BRANCH"],
                },
                { name: "verify", kind: "argo", parameters: ["APP_NAME", "COMMIT_SHA"] },
            ],
        });
        const config = { url: argo.url, namespace: "argo", token: "argo-token", pollIntervalMs: 100 };
        const engine = await testPromoteEngine(dir, catalog, { argo: config });
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "11.0.0"'));
        return { dir, repo, catalog, engine, argo, config };
    }

    it("submits from the template with its parameters and labels; the record links each run", async () => {
        const { engine, argo } = await setup("argo-ok");
        const r = await engine.release({ product: "web", target: { flow: "f" } });
        assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
        const [pre, post] = argo.workflows;
        assert.deepStrictEqual([pre.template, post.template], ["smoke-tests", "verify"]);
        assert.deepStrictEqual(pre.parameters, {
            APP_NAME: "web-qa",
            ENVIRONMENT: "qa",
            RELEASE_ID: r.id,
            BRANCH: "main",
        });
        const app = r.environments[0].applications[0];
        assert.deepStrictEqual(post.parameters, { APP_NAME: "web-qa", COMMIT_SHA: app.commitSha });
        assert.deepStrictEqual(pre.labels, {
            "promotions/product": "web",
            "promotions/release": r.id,
            "promotions/flow": "f",
            "promotions/environment": "qa",
            "promotions/application": "web-qa",
        });
        assert.strictEqual(app.preAction?.runId, pre.name);
        assert.strictEqual(app.preAction?.log, `${argo.url}/workflows/argo/${pre.name}`);
    });

    it("a Failed phase fails the environment", async () => {
        const { engine, argo, repo } = await setup("argo-fail");
        argo.outcomes.set("smoke-tests", "Failed");
        const r = await engine.release({ product: "web", target: { flow: "f" } });
        assert.strictEqual(r.status, "Failed");
        assert.strictEqual(r.environments[0].status, "Failed");
        assert.match(r.environments[0].error ?? "", /workflow "smoke-tests" Failed \(child 'main' failed\)/);
        assert.doesNotMatch(repo.read("apps/web/qa/values.yaml"), /11\.0\.0/);
    });

    it("terminating the release terminates the running workflow", async () => {
        const { engine, argo, catalog, dir, config } = await setup("argo-terminate");
        argo.outcomes.set("smoke-tests", "Running");
        const running = engine.release({ product: "web", target: { flow: "f" } });
        const deadline = Date.now() + 120_000;
        while (!argo.workflows.some((w) => w.phase === "Running")) {
            assert.ok(Date.now() < deadline, "the workflow never started");
            await new Promise((r) => setTimeout(r, 100));
        }
        const other = await testPromoteEngine(dir, catalog, { argo: config });
        const id = (await other.releases("web"))[0].id;
        await other.terminate(id);
        const r = await running;
        assert.strictEqual(r.status, "Terminated");
        assert.strictEqual(argo.workflows[0].terminated, true, "the Argo workflow was terminated");
        assert.strictEqual(r.environments[0].applications[0].preAction?.status, "Terminated");
    });

    it("a release needing Argo without an Argo Server configured is refused up front", async () => {
        const { catalog, dir } = await setup("argo-missing");
        const engine = await testPromoteEngine(dir, catalog);
        await assert.rejects(
            engine.release({ product: "web", target: { flow: "f" } }),
            /no Argo Server is configured: set PROMOTIONS_ARGO_URL/,
        );
    });
});
