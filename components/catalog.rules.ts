import type { ApplicationDefinition } from "./application";
import type { CatalogApplication, Definitions } from "./catalog.types";
import { defaultApplicationNamespace, defaultFlowTimeoutMs } from "./defaults";
import type { EnvironmentDefinition } from "./environment";
import type { Issue } from "./issues";
import { entityName } from "./issues";
import type { ProductDefinition } from "./product";
import type { PromotionFlowDefinition } from "./promotionFlow";
import { findCycle } from "./promotionFlow.graph";
import type { PromotionNotificationDefinition } from "./promotionNotification";
import type { PromotionPolicyDefinition } from "./promotionPolicy";
import type { ResolvedPolicy } from "./promotionPolicy.merge";
import { resolvePolicy } from "./promotionPolicy.merge";
import type { PromotionTemplateDefinition, TemplateBody } from "./promotionTemplate";
import type { PromotionPermissionDefinition } from "./promotionPermission";
import type { PromotionWindowDefinition } from "./promotionWindow";
import type { PromotionWorkflowDefinition } from "./promotionWorkflow";
import { compileJsonPath } from "../model/jsonPath";
import { formatDuration, parseDuration } from "../model/duration";

/**
 * The rules the definitions must keep as a whole (each entity's own fields are checked by its schema). Each
 * rule is a pure function of the parsed definitions returning its issues; `buildCatalog` runs them all.
 */
export type CatalogRule = (ctx: CatalogContext) => Issue[];

/** The parsed definitions every rule reads. Entities that failed their schema are absent from the lists. */
export interface CatalogContext {
    readonly environments: readonly EnvironmentDefinition[];
    readonly templates: readonly PromotionTemplateDefinition[];
    readonly policies: readonly PromotionPolicyDefinition[];
    readonly workflows: readonly PromotionWorkflowDefinition[];
    readonly flows: readonly PromotionFlowDefinition[];
    /** PromotionWindows (absent: none). */
    readonly windows?: readonly PromotionWindowDefinition[];
    /** PromotionPermissions (absent: none). */
    readonly permissions?: readonly PromotionPermissionDefinition[];
    /** PromotionNotifications (absent: none). */
    readonly notifications?: readonly PromotionNotificationDefinition[];
    /** Products as defined, plus those created by an application naming an undefined product (sorted). */
    readonly products: readonly ProductDefinition[];
    /** Stand-alone applications (YAML: Argo CD Applications), each naming its product. */
    readonly applications: readonly ApplicationDefinition[];
    /**
     * Names of the entities that exist, valid or not, so one bad field does not also make every reference to
     * the entity fail.
     */
    readonly declared: {
        readonly environments: ReadonlySet<string>;
        readonly workflows: ReadonlySet<string>;
        readonly templates: ReadonlySet<string>;
        readonly flows: ReadonlySet<string>;
    };
    /**
     * Products with a stand-alone application that did not parse: where it belongs is unknown, so the rule
     * that wants an application in every flow environment leaves them alone.
     */
    readonly productsWithInvalidApplications: ReadonlySet<string>;
    /** `Kind/name` to `file.yaml:line`. */
    readonly origins: Readonly<Record<string, string>>;
    /** The namespace of an application without one (see CatalogOptions; absent: `argocd`). */
    readonly applicationNamespace?: string;
}

/** The names in a list of raw inputs, valid or not. */
export function declaredNames(inputs: Definitions[keyof Definitions] | undefined): Set<string> {
    return new Set(
        (Array.isArray(inputs) ? (inputs as unknown[]) : [])
            .map((i) => (i as { name?: unknown } | null)?.name)
            .filter((n): n is string => typeof n === "string"),
    );
}

function issue(
    ctx: CatalogContext | undefined,
    kind: string,
    name: string,
    path: string,
    reason: string,
): Issue {
    const origin = ctx?.origins[`${kind}/${name}`];
    return { entity: entityName(kind, name), path, reason, ...(origin !== undefined ? { origin } : {}) };
}

const hookNames = ["onStart", "onSuccess", "onFail"] as const;

function unknownWorkflow(
    ctx: CatalogContext,
    kind: string,
    name: string,
    path: string,
    workflow: string | undefined,
): Issue[] {
    return workflow === undefined || ctx.declared.workflows.has(workflow)
        ? []
        : [
              issue(
                  ctx,
                  kind,
                  name,
                  path,
                  `unknown workflow "${workflow}": define it as a PromotionWorkflow (or an Argo WorkflowTemplate annotated codefresh.io/workflow-origin: promotion)`,
              ),
          ];
}

