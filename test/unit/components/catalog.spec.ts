import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import { loadDefinitions } from "../../../components/config";
import { formatIssue } from "../../../components/issues";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import tsDefinitions from "../../fixtures/codefresh-published/definitions";
import { removeTempDirs, tempDir } from "../../support/tmp";

const published = path.join(packageRoot, "test", "fixtures", "codefresh-published");

describe("the catalog", () => {
    after(removeTempDirs);

    it("loads Codefresh's published examples unchanged, next to our manifests, without a problem", () => {
        const { definitions, issues } = loadDefinitions(published);
        const built = buildCatalog(definitions);
        assert.deepStrictEqual([...issues, ...built.issues].map(formatIssue), []);
        const c = built.catalog;
        assert.deepStrictEqual(
            c.environments.map((e) => e.name),
            ["dev", "prod", "production", "qa", "staging"],
        );
        assert.deepStrictEqual(
            c.promotionFlows.map((f) => [f.name, f.timeoutMs, f.version]),
            [
                ["demo", 90_000, undefined],
                ["global-parallel-flow", 86_400_000, undefined],
                ["multi-env-sequential-promotion", 300_000, "3.0"],
                ["to-prod", 86_400_000, undefined],
            ],
        );
        const product = c.products.find((p) => p.name === "helm-guestbook")!;
        assert.deepStrictEqual(
            product.applications.map((a) => [a.name, a.environment]),
            [
                ["helm-guestbook-dev", "dev"],
                ["helm-guestbook-production", "production"],
                ["helm-guestbook-staging", "staging"], // by its destination cluster/namespace
            ],
        );
        assert.deepStrictEqual(
            c.promotionWorkflows.find((w) => w.name === "smoke-tests"),
            {
                name: "smoke-tests",
                kind: "argo",
                templateName: "smoke-tests",
                parameters: ["APP_NAMESPACE", "APP_NAME", "REPO_URL", "BRANCH", "PATH"],
                description: "Smoke tests before the promotion",
                version: "0.0.1",
            },
        );
        assert.ok(
            !c.promotionWorkflows.some((w) => w.name === "nightly-backup"),
            "unannotated templates are not workflows",
        );
    });

    it("yields the same catalog from TypeScript definitions as from the YAML manifests", () => {
        const fromYaml = buildCatalog(loadDefinitions(published).definitions);
        const fromTs = buildCatalog(tsDefinitions);
        assert.deepStrictEqual(fromTs.issues, []);
        assert.deepStrictEqual(fromTs.catalog, fromYaml.catalog);
    });

    it("reports every problem of a broken directory at once, each with file, entity, field and reason", () => {
        const dir = tempDir("broken");
        fs.writeFileSync(
            path.join(dir, "broken.yaml"),
            `apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: dev }
spec: { kind: non-production, colour: blue }
---
apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: qa }
---
apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: qa }
---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata: { name: loop }
spec:
  triggerEnvironment: dev
  steps:
    - { environment: qa, dependsOn: [prod] }
    - { environment: prod, dependsOn: [qa] }
    - { environment: dev, dependsOn: [qa] }
    - { environment: qa2, dependsOn: [] }
---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata: { name: seq }
spec:
  triggerEnvironment: dev
  steps:
    - { environment: qa, dependsOn: [dev], policy: { action: none } }
  hooks: { onFail: page-oncall }
---
apiVersion: codefresh.io/v1beta1
kind: PromotionPolicy
metadata: { name: gate }
spec:
  priority: 1
  policy: { preAction: smoke }
---
apiVersion: codefresh.io/v1beta1
kind: PromotionTemplate
metadata: { name: t }
spec:
  applicationSourceSelector: { matchLabels: { a: b } }
  priority: 1
  versionSource: { file: Chart.yaml, jsonPath: "appVersion" }
  promotion:
    values.yaml: { jsonPaths: [ "$.image..", "$[image]" ] }
---
apiVersion: codefresh.io/v1beta1
kind: Product
metadata: { name: web }
spec:
  promotionTemplateRef: missing-template
  promotionFlows: [ { name: seq }, { name: nope } ]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-dev
  annotations: { codefresh.io/product: web, promotions/environment: dev }
spec:
  source: { repoURL: "file:///tmp/x.git", path: web/dev, targetRevision: main }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: stray }
`,
        );
        const { definitions, issues } = loadDefinitions(dir);
        const all = [...issues, ...buildCatalog(definitions).issues].map(formatIssue);
        const expected = [
            /broken\.yaml:1: Environment "dev": spec\.colour|broken\.yaml:1: Environment "dev": unknown field "colour"/,
            /broken\.yaml:\d+: Environment "qa": name: duplicate Environment name/,
            /PromotionFlow "loop": steps\[3\]\.dependsOn: list at least one environment/,
            /PromotionFlow "loop": steps\[3\]\.environment: unknown environment "qa2"/,
            /PromotionFlow "loop": steps\[1\]\.environment: unknown environment "prod"/,
            /PromotionFlow "loop": steps\[2\]\.environment: "dev" is the trigger environment/,
            /PromotionFlow "loop": steps: dependency cycle/,
            /PromotionFlow "seq": hooks\.onFail: unknown workflow "page-oncall"/,
            /PromotionPolicy "gate": policy\.preAction: unknown workflow "smoke"/,
            /PromotionTemplate "t": versionSource\.jsonPath: invalid JSONPath "appVersion"/,
            /PromotionTemplate "t": promotion\["values\.yaml"\]\.jsonPaths\[0\]: invalid JSONPath/,
            /PromotionTemplate "t": promotion\["values\.yaml"\]\.jsonPaths\[1\]: invalid JSONPath/,
            /Product "web": promotionTemplateRef: unknown PromotionTemplate "missing-template"/,
            /Product "web": promotionFlows\[1\]\.name: unknown PromotionFlow "nope"/,
            /Product "web": promotionFlows\[0\]: flow "seq" needs an application of product "web" in environment "qa"/,
        ];
        for (const re of expected) {
            assert.ok(
                all.some((line) => re.test(line)),
                `missing ${re}\nin:\n${all.join("\n")}`,
            );
        }
        assert.ok(
            !all.some((l) => /unknown environment "dev"/.test(l)),
            "an invalid entity still counts as defined",
        );
        // A kind that is not ours is left alone and listed (DESIGN.md section 1), never refused.
        assert.ok(!all.some((l) => /ConfigMap/.test(l)), all.join("\n"));
        assert.deepStrictEqual(definitions.skipped, [
            {
                kind: "ConfigMap",
                apiVersion: "v1",
                name: "stray",
                origin: `${path.join(dir, "broken.yaml")}:66`,
                reason: "foreign",
            },
        ]);
    });

    it("flags action none without a pre-action after merging policies", () => {
        const { issues } = buildCatalog({
            environments: [{ name: "dev" }, { name: "qa" }],
            promotionFlows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"], policy: { action: "none" } }],
                },
            ],
            products: [
                {
                    name: "p",
                    promotionFlows: [{ name: "f" }],
                    applications: [
                        { name: "p-dev", environment: "dev", repoURL: "file:///r" },
                        { name: "p-qa", environment: "qa", repoURL: "file:///r" },
                    ],
                },
            ],
        });
        assert.deepStrictEqual(issues.map(formatIssue), [
            'PromotionFlow "f": steps[0].policy: action "none" for product "p" in "qa" has no preAction: set a preAction that performs the promotion, or another action',
        ]);
    });
});
