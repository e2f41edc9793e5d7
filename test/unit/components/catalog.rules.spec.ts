import * as assert from "assert";
import type { Definitions } from "../../../components/catalog";
import { buildCatalog, catalogContext } from "../../../components/catalog";
import type { CatalogRule } from "../../../components/catalog.rules";
import {
    applicationInEveryFlowEnvironment,
    applicationsNameTheirProduct,
    applicationsResolve,
    catalogRules,
    flowDependenciesInFlow,
    flowStepsAreNotTheTrigger,
    flowStepsDependOnSomething,
    flowStepsExist,
    flowStepsUnique,
    flowTriggerEnvironmentExists,
    flowWorkflowsExist,
    noCycles,
    noneHasPreAction,
    noneNeedsPreAction,
    policyEnvironmentsExist,
    policyWorkflowsExist,
    productFlowsExist,
    productFlowsHaveApplications,
    productFlowsHaveOneTriggerApplication,
    productTemplateRefExists,
    singleTriggerApplication,
    templateJsonPathsCompile,
    templatesPromoteSomething,
    triggerWorkflowAliasAgrees,
} from "../../../components/catalog.rules";
import { formatIssue } from "../../../components/issues";

/** dev -> qa -> prod, product web with an application in each, workflow smoke: every rule holds. */
function base(): Definitions {
    return {
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
        promotionWorkflows: [{ name: "smoke", kind: "local", command: ["true"] }],
        promotionFlows: [
            {
                name: "f",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "prod", dependsOn: ["qa"] },
                ],
            },
        ],
        products: [
            {
                name: "web",
                promotionFlows: [{ name: "f" }],
                applications: ["dev", "qa", "prod"].map((env) => ({
                    name: `web-${env}`,
                    environment: env,
                    repoURL: "file:///r.git",
                    path: `web/${env}`,
                })),
            },
        ],
    };
}

type Edit = (d: Definitions) => Definitions;
const flow = (d: Definitions) => (d.promotionFlows as unknown as Record<string, unknown>[])[0];
const steps = (d: Definitions) => flow(d).steps as Record<string, unknown>[];
const product = (d: Definitions) => (d.products as unknown as Record<string, unknown>[])[0];
const edit =
    (f: (d: Definitions) => void): Edit =>
    (d) => {
        f(d);
        return d;
    };

interface RuleCase {
    readonly rule: CatalogRule;
    readonly name: string;
    readonly defs: Edit;
    /** The rule's issues, formatted; [] when the rule must hold. */
    readonly expected: readonly string[];
}