// ---- Rules usable on one product and one flow (the engine calls them for flows run by hand) ----

/** What the product rules read of a flow: a catalog flow, a flow definition, or the engine's manual flow. */
export interface FlowShape {
    readonly name: string;
    readonly triggerEnvironment: string;
    readonly steps: readonly { readonly environment: string }[];
}

/** What the product rules read of a product: its name and its applications' environments. */
export interface ProductShape {
    readonly name: string;
    readonly applications: readonly { readonly name: string; readonly environment: string }[];
}

/**
 * A flow needs an application of the product in its trigger environment and in every step's environment.
 * `path` is where the product names the flow (`promotionFlows[0]`); environments outside
 * `knownEnvironments` (when given) are left to the rules on undefined environments.
 */
export function applicationInEveryFlowEnvironment(
    product: ProductShape,
    flow: FlowShape,
    opts: {
        readonly path?: string;
        readonly knownEnvironments?: ReadonlySet<string>;
        /** The product's applications that map to no Environment: named, as one of them may be the one meant. */
        readonly unplaced?: readonly string[];
    } = {},
): Issue[] {
    const hint =
        opts.unplaced && opts.unplaced.length > 0
            ? ` (${opts.unplaced.map((n) => `"${n}"`).join(", ")} map${opts.unplaced.length === 1 ? "s" : ""} to no Environment: annotate promotions/environment, or map the destination in an Environment)`
            : "";
    return [flow.triggerEnvironment, ...flow.steps.map((s) => s.environment)]
        .filter((env) => opts.knownEnvironments === undefined || opts.knownEnvironments.has(env))
        .filter((env) => !product.applications.some((a) => a.environment === env))
        .map((env) =>
            issue(
                undefined,
                "Product",
                product.name,
                opts.path ?? "",
                `flow "${flow.name}" needs an application of product "${product.name}" in environment "${env}"${hint}`,
            ),
        );
}

/**
 * The release's source is the one application in the trigger environment: several are refused (none is
 * {@link applicationInEveryFlowEnvironment}'s issue).
 */
export function singleTriggerApplication(
    product: ProductShape,
    flow: FlowShape,
    opts: { readonly path?: string } = {},
): Issue[] {
    const sources = product.applications.filter((a) => a.environment === flow.triggerEnvironment);
    return sources.length > 1
        ? [
              issue(
                  undefined,
                  "Product",
                  product.name,
                  opts.path ?? "",
                  `product "${product.name}" has several applications in trigger environment "${flow.triggerEnvironment}" of flow "${flow.name}": keep one`,
              ),
          ]
        : [];
}

/**
 * Action `none` changes nothing itself, so the resolved policy needs a preAction that promotes. `policies`
 * maps each step's environment to its resolved policy; steps without one are skipped.
 */
export function noneNeedsPreAction(
    product: ProductShape,
    flow: FlowShape,
    policies: Readonly<Record<string, Pick<ResolvedPolicy, "action" | "preAction">>>,
): Issue[] {
    return flow.steps.flatMap((s, j) => {
        const resolved = Object.prototype.hasOwnProperty.call(policies, s.environment)
            ? policies[s.environment]
            : undefined;
        return resolved?.action === "none" && !resolved.preAction
            ? [
                  issue(
                      undefined,
                      "PromotionFlow",
                      flow.name,
                      `steps[${j}].policy`,
                      `action "none" for product "${product.name}" in "${s.environment}" has no preAction: set a preAction that performs the promotion, or another action`,
                  ),
              ]
            : [];
    });
}

// ---- Applications ----

/** Where an application belongs: its `environment`, or the one Environment whose clusters hold its destination. */
export function environmentOf(
    app: ApplicationDefinition,
    environments: readonly EnvironmentDefinition[],
    declaredEnvironments: ReadonlySet<string>,
): { env?: string; reason?: string; unplaced?: true } {
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
    return matches.length > 1
        ? {
              reason: `its destination maps to several environments (${matches.map((m) => m.name).join(", ")}): annotate it promotions/environment`,
          }
        : {
              reason: "no environment: set environment (YAML: annotation promotions/environment) or map its destination cluster/namespace in an Environment",
              unplaced: true,
          };
}

