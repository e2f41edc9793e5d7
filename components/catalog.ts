import type { ApplicationDefinition, ApplicationInput } from "./application";
import { applicationDefinitionSchema } from "./application";
import { parseDuration } from "../model/duration";
import { parseDefinition } from "./definition";
import type { EnvironmentDefinition, EnvironmentInput } from "./environment";
import { environmentDefinitionSchema } from "./environment";
import type { Issue } from "./issues";
import { entityName } from "./issues";
import type { ProductDefinition, ProductInput } from "./product";
import { productDefinitionSchema } from "./product";
import type { PromotionFlowDefinition, PromotionFlowInput } from "./promotionFlow";
import { promotionFlowDefinitionSchema } from "./promotionFlow";
import { findCycle } from "./promotionFlow.graph";
import type { PromotionPolicyDefinition, PromotionPolicyInput } from "./promotionPolicy";
import { promotionPolicyDefinitionSchema } from "./promotionPolicy";
import { resolvePolicy } from "./promotionPolicy.merge";
import type { PromotionTemplateDefinition, PromotionTemplateInput, TemplateBody } from "./promotionTemplate";
import { promotionTemplateDefinitionSchema } from "./promotionTemplate";
import type { PromotionWorkflowDefinition, PromotionWorkflowInput } from "./promotionWorkflow";
import { promotionWorkflowDefinitionSchema } from "./promotionWorkflow";
import { compileJsonPath } from "../model/jsonPath";

/** Everything a user defines, as plain values: what a YAML directory or a TS module gives. */
export interface Definitions {
    readonly environments?: readonly EnvironmentInput[];
    readonly products?: readonly ProductInput[];
    /** Stand-alone applications (Argo CD manifests), each naming its product. */
    readonly applications?: readonly ApplicationInput[];
    readonly promotionTemplates?: readonly PromotionTemplateInput[];
    readonly promotionPolicies?: readonly PromotionPolicyInput[];
    readonly promotionWorkflows?: readonly PromotionWorkflowInput[];
    readonly promotionFlows?: readonly PromotionFlowInput[];
    /** `Kind/name` to `file.yaml:line`, for messages. */
    readonly origins?: Readonly<Record<string, string>>;
}

/** An application with its product and environment resolved. */
export type CatalogApplication = Omit<ApplicationDefinition, "product" | "environment"> & {
    readonly product: string;
    readonly environment: string;
};

export type CatalogProduct = Omit<ProductDefinition, "applications"> & {
    readonly applications: readonly CatalogApplication[];
};

export type CatalogFlow = Omit<PromotionFlowDefinition, "postTrigger" | "promotionTimeoutLimit"> & {
    /** The flow timeout in milliseconds (default 24h). */
    readonly timeoutMs: number;
};

/** The one normalised, validated model every engine command works from. Arrays are sorted by name. */
export interface Catalog {
    readonly environments: readonly EnvironmentDefinition[];
    readonly products: readonly CatalogProduct[];
    readonly promotionTemplates: readonly PromotionTemplateDefinition[];
    readonly promotionPolicies: readonly PromotionPolicyDefinition[];
    readonly promotionWorkflows: readonly PromotionWorkflowDefinition[];
    readonly promotionFlows: readonly CatalogFlow[];
}

export const defaultFlowTimeoutMs = 24 * 3_600_000;

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

class IssueCollector {
    readonly issues: Issue[] = [];
    constructor(private readonly origins: Readonly<Record<string, string>>) {}
    add(kind: string, name: string, path: string, reason: string): void {
        this.issues.push({
            entity: entityName(kind, name),
            path,
            reason,
            origin: this.origins[`${kind}/${name}`],
        });
    }
    origin(kind: string, name: unknown): string | undefined {
        return typeof name === "string" ? this.origins[`${kind}/${name}`] : undefined;
    }
}

/** Names of entities that exist, valid or not, so one bad field does not also make every reference to it fail. */
const declared = (inputs: readonly unknown[] | undefined): Set<string> =>
    new Set(
        (inputs ?? [])
            .map((i) => (i as { name?: unknown })?.name)
            .filter((n): n is string => typeof n === "string"),
    );