const cases: RuleCase[] = [
    {
        rule: flowTriggerEnvironmentExists,
        name: "an unknown trigger environment",
        defs: edit((d) => (flow(d).triggerEnvironment = "dev2")),
        expected: ['PromotionFlow "f": triggerEnvironment: unknown environment "dev2"'],
    },
    {
        rule: flowStepsExist,
        name: "an unknown step environment",
        defs: edit((d) => (steps(d)[1].environment = "prod2")),
        expected: ['PromotionFlow "f": steps[1].environment: unknown environment "prod2"'],
    },
    {
        rule: flowStepsExist,
        name: "an environment that failed its own schema still exists",
        defs: edit((d) => ((d.environments as unknown as Record<string, unknown>[])[2].colour = "red")),
        expected: [],
    },
    {
        rule: flowStepsAreNotTheTrigger,
        name: "the trigger environment as a step",
        defs: edit((d) => steps(d).push({ environment: "dev", dependsOn: ["qa"] })),
        expected: [
            'PromotionFlow "f": steps[2].environment: "dev" is the trigger environment: it cannot also be a step',
        ],
    },
    {
        rule: flowStepsUnique,
        name: "a step listed twice",
        defs: edit((d) => steps(d).push({ environment: "qa", dependsOn: ["dev"] })),
        expected: ['PromotionFlow "f": steps[2].environment: "qa" is listed twice: one step per environment'],
    },
    {
        rule: flowStepsDependOnSomething,
        name: "a step depending on nothing",
        defs: edit((d) => (steps(d)[1].dependsOn = [])),
        expected: [
            'PromotionFlow "f": steps[1].dependsOn: list at least one environment (e.g. the trigger environment "dev")',
        ],
    },
    {
        rule: flowDependenciesInFlow,
        name: "a dependency outside the flow, and an unknown one",
        defs: edit((d) => {
            (d.environments as unknown as Record<string, unknown>[]).push({ name: "staging" });
            steps(d)[1].dependsOn = ["staging", "nowhere"];
        }),
        expected: [
            'PromotionFlow "f": steps[1].dependsOn[0]: "staging" is not in this flow: add a step for it or depend on the trigger environment "dev"',
            'PromotionFlow "f": steps[1].dependsOn[1]: unknown environment "nowhere"',
        ],
    },
    {
        rule: noCycles,
        name: "a cycle",
        defs: edit((d) => (steps(d)[0].dependsOn = ["prod"])),
        expected: [
            'PromotionFlow "f": steps: dependency cycle prod -> qa -> prod: every environment must be reachable from "dev"',
        ],
    },
    {
        rule: noCycles,
        name: "a diamond is no cycle",
        defs: edit((d) => (steps(d)[1].dependsOn = ["qa", "dev"])),
        expected: [],
    },
    {
        rule: flowWorkflowsExist,
        name: "unknown workflows in step policy, step hooks, flow hooks and triggerWorkflow",
        defs: edit((d) => {
            steps(d)[0].policy = { preAction: "smoke", postAction: "load" };
            steps(d)[1].hooks = { onFail: "page" };
            flow(d).hooks = { onStart: "announce" };
            flow(d).triggerWorkflow = "build";
        }),
        expected: [
            'PromotionFlow "f": steps[0].policy.postAction: unknown workflow "load": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)',
            'PromotionFlow "f": steps[1].hooks.onFail: unknown workflow "page": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)',
            'PromotionFlow "f": hooks.onStart: unknown workflow "announce": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)',
            'PromotionFlow "f": triggerWorkflow: unknown workflow "build": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)',
        ],
    },
    {
        rule: flowWorkflowsExist,
        name: "an unknown workflow under the deprecated postTrigger",
        defs: edit((d) => (flow(d).postTrigger = "build")),
        expected: [
            'PromotionFlow "f": postTrigger: unknown workflow "build": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)',
        ],
    },
    {
        rule: triggerWorkflowAliasAgrees,
        name: "triggerWorkflow and postTrigger differ",
        defs: edit((d) => {
            flow(d).triggerWorkflow = "smoke";
            flow(d).postTrigger = "other";
        }),
        expected: [
            'PromotionFlow "f": postTrigger: postTrigger is the deprecated alias of triggerWorkflow and they differ: keep triggerWorkflow only',
        ],
    },
    {
        rule: policyWorkflowsExist,
        name: "a policy naming unknown workflows",
        defs: (d) => ({
            ...d,
            promotionPolicies: [{ name: "p", priority: 1, policy: { preAction: "x", postAction: "smoke" } }],
        }),
        expected: [
            'PromotionPolicy "p": policy.preAction: unknown workflow "x": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)',
        ],
    },
    {
        rule: policyEnvironmentsExist,
        name: "a policy selecting an unknown environment",
        defs: (d) => ({
            ...d,
            promotionPolicies: [
                {
                    name: "p",
                    priority: 1,
                    selector: { targetEnvironment: { names: ["qa", "uat"] } },
                    policy: { action: "pr" },
                },
            ],
        }),
        expected: ['PromotionPolicy "p": selector.targetEnvironment.names[1]: unknown environment "uat"'],
    },
    {
        rule: templatesPromoteSomething,
        name: "a template and an inline template promoting nothing",
        defs: (d) => {
            product(d).promotionTemplate = { promotion: {} };
            return {
                ...d,
                promotionTemplates: [
                    { name: "t", applicationSourceSelector: {}, priority: 1, promotion: {} },
                ],
            };
        },
        expected: [
            'PromotionTemplate "t": promotion: no promotable paths: omit promotion to promote every file, or list files with jsonPaths',
            'Product "web": promotionTemplate.promotion: no promotable paths: omit promotion to promote every file, or list files with jsonPaths',
        ],
    },
    {
        rule: templateJsonPathsCompile,
        name: "JSONPaths that do not compile",
        defs: (d) => {
            product(d).promotionTemplate = {
                promotion: { "values.yaml": { jsonPaths: ["$.image"], excludeJsonPaths: ["image"] } },
            };
            return {
                ...d,
                promotionTemplates: [
                    {
                        name: "t",
                        applicationSourceSelector: {},
                        priority: 1,
                        versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                        promotion: { "values.yaml": { jsonPaths: ["$.image", "$[image]"] } },
                    },
                ],
            };
        },
        expected: [
            /^PromotionTemplate "t": promotion\["values\.yaml"\]\.jsonPaths\[1\]: invalid JSONPath "\$\[image\]"/
                .source,
            /^Product "web": promotionTemplate\.promotion\["values\.yaml"\]\.excludeJsonPaths\[0\]: invalid JSONPath "image"/
                .source,
        ],
    },
    {
        rule: productTemplateRefExists,
        name: "an unknown template reference",
        defs: edit((d) => (product(d).promotionTemplateRef = "helm")),
        expected: ['Product "web": promotionTemplateRef: unknown PromotionTemplate "helm"'],
    },
    {
        rule: productFlowsExist,
        name: "an unknown flow",
        defs: edit((d) => (product(d).promotionFlows = [{ name: "f" }, { name: "g" }])),
        expected: ['Product "web": promotionFlows[1].name: unknown PromotionFlow "g"'],
    },
    {
        rule: productFlowsHaveApplications,
        name: "no application in a step environment",
        defs: edit((d) => (product(d).applications = (product(d).applications as unknown[]).slice(0, 2))),
        expected: [
            'Product "web": promotionFlows[0]: flow "f" needs an application of product "web" in environment "prod"',
        ],
    },
    {
        rule: productFlowsHaveApplications,
        name: "an unknown environment is left to the flow rules",
        defs: edit((d) => (steps(d)[1].environment = "prod2")),
        expected: [],
    },
    {
        rule: productFlowsHaveApplications,
        name: "a product whose stand-alone application did not parse is left alone",
        defs: (d) => {
            product(d).applications = (product(d).applications as unknown[]).slice(0, 2);
            return {
                ...d,
                applications: [{ name: "web-prod", product: "web", environment: "prod", repoURL: "-x" }],
            };
        },
        expected: [],
    },
    {
        rule: productFlowsHaveOneTriggerApplication,
        name: "two applications in the trigger environment",
        defs: edit((d) =>
            (product(d).applications as unknown[]).push({
                name: "web-dev-2",
                environment: "dev",
                repoURL: "file:///r.git",
            }),
        ),
        expected: [
            'Product "web": promotionFlows[0]: product "web" has several applications in trigger environment "dev" of flow "f": keep one',
        ],
    },
    {
        rule: noneHasPreAction,
        name: "action none from a policy, without a preAction",
        defs: (d) => ({
            ...d,
            promotionPolicies: [
                {
                    name: "prod-none",
                    priority: 1,
                    selector: { targetEnvironment: { types: ["PROD"] } },
                    policy: { action: "none" },
                },
            ],
        }),
        expected: [
            'PromotionFlow "f": steps[1].policy: action "none" for product "web" in "prod" has no preAction: set a preAction that performs the promotion, or another action',
        ],
    },
    {
        rule: noneHasPreAction,
        name: "action none with a preAction from another policy",
        defs: (d) => ({
            ...d,
            promotionPolicies: [
                { name: "a", priority: 1, policy: { action: "none" } },
                { name: "b", priority: 2, policy: { preAction: "smoke" } },
            ],
        }),
        expected: [],
    },
    {
        rule: applicationsNameTheirProduct,
        name: "a stand-alone application without a product",
        defs: (d) => ({
            ...d,
            applications: [{ name: "lost", environment: "dev", repoURL: "file:///r.git" }],
        }),
        expected: ['Application "lost": product: no product: annotate it codefresh.io/product: <product>'],
    },
    {
        rule: applicationsResolve,
        name: "a duplicate application; one mapping to no environment is no issue (see the warnings)",
        defs: (d) => ({
            ...d,
            applications: [
                { name: "web-dev", product: "web", environment: "dev", repoURL: "file:///r.git" },
                { name: "web-x", product: "web", repoURL: "file:///r.git", destination: { name: "nowhere" } },
            ],
        }),
        expected: ['Application "web-dev": name: duplicate application "web-dev" in product "web"'],
    },
];