/**
 * A product's applications, from the product itself and from stand-alone applications naming it, with their
 * environments resolved. Those whose destination maps to no Environment are `unplaced` (a warning: Codefresh
 * lets applications live outside every environment, and only a flow that needs one refuses); the others that
 * cannot be placed (a duplicate name, an unknown or ambiguous environment) are issues.
 */
export function productApplications(ctx: CatalogContext, product: ProductDefinition): ProductApplications {
    let byProduct = resolvedApplications.get(ctx);
    if (!byProduct) {
        byProduct = new WeakMap();
        resolvedApplications.set(ctx, byProduct);
    }
    let resolved = byProduct.get(product);
    if (!resolved) {
        resolved = resolveApplications(ctx, product);
        byProduct.set(product, resolved);
    }
    return resolved;
}

type ProductApplications = {
    readonly apps: CatalogApplication[];
    readonly issues: Issue[];
    readonly unplaced: { application: string; warning: Issue }[];
};

/**
 * Each product's applications, resolved once per context: a dozen rules ask for them, and with 2,000
 * applications resolving them again for each took a fifth of a catalog's checking.
 */
const resolvedApplications = new WeakMap<CatalogContext, WeakMap<ProductDefinition, ProductApplications>>();

function resolveApplications(ctx: CatalogContext, product: ProductDefinition): ProductApplications {
    const apps: CatalogApplication[] = [];
    const issues: Issue[] = [];
    const unplaced: { application: string; warning: Issue }[] = [];
    const seen = new Set<string>();
    const all: [ApplicationDefinition, string][] = [
        ...product.applications.map((a, i): [ApplicationDefinition, string] => [
            { ...a, product: product.name },
            `applications[${i}]`,
        ]),
        ...ctx.applications
            .filter((a) => a.product === product.name)
            .map((a): [ApplicationDefinition, string] => [a, ""]),
    ];
    for (const [a, path] of all) {
        const report = (field: string, why: string) =>
            issues.push(
                path
                    ? issue(ctx, "Product", product.name, `${path}.${field}`, why)
                    : issue(ctx, "Application", a.name, field, why),
            );
        if (seen.has(a.name)) {
            report("name", `duplicate application "${a.name}" in product "${product.name}"`);
            continue;
        }
        seen.add(a.name);
        const placed = environmentOf(a, ctx.environments, ctx.declared.environments);
        const env = placed.env;
        if (!env && placed.unplaced) {
            const dest = a.destination;
            const where = dest
                ? ` (destination ${dest.name ?? dest.server ?? "?"}/${dest.namespace ?? ""})`
                : "";
            const at = path ? issue(ctx, "Product", product.name, `${path}.environment`, "") : undefined;
            unplaced.push({
                application: a.name,
                warning: {
                    ...(at ?? issue(ctx, "Application", a.name, "environment", "")),
                    reason: `maps to no Environment${where}: no release of product "${product.name}" includes it; annotate promotions/environment or map its destination in an Environment to include it`,
                },
            });
            continue;
        }
        if (!env) {
            report("environment", placed.reason ?? "no environment");
            continue;
        }
        const { destination, namespace, ...rest } = a;
        apps.push({
            ...rest,
            namespace: namespace ?? ctx.applicationNamespace ?? defaultApplicationNamespace,
            ...(destination ? { destination } : {}),
            product: product.name,
            environment: env,
        });
    }
    return {
        apps: apps.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
        issues,
        unplaced,
    };
}

export const applicationsNameTheirProduct: CatalogRule = (ctx) =>
    ctx.applications
        .filter((a) => !a.product)
        .map((a) =>
            issue(
                ctx,
                "Application",
                a.name,
                "product",
                "no product: annotate it codefresh.io/product: <product>",
            ),
        );

export const applicationsResolve: CatalogRule = (ctx) =>
    ctx.products.flatMap((p) => productApplications(ctx, p).issues);

// ---- Templates ----