function parseAll<T extends { name: string }>(
    kind: string,
    schema: Parameters<typeof parseDefinition>[1],
    inputs: readonly unknown[] | undefined,
    out: IssueCollector,
): T[] {
    const parsed: T[] = [];
    const seen = new Set<string>();
    for (const input of inputs ?? []) {
        const origin = out.origin(kind, (input as { name?: unknown })?.name);
        const { value, issues } = parseDefinition(kind, schema, input, origin);
        out.issues.push(...issues);
        if (value === undefined) {
            continue;
        }
        const v = value as T;
        if (seen.has(v.name)) {
            out.add(kind, v.name, "name", `duplicate ${kind} name: each ${kind} needs its own name`);
            continue;
        }
        seen.add(v.name);
        parsed.push(v);
    }
    return parsed.sort(byName);
}

function checkJsonPaths(
    body: TemplateBody,
    kind: string,
    name: string,
    prefix: string,
    out: IssueCollector,
): void {
    const check = (path: string, field: string) => {
        try {
            compileJsonPath(path);
        } catch (e) {
            out.add(kind, name, `${prefix}${field}`, (e as Error).message);
        }
    };
    if (body.versionSource) {
        check(body.versionSource.jsonPath, "versionSource.jsonPath");
    }
    if (body.promotion !== undefined) {
        const files = Object.entries(body.promotion);
        if (files.length === 0) {
            out.add(
                kind,
                name,
                `${prefix}promotion`,
                "no promotable paths: omit promotion to promote every file, or list files with jsonPaths",
            );
        }
        for (const [file, spec] of files) {
            spec.jsonPaths.forEach((p, i) => check(p, `promotion["${file}"].jsonPaths[${i}]`));
            (spec.excludeJsonPaths ?? []).forEach((p, i) =>
                check(p, `promotion["${file}"].excludeJsonPaths[${i}]`),
            );
        }
    }
}

function environmentOf(
    app: ApplicationDefinition,
    environments: readonly EnvironmentDefinition[],
    declaredEnvironments: ReadonlySet<string>,
): { env?: string; reason?: string } {
    if (app.environment) {
        return declaredEnvironments.has(app.environment)
            ? { env: app.environment }
            : { reason: `unknown environment "${app.environment}": define it as an Environment` };
    }
    const dest = app.destination;
    const matches = environments.filter((e) =>
        e.clusters.some(
            (c) =>
                (c.name === dest?.name || c.name === dest?.server) &&
                (c.namespaces.length === 0 || c.namespaces.includes(dest?.namespace ?? "")),
        ),
    );
    if (matches.length === 1) {
        return { env: matches[0].name };
    }
    return {
        reason:
            matches.length > 1
                ? `its destination maps to several environments (${matches.map((m) => m.name).join(", ")}): annotate it promotions/environment`
                : "no environment: set environment (YAML: annotation promotions/environment) or map its destination cluster/namespace in an Environment",
    };
}

/**
 * Normalises and validates the definitions as a whole. Returns the catalog and every problem found; callers
 * refuse to act on a catalog with issues.
 */
