/**
 * Codefresh's default parameters reach Codefresh's own published WorkflowTemplates (reference §5.1 and §5.2,
 * the default-parameter tables of _docs/promotions/promotion-workflow.md and _docs/promotions/promotion-hooks.md).
 * The stand-in Argo Server declares exactly the parameters the published templates declare (read from the
 * fixture) and, as Argo does, refuses a submission lacking one declared without a value: the published hooks
 * declare RELEASE_URL so.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { publicRecord } from "../../../engine/record/releaseRecord";
import type { DeclaredParameter } from "../../support/argoServer";
import { ArgoServerStandIn } from "../../support/argoServer";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const published = path.join(packageRoot, "test", "fixtures", "codefresh-published");

/** Each published WorkflowTemplate of these fixture files: its name and declared parameters. */
function publishedTemplates(...files: string[]): Record<string, DeclaredParameter[]> {
    const out: Record<string, DeclaredParameter[]> = {};
    for (const f of files) {
        for (const doc of parseAllDocuments(fs.readFileSync(path.join(published, f), "utf8"))) {
            const m = doc.toJS() as {
                kind?: string;
                metadata: { name: string };
                spec: { arguments?: { parameters?: { name: string; value?: string }[] } };
            } | null;
            if (m?.kind === "WorkflowTemplate") {
                out[m.metadata.name] = (m.spec.arguments?.parameters ?? []).map((p) =>
                    p.value === undefined ? p.name : { name: p.name, value: String(p.value) },
                );
            }
        }
    }
    return out;
}

describe("Codefresh's default parameters, given to Codefresh's published WorkflowTemplates (stand-in Argo Server)", function () {
    this.timeout(300_000);
    after(removeTempDirs);
    let argo: ArgoServerStandIn | undefined;
    afterEach(async () => argo?.stop());

    async function setup(name: string) {
        const dir = tempDir(name);
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        const templates: Record<string, DeclaredParameter[]> = {
            ...publishedTemplates(
                "docs-hooks/hooks.yaml",
                "argo-hub/post-promotion-starter/workflowTemplate.yaml",
            ),
            // The promotion-workflow page's pre-action parameters, and RUNTIME from its table.
            "runtime-check": ["APP_NAMESPACE", "APP_NAME", "REPO_URL", "BRANCH", "PATH", "RUNTIME"],
        };
        assert.deepStrictEqual(Object.keys(templates).sort(), [
            "on-fail-hook",
            "on-start-hook",
            "post-action",
            "runtime-check",
        ]);
        argo = await ArgoServerStandIn.start({ token: "argo-token", templates });
        const argoWorkflow = (n: string) => ({
            name: n,
            kind: "argo" as const,
            parameters: templates[n].map((p) => (typeof p === "string" ? p : p.name)),
        });
        const { catalog, issues } = buildCatalog(
            scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }, { name: "qa" }],
                flows: [
                    {
                        name: "f",
                        triggerEnvironment: "dev",
                        triggerWorkflow: "post-action",
                        hooks: { onStart: "on-start-hook", onFail: "on-fail-hook" },
                        steps: [
                            {
                                environment: "qa",
                                dependsOn: ["dev"],
                                policy: { preAction: "runtime-check", postAction: "post-action" },
                            },
                        ],
                    },
                ],
                workflows: ["on-start-hook", "on-fail-hook", "post-action", "runtime-check"].map(
                    argoWorkflow,
                ),
            }),
            // The scenario's Applications have no namespace: Argo CD's, as configured.
            { applicationNamespace: "gitops" },
        );
        assert.deepStrictEqual(issues.map(formatIssue), []);
        const engine = await testPromoteEngine(dir, catalog, {
            argo: { url: argo.url, namespace: "argo", token: "argo-token", pollIntervalMs: 100 },
            publicUrl: "https://promotions.example.com",
            runtime: "runner-eu-1",
        });
        return { repo, engine, argo };
    }

    it("hooks get RELEASE_URL, pre/post-actions RUNTIME and APP_NAMESPACE, the trigger workflow a post-action's set", async () => {
        const { repo, engine, argo } = await setup("cf-params");
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
        const source = repo.log()[0];
        const r = await engine.release({ product: "web", target: { flow: "f" } });
        assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
        const submitted = (template: string) => argo.workflows.filter((w) => w.template === template);
        const releaseUrl = `https://promotions.example.com/#/releases/${encodeURIComponent(r.id)}`;

        const [onStart] = submitted("on-start-hook");
        assert.deepStrictEqual(onStart.parameters, {
            RELEASE_URL: releaseUrl,
            PRODUCT_NAME: "web",
            COMMIT_SHA: source.sha,
            PROMOTION_FLOW_NAME: "f",
            RELEASE_ID: r.id,
        });

        const [pre] = submitted("runtime-check");
        assert.deepStrictEqual(pre.parameters, {
            APP_NAMESPACE: "gitops",
            APP_NAME: "web-qa",
            REPO_URL: repo.url,
            BRANCH: "main",
            PATH: "apps/web/qa",
            RUNTIME: "runner-eu-1",
        });

        const [trigger, post] = submitted("post-action");
        assert.deepStrictEqual(
            { ...trigger.parameters, COMMIT_DATE: "" },
            {
                APP_NAMESPACE: "gitops",
                APP_NAME: "web-dev",
                REPO_URL: repo.url,
                BRANCH: "main",
                PATH: "apps/web/dev",
                COMMIT_SHA: source.sha,
                COMMIT_MESSAGE: trigger.parameters.COMMIT_MESSAGE,
                COMMIT_AUTHOR: trigger.parameters.COMMIT_AUTHOR,
                COMMIT_DATE: "",
            },
        );
        assert.ok(
            trigger.parameters.COMMIT_AUTHOR.length > 0 && Date.parse(trigger.parameters.COMMIT_DATE) > 0,
        );
        assert.strictEqual(trigger.parameters.COMMIT_MESSAGE.split("\n")[0], source.subject);
        const qaCommit = r.environments[0].applications[0].commitSha!;
        assert.deepStrictEqual(
            [post.parameters.APP_NAME, post.parameters.APP_NAMESPACE, post.parameters.COMMIT_SHA],
            ["web-qa", "gitops", qaCommit],
        );
        assert.match(post.parameters.COMMIT_MESSAGE, /^promote web/);
    });

    it("an on-fail hook gets ERROR_MESSAGE and FAILED_ENVIRONMENTS, with RELEASE_URL", async () => {
        const { repo, engine, argo } = await setup("cf-params-fail");
        argo.outcomes.set("runtime-check", "Failed");
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "3.0.0"'));
        const r = await engine.release({ product: "web", target: { flow: "f" } });
        assert.strictEqual(r.status, "Failed");
        const [onFail] = argo.workflows.filter((w) => w.template === "on-fail-hook");
        assert.strictEqual(
            onFail.parameters.RELEASE_URL,
            `https://promotions.example.com/#/releases/${r.id}`,
        );
        assert.match(onFail.parameters.ERROR_MESSAGE, /workflow "runtime-check" Failed/);
        const failed = JSON.parse(onFail.parameters.FAILED_ENVIRONMENTS) as Record<string, string>[];
        assert.deepStrictEqual(
            failed.map((e) => [e.name, e.status, typeof e["error-message"]]),
            [["qa", "Failed", "string"]],
        );
    });
});