/** Every template body: the PromotionTemplates and the products' inline templates. */
function templateBodies(
    ctx: CatalogContext,
): { kind: string; name: string; prefix: string; body: TemplateBody }[] {
    return [
        ...ctx.templates.map((t) => ({
            kind: "PromotionTemplate",
            name: t.name,
            prefix: "",
            body: t as TemplateBody,
        })),
        ...ctx.products
            .filter((p) => p.promotionTemplate !== undefined)
            .map((p) => ({
                kind: "Product",
                name: p.name,
                prefix: "promotionTemplate.",
                body: p.promotionTemplate as TemplateBody,
            })),
    ];
}

export const templatesPromoteSomething: CatalogRule = (ctx) =>
    templateBodies(ctx)
        .filter(({ body }) => body.promotion !== undefined && Object.keys(body.promotion).length === 0)
        .map(({ kind, name, prefix }) =>
            issue(
                ctx,
                kind,
                name,
                `${prefix}promotion`,
                "no promotable paths: omit promotion to promote every file, or list files with jsonPaths",
            ),
        );

export const templateJsonPathsCompile: CatalogRule = (ctx) =>
    templateBodies(ctx).flatMap(({ kind, name, prefix, body }) => {
        const paths: [string, string][] = [];
        if (body.versionSource) {
            paths.push([body.versionSource.jsonPath, "versionSource.jsonPath"]);
        }
        for (const [file, spec] of Object.entries(body.promotion ?? {})) {
            spec.jsonPaths.forEach((p, i) => paths.push([p, `promotion["${file}"].jsonPaths[${i}]`]));
            (spec.excludeJsonPaths ?? []).forEach((p, i) =>
                paths.push([p, `promotion["${file}"].excludeJsonPaths[${i}]`]),
            );
        }
        return paths.flatMap(([p, field]) => {
            try {
                compileJsonPath(p);
                return [];
            } catch (e) {
                return [issue(ctx, kind, name, `${prefix}${field}`, (e as Error).message)];
            }
        });
    });

// ---- Policies ----

export const policyWorkflowsExist: CatalogRule = (ctx) =>
    ctx.policies.flatMap((p) => [
        ...unknownWorkflow(ctx, "PromotionPolicy", p.name, "policy.preAction", p.policy.preAction),
        ...unknownWorkflow(ctx, "PromotionPolicy", p.name, "policy.postAction", p.policy.postAction),
    ]);

export const policyEnvironmentsExist: CatalogRule = (ctx) =>
    ctx.policies.flatMap((p) =>
        (p.selector.targetEnvironment?.names ?? []).flatMap((n, i) =>
            ctx.declared.environments.has(n)
                ? []
                : [
                      issue(
                          ctx,
                          "PromotionPolicy",
                          p.name,
                          `selector.targetEnvironment.names[${i}]`,
                          `unknown environment "${n}"`,
                      ),
                  ],
        ),
    );

// ---- Flows ----

const flowIssue = (ctx: CatalogContext, f: PromotionFlowDefinition, path: string, reason: string) =>
    issue(ctx, "PromotionFlow", f.name, path, reason);

const flowEnvironments = (f: PromotionFlowDefinition) =>
    new Set([f.triggerEnvironment, ...f.steps.map((s) => s.environment)]);

export const flowTriggerEnvironmentExists: CatalogRule = (ctx) =>
    ctx.flows
        .filter((f) => !ctx.declared.environments.has(f.triggerEnvironment))
        .map((f) => flowIssue(ctx, f, "triggerEnvironment", `unknown environment "${f.triggerEnvironment}"`));

export const flowStepsExist: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) =>
        f.steps.flatMap((s, i) =>
            ctx.declared.environments.has(s.environment)
                ? []
                : [flowIssue(ctx, f, `steps[${i}].environment`, `unknown environment "${s.environment}"`)],
        ),
    );

export const flowStepsAreNotTheTrigger: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) =>
        f.steps.flatMap((s, i) =>
            s.environment === f.triggerEnvironment
                ? [
                      flowIssue(
                          ctx,
                          f,
                          `steps[${i}].environment`,
                          `"${s.environment}" is the trigger environment: it cannot also be a step`,
                      ),
                  ]
                : [],
        ),
    );

export const flowStepsUnique: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) =>
        f.steps.flatMap((s, i) =>
            f.steps.findIndex((o) => o.environment === s.environment) < i
                ? [
                      flowIssue(
                          ctx,
                          f,
                          `steps[${i}].environment`,
                          `"${s.environment}" is listed twice: one step per environment`,
                      ),
                  ]
                : [],
        ),
    );