describe("the catalog rules", () => {
    it("hold for the base definitions, every one", () => {
        const { ctx, issues } = catalogContext(base());
        assert.deepStrictEqual(issues, []);
        for (const rule of catalogRules) {
            assert.deepStrictEqual(rule(ctx).map(formatIssue), [], rule.name);
        }
    });

    for (const c of cases) {
        it(`${c.rule.name}: ${c.name}`, () => {
            const { ctx } = catalogContext(c.defs(base()));
            const got = c.rule(ctx).map(formatIssue);
            assert.strictEqual(got.length, c.expected.length, got.join("\n"));
            c.expected.forEach((e, i) =>
                e.startsWith("^") ? assert.match(got[i], new RegExp(e)) : assert.strictEqual(got[i], e),
            );
            assert.ok(
                catalogRules.includes(c.rule),
                `${c.rule.name} is in the list buildCatalog runs, so its issues reach the user`,
            );
            const all = buildCatalog(c.defs(base())).issues.map(formatIssue);
            for (const line of got) {
                assert.ok(all.includes(line), `buildCatalog reports ${line}`);
            }
        });
    }

    it("report with the origin of the entity they name", () => {
        const defs = { ...base(), origins: { "PromotionFlow/f": "flows.yaml:3" } };
        steps(defs)[1].dependsOn = [];
        const { ctx } = catalogContext(defs);
        assert.deepStrictEqual(flowStepsDependOnSomething(ctx)[0].origin, "flows.yaml:3");
    });
});

