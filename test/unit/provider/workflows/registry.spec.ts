import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PromotionWorkflowDefinition } from "../../../../components/promotionWorkflow";
import {
    promotionWorkflowDefinitionSchema,
    promotionWorkflowSchemas,
} from "../../../../components/promotionWorkflow";
import { buildCatalog } from "../../../../components/catalog";
import { loadDefinitions } from "../../../../components/config";
import { formatIssue } from "../../../../components/issues";
import { cannotRun, runnerFor, workflowRunners } from "../../../../provider/workflows/registry";
import { defaultWorkflowTimeoutMs, workflowTimeoutMs } from "../../../../provider/workflows/runner";
import { removeTempDirs, tempDir } from "../../../support/tmp";

const local: PromotionWorkflowDefinition = { name: "smoke", kind: "local", command: "true" };
const argo: PromotionWorkflowDefinition = { name: "verify", kind: "argo", parameters: [] };

describe("the workflow runner registry", () => {
    after(removeTempDirs);

    it("has one runner per schema kind, in the schemas' order", () => {
        const kinds = promotionWorkflowSchemas.map((s) => s.shape.kind.value);
        assert.deepStrictEqual(
            workflowRunners.map((e) => e.kind),
            kinds,
        );
    });

    it("runnerFor gives the kind's runner, made with the services", async () => {
        assert.strictEqual(runnerFor(local).kind, "local");
        assert.strictEqual(runnerFor(argo, { argo: { url: "http://argo", namespace: "argo" } }).kind, "argo");
        const r = await runnerFor(local).run({
            workflow: local,
            parameters: {},
            labels: {},
            cwd: process.cwd(),
        });
        assert.strictEqual(r.status, "Succeeded");
        assert.throws(
            () => runnerFor(local).run({ workflow: argo, parameters: {}, labels: {}, cwd: process.cwd() }),
            /workflow "verify" is of kind argo, not local/,
        );
    });

    it("cannotRun names what to set when a kind's service is missing", () => {
        assert.strictEqual(cannotRun(local), undefined);
        assert.strictEqual(cannotRun(argo, { argo: { url: "http://argo", namespace: "argo" } }), undefined);
        assert.strictEqual(
            cannotRun(argo),
            'workflow "verify" (argo) cannot run: no Argo Server is configured: set PROMOTIONS_ARGO_URL (and PROMOTIONS_ARGO_TOKEN, PROMOTIONS_ARGO_NAMESPACE)',
        );
    });

    it("a workflow's timeout: its own, else one hour", () => {
        assert.strictEqual(workflowTimeoutMs({ ...local, timeout: "90s" }), 90_000);
        assert.strictEqual(workflowTimeoutMs({ ...argo, timeout: 2 }), 120_000);
        assert.strictEqual(workflowTimeoutMs(local), defaultWorkflowTimeoutMs);
    });

    it("passEnv takes variable names and * wildcards, nothing else", () => {
        const parse = (passEnv: unknown) =>
            promotionWorkflowDefinitionSchema.safeParse({ ...local, passEnv });
        assert.ok(parse(["KUBECONFIG", "AWS_*", "HTTPS_PROXY", "*"]).success);
        for (const bad of [["AWS_?"], ["A B"], ["X=1"], [""], [3], "AWS_*"]) {
            assert.ok(!parse(bad).success, JSON.stringify(bad));
        }
        assert.match(
            JSON.stringify(parse(["AWS_[A-Z]"]).error?.issues),
            /must be an environment variable name, with \* as the only wildcard/,
        );
    });

    it("spec.passEnv of a PromotionWorkflow manifest reaches the catalog, and a bad one is reported", () => {
        const dir = tempDir("pass-env");
        const manifest = (passEnv: string) => `apiVersion: promotions/v1alpha1
kind: PromotionWorkflow
metadata:
  name: smoke
spec:
  command: ./smoke.sh
  passEnv: ${passEnv}
`;
        fs.writeFileSync(path.join(dir, "smoke.yaml"), manifest('["KUBECONFIG", "AWS_*"]'));
        const ok = loadDefinitions(dir);
        const built = buildCatalog(ok.definitions);
        assert.deepStrictEqual([...ok.issues, ...built.issues].map(formatIssue), []);
        const wf = built.catalog.promotionWorkflows[0];
        assert.deepStrictEqual(wf.kind === "local" ? wf.passEnv : undefined, ["KUBECONFIG", "AWS_*"]);

        fs.writeFileSync(path.join(dir, "smoke.yaml"), manifest('["AWS_?"]'));
        const bad = loadDefinitions(dir);
        const issues = [...bad.issues, ...buildCatalog(bad.definitions).issues].map(formatIssue);
        assert.match(
            issues.join("\n"),
            /PromotionWorkflow "smoke": passEnv\[0\]: must be an environment variable name/,
        );
    });
});