export const flowStepsDependOnSomething: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) =>
        f.steps.flatMap((s, i) =>
            s.dependsOn.length === 0
                ? [
                      flowIssue(
                          ctx,
                          f,
                          `steps[${i}].dependsOn`,
                          `list at least one environment (e.g. the trigger environment "${f.triggerEnvironment}")`,
                      ),
                  ]
                : [],
        ),
    );

export const flowDependenciesInFlow: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) => {
        const inFlow = flowEnvironments(f);
        return f.steps.flatMap((s, i) =>
            s.dependsOn.flatMap((d, j) =>
                inFlow.has(d)
                    ? []
                    : [
                          flowIssue(
                              ctx,
                              f,
                              `steps[${i}].dependsOn[${j}]`,
                              ctx.declared.environments.has(d)
                                  ? `"${d}" is not in this flow: add a step for it or depend on the trigger environment "${f.triggerEnvironment}"`
                                  : `unknown environment "${d}"`,
                          ),
                      ],
            ),
        );
    });

export const noCycles: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) => {
        const inFlow = flowEnvironments(f);
        const deps: Record<string, string[]> = {};
        f.steps.forEach((s) => (deps[s.environment] = s.dependsOn.filter((d) => inFlow.has(d))));
        const cycle = findCycle(deps);
        return cycle
            ? [
                  flowIssue(
                      ctx,
                      f,
                      "steps",
                      `dependency cycle ${cycle.join(" -> ")}: every environment must be reachable from "${f.triggerEnvironment}"`,
                  ),
              ]
            : [];
    });

export const flowWorkflowsExist: CatalogRule = (ctx) =>
    ctx.flows.flatMap((f) => {
        const check = (path: string, wf: string | undefined) =>
            unknownWorkflow(ctx, "PromotionFlow", f.name, path, wf);
        return [
            ...f.steps.flatMap((s, i) => [
                ...check(`steps[${i}].policy.preAction`, s.policy?.preAction),
                ...check(`steps[${i}].policy.postAction`, s.policy?.postAction),
                ...hookNames.flatMap((h) => check(`steps[${i}].hooks.${h}`, s.hooks?.[h])),
            ]),
            ...hookNames.flatMap((h) => check(`hooks.${h}`, f.hooks?.[h])),
            ...check(
                f.triggerWorkflow ? "triggerWorkflow" : "postTrigger",
                f.triggerWorkflow ?? f.postTrigger,
            ),
        ];
    });

export const triggerWorkflowAliasAgrees: CatalogRule = (ctx) =>
    ctx.flows
        .filter((f) => f.triggerWorkflow && f.postTrigger && f.triggerWorkflow !== f.postTrigger)
        .map((f) =>
            flowIssue(
                ctx,
                f,
                "postTrigger",
                "postTrigger is the deprecated alias of triggerWorkflow and they differ: keep triggerWorkflow only",
            ),
        );

// ---- Products ----

export const productTemplateRefExists: CatalogRule = (ctx) =>
    ctx.products
        .filter((p) => p.promotionTemplateRef && !ctx.declared.templates.has(p.promotionTemplateRef))
        .map((p) =>
            issue(
                ctx,
                "Product",
                p.name,
                "promotionTemplateRef",
                `unknown PromotionTemplate "${p.promotionTemplateRef}"`,
            ),
        );

export const productFlowsExist: CatalogRule = (ctx) =>
    ctx.products.flatMap((p) =>
        p.promotionFlows.flatMap((pf, i) =>
            ctx.declared.flows.has(pf.name)
                ? []
                : [
                      issue(
                          ctx,
                          "Product",
                          p.name,
                          `promotionFlows[${i}].name`,
                          `unknown PromotionFlow "${pf.name}"`,
                      ),
                  ],
        ),
    );

/** Each (product, flow it names, index) with the product's resolved applications, for the rules below. */
function productFlows(
    ctx: CatalogContext,
): { product: ProductDefinition; apps: ProductShape; flow: PromotionFlowDefinition; path: string }[] {
    return ctx.products.flatMap((product) => {
        const apps: ProductShape = {
            name: product.name,
            applications: productApplications(ctx, product).apps,
        };
        return product.promotionFlows.flatMap((pf, i) => {
            const flow = ctx.flows.find((f) => f.name === pf.name);
            return flow ? [{ product, apps, flow, path: `promotionFlows[${i}]` }] : [];
        });
    });
}