describe("the rules the engine calls for one product and one flow", () => {
    const manual = { name: "manual", triggerEnvironment: "dev", steps: [{ environment: "prod" }] };
    const web = {
        name: "web",
        applications: [
            { name: "web-dev", environment: "dev" },
            { name: "web-dev-2", environment: "dev" },
        ],
    };

    it("applicationInEveryFlowEnvironment names each environment without an application", () => {
        assert.deepStrictEqual(applicationInEveryFlowEnvironment(web, manual).map(formatIssue), [
            'Product "web": flow "manual" needs an application of product "web" in environment "prod"',
        ]);
        assert.deepStrictEqual(
            applicationInEveryFlowEnvironment(web, manual, { knownEnvironments: new Set(["dev"]) }),
            [],
        );
    });

    it("singleTriggerApplication refuses several sources, not none", () => {
        assert.deepStrictEqual(
            singleTriggerApplication(web, manual, { path: "promotionFlows[0]" }).map(formatIssue),
            [
                'Product "web": promotionFlows[0]: product "web" has several applications in trigger environment "dev" of flow "manual": keep one',
            ],
        );
        assert.deepStrictEqual(singleTriggerApplication({ name: "web", applications: [] }, manual), []);
    });

    it("noneNeedsPreAction reads the resolved policy of each step", () => {
        assert.deepStrictEqual(
            noneNeedsPreAction(web, manual, { prod: { action: "none" } }).map(formatIssue),
            [
                'PromotionFlow "manual": steps[0].policy: action "none" for product "web" in "prod" has no preAction: set a preAction that performs the promotion, or another action',
            ],
        );
        assert.deepStrictEqual(
            noneNeedsPreAction(web, manual, { prod: { action: "none", preAction: "x" } }),
            [],
        );
        assert.deepStrictEqual(noneNeedsPreAction(web, manual, { prod: { action: "commit" } }), []);
        assert.deepStrictEqual(noneNeedsPreAction(web, manual, {}), []);
    });
});