export function buildCatalog(defs: Definitions): { catalog: Catalog; issues: Issue[] } {
    const out = new IssueCollector(defs.origins ?? {});
    const environments = parseAll<EnvironmentDefinition>(
        "Environment",
        environmentDefinitionSchema,
        defs.environments,
        out,
    );
    const templates = parseAll<PromotionTemplateDefinition>(
        "PromotionTemplate",
        promotionTemplateDefinitionSchema,
        defs.promotionTemplates,
        out,
    );
    const policies = parseAll<PromotionPolicyDefinition>(
        "PromotionPolicy",
        promotionPolicyDefinitionSchema,
        defs.promotionPolicies,
        out,
    );
    const workflows = parseAll<PromotionWorkflowDefinition>(
        "PromotionWorkflow",
        promotionWorkflowDefinitionSchema,
        defs.promotionWorkflows,
        out,
    );
    const flowDefs = parseAll<PromotionFlowDefinition>(
        "PromotionFlow",
        promotionFlowDefinitionSchema,
        defs.promotionFlows,
        out,
    );
    const productDefs = parseAll<ProductDefinition>("Product", productDefinitionSchema, defs.products, out);
    const standalone = (defs.applications ?? [])
        .map((a) => {
            const origin = out.origin("Application", (a as { name?: unknown }).name);
            const { value, issues } = parseDefinition("Application", applicationDefinitionSchema, a, origin);
            out.issues.push(...issues);
            return value as ApplicationDefinition | undefined;
        })
        .filter((a): a is ApplicationDefinition => a !== undefined);

    const envNames = declared(defs.environments);
    const workflowNames = declared(defs.promotionWorkflows);
    const checkWorkflow = (kind: string, name: string, path: string, wf: string | undefined) => {
        if (wf !== undefined && !workflowNames.has(wf)) {
            out.add(
                kind,
                name,
                path,
                `unknown workflow "${wf}": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)`,
            );
        }
    };

    // Templates
    for (const t of templates) {
        checkJsonPaths(t, "PromotionTemplate", t.name, "", out);
    }

    // Policies
    for (const p of policies) {
        checkWorkflow("PromotionPolicy", p.name, "policy.preAction", p.policy.preAction);
        checkWorkflow("PromotionPolicy", p.name, "policy.postAction", p.policy.postAction);
        (p.selector.targetEnvironment?.names ?? []).forEach((n, i) => {
            if (!envNames.has(n)) {
                out.add(
                    "PromotionPolicy",
                    p.name,
                    `selector.targetEnvironment.names[${i}]`,
                    `unknown environment "${n}"`,
                );
            }
        });
    }

    // Flows
    const flows: CatalogFlow[] = [];
    for (const f of flowDefs) {
        const kind = "PromotionFlow";
        if (!envNames.has(f.triggerEnvironment)) {
            out.add(kind, f.name, "triggerEnvironment", `unknown environment "${f.triggerEnvironment}"`);
        }
        const inFlow = new Set([f.triggerEnvironment, ...f.steps.map((s) => s.environment)]);
        const stepEnvs = new Set<string>();
        f.steps.forEach((s, i) => {
            if (!envNames.has(s.environment)) {
                out.add(kind, f.name, `steps[${i}].environment`, `unknown environment "${s.environment}"`);
            }
            if (s.environment === f.triggerEnvironment) {
                out.add(
                    kind,
                    f.name,
                    `steps[${i}].environment`,
                    `"${s.environment}" is the trigger environment: it cannot also be a step`,
                );
            }
            if (stepEnvs.has(s.environment)) {
                out.add(
                    kind,
                    f.name,
                    `steps[${i}].environment`,
                    `"${s.environment}" is listed twice: one step per environment`,
                );
            }
            stepEnvs.add(s.environment);
            if (s.dependsOn.length === 0) {
                out.add(
                    kind,
                    f.name,
                    `steps[${i}].dependsOn`,
                    `list at least one environment (e.g. the trigger environment "${f.triggerEnvironment}")`,
                );
            }
            s.dependsOn.forEach((d, j) => {
                if (!inFlow.has(d)) {
                    out.add(
                        kind,
                        f.name,
                        `steps[${i}].dependsOn[${j}]`,
                        envNames.has(d)
                            ? `"${d}" is not in this flow: add a step for it or depend on the trigger environment "${f.triggerEnvironment}"`
                            : `unknown environment "${d}"`,
                    );
                }
            });
            checkWorkflow(kind, f.name, `steps[${i}].policy.preAction`, s.policy?.preAction);
            checkWorkflow(kind, f.name, `steps[${i}].policy.postAction`, s.policy?.postAction);
            for (const h of ["onStart", "onSuccess", "onFail"] as const) {
                checkWorkflow(kind, f.name, `steps[${i}].hooks.${h}`, s.hooks?.[h]);
            }
        });
        const deps: Record<string, string[]> = {};
        f.steps.forEach((s) => (deps[s.environment] = s.dependsOn.filter((d) => inFlow.has(d))));
        const cycle = findCycle(deps);
        if (cycle) {
            out.add(
                kind,
                f.name,
                "steps",
                `dependency cycle ${cycle.join(" -> ")}: every environment must be reachable from "${f.triggerEnvironment}"`,
            );
        }
        for (const h of ["onStart", "onSuccess", "onFail"] as const) {
            checkWorkflow(kind, f.name, `hooks.${h}`, f.hooks?.[h]);
        }
        if (f.triggerWorkflow && f.postTrigger && f.triggerWorkflow !== f.postTrigger) {
            out.add(
                kind,
                f.name,
                "postTrigger",
                "postTrigger is the deprecated alias of triggerWorkflow and they differ: keep triggerWorkflow only",
            );
        }
        const triggerWorkflow = f.triggerWorkflow ?? f.postTrigger;
        checkWorkflow(kind, f.name, f.triggerWorkflow ? "triggerWorkflow" : "postTrigger", triggerWorkflow);
        const { postTrigger: _alias, promotionTimeoutLimit, ...rest } = f;
        flows.push({
            ...rest,
            ...(triggerWorkflow ? { triggerWorkflow } : {}),
            timeoutMs:
                promotionTimeoutLimit === undefined
                    ? defaultFlowTimeoutMs
                    : (parseDuration(promotionTimeoutLimit) ?? defaultFlowTimeoutMs),
        });
    }
    const flowByName = new Map(flows.map((f) => [f.name, f]));

    // Products, with their applications from both places; an application naming an undefined product
    // creates it, as Codefresh does.
    const productByName = new Map(productDefs.map((p) => [p.name, p]));
    for (const a of standalone) {
        if (a.product && !productByName.has(a.product)) {
            const created = productDefinitionSchema.parse({ name: a.product });
            productByName.set(a.product, created);
        }
        if (!a.product) {
            out.add(
                "Application",
                a.name,
                "product",
                "no product: annotate it codefresh.io/product: <product>",
            );
        }
    }
    const products: CatalogProduct[] = [];
    for (const p of [...productByName.values()].sort(byName)) {
        const kind = "Product";
        const apps: CatalogApplication[] = [];
        const seenApps = new Set<string>();
        const allApps: [ApplicationDefinition, string][] = [
            ...p.applications.map((a, i): [ApplicationDefinition, string] => [
                { ...a, product: p.name },
                `applications[${i}]`,
            ]),
            ...standalone
                .filter((a) => a.product === p.name)
                .map((a): [ApplicationDefinition, string] => [a, ""]),
        ];
        for (const [a, path] of allApps) {
            const { env, reason } = environmentOf(a, environments, envNames);
            const report = (field: string, why: string) =>
                path
                    ? out.add(kind, p.name, `${path}.${field}`, why)
                    : out.add("Application", a.name, field, why);
            if (seenApps.has(a.name)) {
                report("name", `duplicate application "${a.name}" in product "${p.name}"`);
                continue;
            }
            seenApps.add(a.name);
            if (!env) {
                report("environment", reason ?? "no environment");
                continue;
            }
            const { destination, ...restApp } = a;
            apps.push({
                ...restApp,
                ...(destination ? { destination } : {}),
                product: p.name,
                environment: env,
            });
        }
        apps.sort(byName);

        if (p.promotionTemplateRef && !declared(defs.promotionTemplates).has(p.promotionTemplateRef)) {
            out.add(
                kind,
                p.name,
                "promotionTemplateRef",
                `unknown PromotionTemplate "${p.promotionTemplateRef}"`,
            );
        }
        if (p.promotionTemplate) {
            checkJsonPaths(p.promotionTemplate, kind, p.name, "promotionTemplate.", out);
        }
        p.promotionFlows.forEach((pf, i) => {
            const flow = flowByName.get(pf.name);
            if (!flow) {
                if (!declared(defs.promotionFlows).has(pf.name)) {
                    out.add(kind, p.name, `promotionFlows[${i}].name`, `unknown PromotionFlow "${pf.name}"`);
                }
                return;
            }
            for (const env of [flow.triggerEnvironment, ...flow.steps.map((s) => s.environment)]) {
                if (envNames.has(env) && !apps.some((a) => a.environment === env)) {
                    out.add(
                        kind,
                        p.name,
                        `promotionFlows[${i}]`,
                        `flow "${flow.name}" needs an application of product "${p.name}" in environment "${env}"`,
                    );
                }
            }
            if (apps.filter((a) => a.environment === flow.triggerEnvironment).length > 1) {
                out.add(
                    kind,
                    p.name,
                    `promotionFlows[${i}]`,
                    `product "${p.name}" has several applications in trigger environment "${flow.triggerEnvironment}" of flow "${flow.name}": keep one`,
                );
            }
            flow.steps.forEach((s, j) => {
                const environment = environments.find((e) => e.name === s.environment);
                if (!environment) {
                    return;
                }
                const resolved = resolvePolicy(policies, { product: p, environment }, s.policy);
                if (resolved.action === "none" && !resolved.preAction) {
                    out.add(
                        "PromotionFlow",
                        flow.name,
                        `steps[${j}].policy`,
                        `action "none" for product "${p.name}" in "${s.environment}" has no preAction: set a preAction that performs the promotion, or another action`,
                    );
                }
            });
        });
        const { applications: _a, ...restProduct } = p;
        products.push({ ...restProduct, applications: apps });
    }

    return {
        catalog: {
            environments,
            products,
            promotionTemplates: templates,
            promotionPolicies: policies,
            promotionWorkflows: workflows,
            promotionFlows: flows.sort(byName),
        },
        issues: out.issues,
    };
}