/** Issues of the exported single-product rules, with the origin of the entity they name. */
const located = (ctx: CatalogContext, kind: string, name: string, issues: Issue[]): Issue[] => {
    const origin = ctx.origins[`${kind}/${name}`];
    return origin === undefined ? issues : issues.map((i) => ({ ...i, origin }));
};

export const productFlowsHaveApplications: CatalogRule = (ctx) =>
    productFlows(ctx)
        .filter(({ product }) => !ctx.productsWithInvalidApplications.has(product.name))
        .flatMap(({ apps, flow, path }) =>
            located(
                ctx,
                "Product",
                apps.name,
                applicationInEveryFlowEnvironment(apps, flow, {
                    path,
                    knownEnvironments: ctx.declared.environments,
                    unplaced: unplacedNames(ctx, apps.name),
                }),
            ),
        );

/** The names of a product's applications that map to no Environment. */
function unplacedNames(ctx: CatalogContext, product: string): string[] {
    const p = ctx.products.find((x) => x.name === product);
    return p ? productApplications(ctx, p).unplaced.map((u) => u.application) : [];
}

export const productFlowsHaveOneTriggerApplication: CatalogRule = (ctx) =>
    productFlows(ctx).flatMap(({ apps, flow, path }) =>
        located(ctx, "Product", apps.name, singleTriggerApplication(apps, flow, { path })),
    );

export const noneHasPreAction: CatalogRule = (ctx) =>
    productFlows(ctx).flatMap(({ product, apps, flow }) => {
        const policies: Record<string, ResolvedPolicy> = {};
        for (const s of flow.steps) {
            const environment = ctx.environments.find((e) => e.name === s.environment);
            if (environment) {
                policies[s.environment] = resolvePolicy(ctx.policies, { product, environment }, s.policy);
            }
        }
        return located(ctx, "PromotionFlow", flow.name, noneNeedsPreAction(apps, flow, policies));
    });

/**
 * Soak times add up along a chain of the flow (each environment waits after the one before it): a chain whose
 * soak times reach the flow's promotionTimeoutLimit can never finish. Named with both values.
 */
export const soakFitsTimeout: CatalogRule = (ctx) =>
    productFlows(ctx).flatMap(({ product, flow }) => {
        const limitMs =
            (flow.promotionTimeoutLimit !== undefined
                ? parseDuration(flow.promotionTimeoutLimit)
                : undefined) ?? defaultFlowTimeoutMs;
        const soak: Record<string, number> = {};
        for (const s of flow.steps) {
            const environment = ctx.environments.find((e) => e.name === s.environment);
            const t = environment
                ? resolvePolicy(ctx.policies, { product, environment }, s.policy).soakTime
                : undefined;
            soak[s.environment] = t !== undefined ? (parseDuration(t) ?? 0) : 0;
        }
        // The longest soak total of any chain ending at each step (cycles are reported by noCycles).
        const memo = new Map<string, number>();
        const total = (env: string, seen: Set<string>): number => {
            if (memo.has(env)) {
                return memo.get(env)!;
            }
            if (seen.has(env)) {
                return 0;
            }
            const step = flow.steps.find((x) => x.environment === env);
            const before = (step?.dependsOn ?? []).map((d) => total(d, new Set([...seen, env])));
            const t = (soak[env] ?? 0) + Math.max(0, ...before);
            memo.set(env, t);
            return t;
        };
        const worst = flow.steps
            .map((s) => ({ env: s.environment, ms: total(s.environment, new Set()) }))
            .sort((a, b) => b.ms - a.ms)[0];
        if (!worst || worst.ms === 0 || worst.ms < limitMs) {
            return [];
        }
        return [
            issue(
                ctx,
                "PromotionFlow",
                flow.name,
                "promotionTimeoutLimit",
                `soak times up to "${worst.env}" add up to ${formatDuration(worst.ms)} for product "${product.name}", at least the flow's promotionTimeoutLimit of ${formatDuration(limitMs)}: the release would always time out; raise promotionTimeoutLimit or shorten soakTime`,
            ),
        ];
    });

// ---- Permissions ----

/**
 * A PromotionPermission naming an environment, product or flow that is not defined would silently allow nothing
 * (a typo in `names: [prod]` locks people out, or lets a rule meant for one product read as for none).
 */
