/**
 * Codefresh's own published YAML loads and behaves as Codefresh documents (issue 25). Each case names the
 * section of ../shared/reference/codefresh-promotions.md ("reference §…") and the Codefresh page it follows.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { graph } from "../../../cli/commands/graph";
import { validate } from "../../../cli/commands/validate";
import type { Terminal } from "../../../cli/context";
import { makeStyle, settingsFrom } from "../../../cli/context";
import { engineOptions } from "../../../cli/engine";
import { releaseUrl } from "../../../engine/operations/options";
import type { Definitions } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import { applicationInEveryFlowEnvironment } from "../../../components/catalog.rules";
import { loadCatalog, loadDefinitions } from "../../../components/config";
import { formatIssue } from "../../../components/issues";
import type { PromotionTemplateDefinition } from "../../../components/promotionTemplate";
import { mergeTemplates, selectTemplate } from "../../../components/promotionTemplate.select";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { removeTempDirs, tempDir } from "../../support/tmp";

const published = path.join(packageRoot, "test", "fixtures", "codefresh-published");

function terminal(): Terminal & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return {
        stdout,
        stderr,
        out: (l) => stdout.push(l),
        err: (l) => stderr.push(l),
        errRaw: () => undefined,
        interactive: false,
        style: makeStyle(false),
    };
}

/** A directory with these files copied from the fixture, plus `extra` files written as given. */
function dirWith(name: string, fromFixture: readonly string[], extra: Record<string, string> = {}): string {
    const dir = tempDir(name);
    for (const f of fromFixture) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(published, f), path.join(dir, f));
    }
    for (const [f, text] of Object.entries(extra)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
}

/** Environments dev and qa, and product web's application in each. */
const environments = ["dev", "qa"]
    .map(
        (env) => `apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: ${env} }
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-${env}
  annotations: { codefresh.io/product: web, promotions/environment: ${env} }
spec:
  source: { repoURL: "file:///tmp/gitops.git", path: apps/web/${env}, targetRevision: main }
`,
    )
    .join("---\n");

