import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { GitopsRepo } from "../../support/gitops";
import { testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A Kustomize overlay: the argocd image's tag is promoted, the other images and everything else stay. */
const kustomization = (env: string, argocdTag: string, order: "argocd-first" | "argocd-last") => {
    const argocd = `  - name: quay.io/argoproj/argocd\n    newTag: ${argocdTag} # promoted\n`;
    const redis = `  - name: redis\n    newTag: 7.2.4-${env}\n`;
    return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: argocd-${env}
resources:
  - ../../base
images:
${order === "argocd-first" ? argocd + redis : redis + argocd}`;
};

describe("RFC 9535 filters end to end: the Kustomize image case", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("promotes only the selected image's newTag, found by the filter in each target", async () => {
        const dir = tempDir("kustomize");
        const repo = GitopsRepo.create(dir, "gitops", {
            "overlays/dev/kustomization.yaml": kustomization("dev", "v2.9.0", "argocd-first"),
            "overlays/prod/kustomization.yaml": kustomization("prod", "v2.8.3", "argocd-last"),
        });
        const { catalog, issues } = buildCatalog({
            environments: [
                { name: "dev", kind: "non-production" },
                { name: "prod", kind: "production" },
            ],
            products: [
                {
                    name: "argocd",
                    promotionTemplate: {
                        versionSource: {
                            file: "kustomization.yaml",
                            jsonPath: "$.images[?(@.name == 'quay.io/argoproj/argocd')].newTag",
                        },
                        promotion: {
                            "kustomization.yaml": {
                                jsonPaths: ["$.images[?(@.name == 'quay.io/argoproj/argocd')].newTag"],
                            },
                        },
                    },
                    promotionFlows: [{ name: "to-prod" }],
                    applications: ["dev", "prod"].map((env) => ({
                        name: `argocd-${env}`,
                        environment: env,
                        repoURL: repo.url,
                        path: `overlays/${env}`,
                        targetRevision: "main",
                    })),
                },
            ],
            promotionFlows: [
                {
                    name: "to-prod",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "prod", dependsOn: ["dev"] }],
                },
            ],
        });
        assert.deepStrictEqual(issues.map(formatIssue), []);
        const engine = await testPromoteEngine(dir, catalog);

        const preview = await engine.preview({ product: "argocd", target: { flow: "to-prod" } });
        assert.strictEqual(preview.version, "v2.9.0");
        assert.deepStrictEqual(
            preview.environments[0].applications[0].changes.map((c) => [c.from, c.to]),
            [["v2.8.3", "v2.9.0"]],
        );

        const record = await engine.release({ product: "argocd", target: { flow: "to-prod" } });
        assert.strictEqual(record.status, "Succeeded", record.error);
        assert.strictEqual(
            repo.read("overlays/prod/kustomization.yaml"),
            kustomization("prod", "v2.9.0", "argocd-last").trimEnd(),
            "only the argocd image's newTag changed, in the target's own list order",
        );
    });
});