export const permissionNamesExist: CatalogRule = (ctx) =>
    (ctx.permissions ?? []).flatMap((p) => {
        const products = new Set(ctx.products.map((x) => x.name));
        const check = (
            field: string,
            names: readonly string[] | undefined,
            kind: string,
            known: ReadonlySet<string>,
        ) =>
            (names ?? []).flatMap((n, i) =>
                n === "*" || known.has(n)
                    ? []
                    : [
                          issue(
                              ctx,
                              "PromotionPermission",
                              p.name,
                              `${field}.names[${i}]`,
                              `unknown ${kind} "${n}": define it as ${kind === "environment" ? "an Environment" : kind === "product" ? "a Product" : "a PromotionFlow"}, fix the name, or use "*" for every ${kind}`,
                          ),
                      ],
            );
        return [
            ...check("environments", p.environments?.names, "environment", ctx.declared.environments),
            ...check("products", p.products?.names, "product", products),
            ...check("flows", p.flows?.names, "flow", ctx.declared.flows),
        ];
    });

/** Every rule, in the order their issues are listed. */
/** A notification's `products.names` name defined products (or `*`). */
function notificationProductsExist(ctx: CatalogContext): Issue[] {
    const known = new Set(ctx.products.map((p) => p.name));
    return (ctx.notifications ?? []).flatMap((n) =>
        (n.products?.names ?? [])
            .filter((name) => name !== "*" && !known.has(name))
            .map((name) => ({
                entity: entityName("PromotionNotification", n.name),
                path: "products.names",
                reason: `unknown product "${name}": one of ${[...known].join(", ") || "(none defined)"}, or "*"`,
                origin: ctx.origins[`PromotionNotification/${n.name}`],
            })),
    );
}

/** Applications of a product that map to no Environment (Codefresh lets them be): a warning each. */
export const applicationsOutsideEnvironments: CatalogRule = (ctx) =>
    ctx.products.flatMap((p) => productApplications(ctx, p).unplaced.map((u) => u.warning));

/**
 * A `commitMessage` trigger value without `*` must equal the whole (trimmed) commit message, our documented
 * rule where Codefresh's pages disagree ("contains" on the flow-trigger page, "exact, or partial with `*`" on
 * the CRD page): noted, so a value meant as "contains" is seen before a commit is missed.
 */
export const commitMessageValuesMatchWholeMessage: CatalogRule = (ctx) =>
    ctx.products.flatMap((p) =>
        p.promotionFlows.flatMap((f, i) =>
            (f.gitTriggerSelectors ?? []).flatMap((sel, j) =>
                sel.key !== "commitMessage"
                    ? []
                    : sel.values.flatMap((v, k) =>
                          v.includes("*")
                              ? []
                              : [
                                    issue(
                                        ctx,
                                        "Product",
                                        p.name,
                                        `promotionFlows[${i}].gitTriggerSelectors[${j}].values[${k}]`,
                                        `commitMessage value ${JSON.stringify(v)} has no "*": it must match the whole commit message; write ${JSON.stringify(`*${v}*`)} to match it anywhere in the message`,
                                    ),
                                ],
                      ),
            ),
        ),
    );

/** What `validate` warns of without refusing: the definitions work, but perhaps not as meant. */
export const catalogWarnings: readonly CatalogRule[] = [applicationsOutsideEnvironments];

/** What `validate` notes: a rule of ours a Codefresh user may read otherwise. */
export const catalogNotes: readonly CatalogRule[] = [commitMessageValuesMatchWholeMessage];

export const catalogRules: readonly CatalogRule[] = [
    templatesPromoteSomething,
    templateJsonPathsCompile,
    policyWorkflowsExist,
    policyEnvironmentsExist,
    flowTriggerEnvironmentExists,
    flowStepsExist,
    flowStepsAreNotTheTrigger,
    flowStepsUnique,
    flowStepsDependOnSomething,
    flowDependenciesInFlow,
    noCycles,
    flowWorkflowsExist,
    triggerWorkflowAliasAgrees,
    applicationsNameTheirProduct,
    applicationsResolve,
    productTemplateRefExists,
    productFlowsExist,
    productFlowsHaveApplications,
    productFlowsHaveOneTriggerApplication,
    noneHasPreAction,
    soakFitsTimeout,
    permissionNamesExist,
    notificationProductsExist,
];