/** The 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("Codefresh parity: Codefresh's published YAML", () => {
    after(removeTempDirs);

    describe("kinds that are not ours (reference §1.6: every promotion workflow needs a ServiceAccount; _docs/promotions/service-accounts-promotion-workflows.md, argo-hub's rbac.yaml)", () => {
        it("skips and lists the ServiceAccount, Role and RoleBinding beside a WorkflowTemplate; the template is a workflow", async () => {
            const dir = dirWith("foreign-ok", [
                "argo-hub/post-promotion-starter/rbac.yaml",
                "argo-hub/post-promotion-starter/workflowTemplate.yaml",
            ]);
            const io = terminal();
            assert.strictEqual(await validate({ configPath: dir }, { io }), 0, io.stderr.join("\n"));
            assert.strictEqual(
                io.stdout[0],
                "skipped: 3 manifests of kinds ServiceAccount, Role, RoleBinding",
            );
            assert.match(io.stdout[io.stdout.length - 1], /^valid: .*, 1 workflow$/);
            const { definitions } = loadDefinitions(dir);
            assert.deepStrictEqual(
                definitions.skipped?.map((s) => [s.kind, s.apiVersion, s.name, path.basename(s.origin)]),
                [
                    ["ServiceAccount", "v1", "argo-hub.post-promotion-starter.0.0.2", "rbac.yaml:1"],
                    [
                        "Role",
                        "rbac.authorization.k8s.io/v1",
                        "argo-hub.post-promotion-starter.0.0.2",
                        "rbac.yaml:8",
                    ],
                    [
                        "RoleBinding",
                        "rbac.authorization.k8s.io/v1",
                        "argo-hub.post-promotion-starter.0.0.2",
                        "rbac.yaml:31",
                    ],
                ],
            );
        });

        it("still refuses a malformed promotion kind beside them (exit 2: file, line, entity, field), listing the others", async () => {
            const flows = `${environments}---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata: { name: seq }
spec:
  triggerEnvironment: dev
  steps:
    - environment: qa
      dependsOn: dev
`;
            const dir = dirWith("foreign-bad", ["docs-hooks/rbac.yaml", "docs-hooks/hooks.yaml"], {
                "flows.yaml": flows,
            });
            const io = terminal();
            assert.strictEqual(await validate({ configPath: dir }, { io }), 2);
            assert.deepStrictEqual(io.stdout, [
                "skipped: 3 manifests of kinds ServiceAccount, Role, RoleBinding",
            ]);
            const err = io.stderr.join("\n");
            assert.match(err, /^1 problem in /);
            assert.match(
                err,
                new RegExp(
                    `flows\\.yaml:${lineOf(flows, "kind: PromotionFlow") - 1}: PromotionFlow "seq": steps\\[0\\]\\.dependsOn: expected a list, got a string \\("dev"\\)`,
                ),
            );
            assert.doesNotMatch(err, /ServiceAccount|RoleBinding/);
        });

        it("an unknown kind of our own API groups is refused, not skipped (a typo must not vanish)", () => {
            const text = `${environments}---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlows
metadata: { name: seq }
`;
            const dir = dirWith("foreign-ours", [], { "x.yaml": text });
            const { definitions, issues } = loadDefinitions(dir);
            assert.strictEqual(definitions.skipped, undefined);
            assert.match(
                issues.map(formatIssue).join("\n"),
                new RegExp(
                    `x\\.yaml:${lineOf(text, "kind: PromotionFlows") - 1}: PromotionFlows "seq": kind: unsupported apiVersion/kind codefresh\\.io/v1beta1 PromotionFlows`,
                ),
            );
        });

        it("Codefresh's other kinds and the runtime chart's CRDs are skipped; every promotions/ kind is ours", () => {
            const text = `${environments}---
apiVersion: codefresh.io/v1beta1
kind: RestrictedGitSource
metadata: { name: isc }
---
apiVersion: codefresh.io/v1beta1
kind: PromotionTask
metadata: { name: t1 }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: products.codefresh.io }
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: { name: default }
---
apiVersion: promotions/v1alpha1
kind: Enviroment
metadata: { name: typo }
`;
            const { definitions, issues } = loadDefinitions(dirWith("foreign-mix", [], { "x.yaml": text }));
            assert.deepStrictEqual(
                definitions.skipped?.map((s) => s.kind),
                ["RestrictedGitSource", "PromotionTask", "CustomResourceDefinition", "AppProject"],
            );
            assert.deepStrictEqual(
                issues.map((i) => `${i.entity}: ${i.path}`),
                ['Enviroment "typo": kind'],
            );
        });
    });

    describe("Product in both served versions (reference §1.2, [crd:product.yaml]: v1beta1 served, v1beta2 stored, concurrency in v1beta2 only)", () => {
        const product = (apiVersion: string, concurrency?: string) => `${environments}---
apiVersion: ${apiVersion}
kind: Product
metadata: { name: web }
spec:
  promotionFlows: [ { name: seq } ]${concurrency ? `\n  concurrency: ${concurrency}` : ""}
---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata: { name: seq }
spec:
  triggerEnvironment: dev
  steps: [ { environment: qa, dependsOn: [dev] } ]
`;

        it("accepts codefresh.io/v1beta2 with concurrency, and v1beta1 without", () => {
            for (const [v, c, expected] of [
                ["codefresh.io/v1beta2", "terminate", "terminate"],
                ["codefresh.io/v1beta2", undefined, "queue"],
                ["codefresh.io/v1beta1", undefined, "queue"],
            ] as const) {
                const { definitions, issues } = loadDefinitions(
                    dirWith(`v-${v.split("/")[1]}`, [], { "p.yaml": product(v, c) }),
                );
                const built = buildCatalog(definitions);
                assert.deepStrictEqual([...issues, ...built.issues].map(formatIssue), [], `${v} ${c}`);
                assert.strictEqual(built.catalog.products[0].concurrency, expected);
            }
        });

        it("refuses concurrency in v1beta1 (its CRD has none) and an unknown version, naming file, line, entity, field and fix", () => {
            const text = product("codefresh.io/v1beta1", "queue");
            const dir = dirWith("v1-conc", [], { "p.yaml": text });
            const line = lineOf(text, "kind: Product") - 1;
            assert.deepStrictEqual(loadDefinitions(dir).issues.map(formatIssue), [
                `${path.join(dir, "p.yaml")}:${line}: Product "web": spec.concurrency: concurrency is a field of codefresh.io/v1beta2 Product, not v1beta1: use apiVersion: codefresh.io/v1beta2`,
            ]);
            const v3 = loadDefinitions(dirWith("v3", [], { "p.yaml": product("codefresh.io/v1beta3") }));
            assert.match(
                formatIssue(v3.issues[0]),
                new RegExp(
                    `p\\.yaml:${line}: Product "web": apiVersion: unsupported apiVersion "codefresh\\.io/v1beta3" for Product: use apiVersion: codefresh\\.io/v1beta1 or codefresh\\.io/v1beta2`,
                ),
            );
        });

        it("the published fixture's quick-start product is v1beta2", () => {
            const c = loadCatalog(published);
            assert.strictEqual(c.products.find((p) => p.name === "demo-trioapp")?.concurrency, "queue");
        });
    });

    describe("applications outside every environment (reference §1.1: apps are placed by destination; the quick start's prod-eu and prod-asia apps before _docs/gitops-quick-start/parallel-multi-env-promotion.md)", () => {
        it("are a warning, not a problem: the published quick start validates", () => {
            const { definitions, issues } = loadDefinitions(published);
            const built = buildCatalog(definitions);
            assert.deepStrictEqual([...issues, ...built.issues].map(formatIssue), []);
            assert.deepStrictEqual(
                built.warnings.map((w) => `${w.entity}: ${w.path}`),
                [
                    'Application "demo-trioapp-prod-asia": environment',
                    'Application "demo-trioapp-prod-eu": environment',
                ],
            );
            assert.match(
                formatIssue(built.warnings[1]),
                /trio-prod-eu\/demo-trioapp-prod-eu\.yaml:1: Application "demo-trioapp-prod-eu": environment: maps to no Environment \(destination in-cluster\/demo-prod-eu\): no release of product "demo-trioapp" includes it/,
            );
            const trio = built.catalog.products.find((p) => p.name === "demo-trioapp")!;
            assert.deepStrictEqual(
                trio.applications.map((a) => [a.name, a.environment]),
                [
                    ["demo-trioapp-prod", "prod"],
                    ["demo-trioapp-qa", "qa"],
                    ["demo-trioapp-staging", "staging"],
                    ["trio-dev", "dev"],
                ],
            );
        });

        it("a flow that needs an application there is refused, naming the applications outside", () => {
            const defs: Definitions = {
                environments: [{ name: "dev" }, { name: "prod-eu" }],
                products: [
                    {
                        name: "trio",
                        promotionFlows: [{ name: "eu" }],
                        applications: [
                            { name: "trio-dev", environment: "dev", repoURL: "file:///r.git" },
                            {
                                name: "trio-eu",
                                repoURL: "file:///r.git",
                                destination: { name: "in-cluster", namespace: "demo-prod-eu" },
                            },
                        ],
                    },
                ],
                promotionFlows: [
                    {
                        name: "eu",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "prod-eu", dependsOn: ["dev"] }],
                    },
                ],
            };
            const built = buildCatalog(defs);
            assert.deepStrictEqual(built.issues.map(formatIssue), [
                'Product "trio": promotionFlows[0]: flow "eu" needs an application of product "trio" in environment "prod-eu" ("trio-eu" maps to no Environment: annotate promotions/environment, or map the destination in an Environment)',
            ]);
            assert.strictEqual(built.warnings.length, 1);
            // Without the flow, the same product is valid.
            const alone = buildCatalog({
                ...defs,
                products: [{ ...defs.products![0], promotionFlows: [] }],
            });
            assert.deepStrictEqual(alone.issues, []);
            assert.deepStrictEqual(
                applicationInEveryFlowEnvironment(
                    { name: "trio", applications: [{ name: "trio-dev", environment: "dev" }] },
                    defs.promotionFlows![0] as never,
                ).length,
                1,
            );
        });
    });

    describe("several matching PromotionTemplates (reference §1.3 spec.priority: 'the order in which Promotion Templates are applied when multiple Promotion Templates match the same application'; _docs/promotions/yaml/promotion-template-crd.md)", () => {
        const t = (
            name: string,
            priority: number,
            body: Partial<PromotionTemplateDefinition>,
        ): PromotionTemplateDefinition => ({
            name,
            priority,
            applicationSourceSelector: {
                matchExpressions: [{ key: "codefresh.io/product", operator: "Exists", values: [] }],
            },
            ...body,
        });

        it("form one composite: every file and JSONPath any of them promotes; the version of the lowest number", () => {
            const merged = mergeTemplates([
                t("images", 10, {
                    versionSource: { file: "version.yaml", jsonPath: "$.version" },
                    promotion: {
                        "values.yaml": { jsonPaths: ["$..image"] },
                        "Chart.yaml": { jsonPaths: ["$.version"] },
                    },
                }),
                t("chart", 0, {
                    versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                    promotion: { "Chart.yaml": { jsonPaths: ["$.appVersion", "$.version"] } },
                }),
            ]);
            assert.deepStrictEqual(merged, {
                versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                promotion: {
                    "Chart.yaml": { jsonPaths: ["$.appVersion", "$.version"] },
                    "values.yaml": { jsonPaths: ["$..image"] },
                },
            });
        });

        it("on a conflict the lower priority number wins (excludeJsonPaths, ours, against jsonPaths)", () => {
            const merged = mergeTemplates([
                t("team", 1, {
                    promotion: {
                        "values.yaml": {
                            jsonPaths: ["$.image.tag", "$.replicas"],
                            excludeJsonPaths: ["$.env"],
                        },
                    },
                }),
                t("platform", 5, {
                    promotion: {
                        "values.yaml": { jsonPaths: ["$.env", "$.image"], excludeJsonPaths: ["$.replicas"] },
                    },
                }),
            ]);
            assert.deepStrictEqual(merged.promotion, {
                "values.yaml": {
                    jsonPaths: ["$.image.tag", "$.replicas", "$.image"],
                    excludeJsonPaths: ["$.env"],
                },
            });
        });

        it("a matching template without promotion (every file) makes the composite promote every file", () => {
            assert.deepStrictEqual(
                mergeTemplates([
                    t("all", 3, {}),
                    t("some", 1, { promotion: { "a.yaml": { jsonPaths: ["$.a"] } } }),
                ]),
                {},
            );
        });

        it("selectTemplate merges every matching template; a promotionTemplateRef still wins alone", () => {
            const templates = [
                t("b", 2, { promotion: { "b.yaml": { jsonPaths: ["$.b"] } } }),
                t("a", 1, { promotion: { "a.yaml": { jsonPaths: ["$.a"] } } }),
                {
                    ...t("other", 0, { promotion: { "o.yaml": { jsonPaths: ["$.o"] } } }),
                    applicationSourceSelector: { matchLabels: { "codefresh.io/product": "cards" } },
                },
            ];
            const app = { environment: "qa", labels: {} };
            const c = selectTemplate({ product: { name: "loans" }, application: app }, templates);
            assert.deepStrictEqual(
                [c.source, c.templateName, c.templateNames],
                ["selector", "a", ["a", "b"]],
            );
            assert.deepStrictEqual(Object.keys(c.body.promotion ?? {}), ["a.yaml", "b.yaml"]);
            const ref = selectTemplate(
                { product: { name: "loans", promotionTemplateRef: "b" }, application: app },
                templates,
            );
            assert.deepStrictEqual([ref.source, Object.keys(ref.body.promotion ?? {})], ["ref", ["b.yaml"]]);
        });

        it("graph --product shows the merged template of the published quick-start product", async () => {
            const io = terminal();
            const catalog = loadCatalog(published);
            await graph(
                { flow: "multi-env-sequential-promotion", format: "text", product: "demo-trioapp" },
                { io, catalog: () => catalog },
            );
            assert.deepStrictEqual(io.stdout.slice(-5), [
                "  template for demo-trioapp-prod, demo-trioapp-qa, demo-trioapp-staging, trio-dev: composite of trio-chart (priority 0), every-product-images (priority 10)",
                "      version: Chart.yaml $.appVersion",
                "      Chart.yaml: $.appVersion, $.version, $.dependencies",
                "      values.yaml: $..image",
                "      version.yaml: $.version",
            ]);
        });
    });

    describe("APP_NAMESPACE of an Application without metadata.namespace (reference §5.1; the quick start's Applications have none)", () => {
        it("is the namespace Argo CD would give it: the setting, default argocd; metadata.namespace when set", () => {
            const byDefault = loadCatalog(published);
            const set = loadCatalog(published, { applicationNamespace: "gitops" });
            const ns = (c: typeof set, product: string) =>
                c.products.find((p) => p.name === product)!.applications.map((a) => a.namespace);
            assert.deepStrictEqual(ns(byDefault, "demo-trioapp"), ["argocd", "argocd", "argocd", "argocd"]);
            assert.deepStrictEqual(ns(set, "demo-trioapp"), ["gitops", "gitops", "gitops", "gitops"]);
            // helm-guestbook's Applications say metadata.namespace: argocd themselves.
            assert.deepStrictEqual(ns(set, "helm-guestbook"), ["argocd", "argocd", "argocd"]);
        });
    });

    describe("the settings behind RELEASE_URL, RUNTIME and APP_NAMESPACE (reference §5.1, §5.2)", () => {
        const settings = (env: NodeJS.ProcessEnv) => settingsFrom({ noColor: true }, env, "/w", false);

        it("PROMOTIONS_PUBLIC_URL, PROMOTIONS_RUNTIME and PROMOTIONS_ARGOCD_NAMESPACE reach the engine", () => {
            const s = settings({
                PROMOTIONS_PUBLIC_URL: "https://promotions.example.com/",
                PROMOTIONS_RUNTIME: "runner-eu-1",
                PROMOTIONS_ARGOCD_NAMESPACE: "gitops",
            });
            assert.deepStrictEqual(
                [s.publicUrl, s.runtime, s.applicationNamespace],
                ["https://promotions.example.com", "runner-eu-1", "gitops"],
            );
            const o = engineOptions(s, loadCatalog(published), { pulumi: "/bin/pulumi" } as never);
            assert.deepStrictEqual(
                [o.publicUrl, o.runtime],
                ["https://promotions.example.com", "runner-eu-1"],
            );
            assert.strictEqual(
                releaseUrl(o.publicUrl, "r 1"),
                "https://promotions.example.com/#/releases/r%201",
            );
        });

        it("unset, RELEASE_URL is the console promote serve listens on by default", () => {
            const s = settings({});
            assert.deepStrictEqual(
                [s.publicUrl, s.runtime, s.applicationNamespace],
                [undefined, undefined, undefined],
            );
            assert.strictEqual(releaseUrl(undefined, "abc"), "http://127.0.0.1:8080/#/releases/abc");
        });

        it("a PROMOTIONS_PUBLIC_URL that is not an http(s) URL is refused, naming the setting", () => {
            for (const bad of ["promotions.example.com", "ftp://promotions.example.com"]) {
                assert.throws(
                    () => settings({ PROMOTIONS_PUBLIC_URL: bad }),
                    /PROMOTIONS_PUBLIC_URL must be/,
                );
            }
        });
    });

    describe("commitMessage trigger values (reference §6.2: 'exact match without *, partial with *' on the CRD page, 'contains' on the trigger page)", () => {
        it("validate notes that a value without * must match the whole message; one with * gets no note", async () => {
            const text = `${environments}---
apiVersion: codefresh.io/v1beta1
kind: Product
metadata: { name: web }
spec:
  promotionFlows:
    - name: seq
      gitTriggerSelectors:
        - { key: commitMessage, operator: In, values: [ "deploy", "*promotion:seq*" ] }
        - { key: gitRevision, operator: In, values: [ main ] }
---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata: { name: seq }
spec:
  triggerEnvironment: dev
  steps: [ { environment: qa, dependsOn: [dev] } ]
`;
            const dir = dirWith("commit-note", [], { "p.yaml": text });
            const io = terminal();
            assert.strictEqual(await validate({ configPath: dir }, { io }), 0, io.stderr.join("\n"));
            const notes = io.stdout.filter((l) => l.startsWith("note: "));
            assert.strictEqual(notes.length, 1, io.stdout.join("\n"));
            assert.ok(
                notes[0].endsWith(
                    `p.yaml:${lineOf(text, "kind: Product") - 1}: Product "web": promotionFlows[0].gitTriggerSelectors[0].values[0]: ` +
                        'commitMessage value "deploy" has no "*": it must match the whole commit message; write "*deploy*" to match it anywhere in the message',
                ),
                notes[0],
            );
        });
    });
});
