import type { ApplicationDefinition } from "./application";
import { applicationDefinitionSchema } from "./application";
import { defaultApplicationNamespace, defaultFlowTimeoutMs } from "./defaults";
import { parseDuration } from "../model/duration";
import { parseDefinition } from "./definition";
import type { EnvironmentDefinition } from "./environment";
import { environmentDefinitionSchema } from "./environment";
import type { Issue } from "./issues";
import { entityName } from "./issues";
import type { ProductDefinition } from "./product";
import { productDefinitionSchema } from "./product";
import type { PromotionFlowDefinition } from "./promotionFlow";
import { promotionFlowDefinitionSchema } from "./promotionFlow";
import type { PromotionNotificationDefinition } from "./promotionNotification";
import { promotionNotificationDefinitionSchema } from "./promotionNotification";
import type { PromotionPolicyDefinition } from "./promotionPolicy";
import { promotionPolicyDefinitionSchema } from "./promotionPolicy";
import type { PromotionTemplateDefinition } from "./promotionTemplate";
import { promotionTemplateDefinitionSchema } from "./promotionTemplate";
import type { PromotionPermissionDefinition } from "./promotionPermission";
import { promotionPermissionDefinitionSchema } from "./promotionPermission";
import type { PromotionWindowDefinition } from "./promotionWindow";
import { promotionWindowDefinitionSchema } from "./promotionWindow";
import type { PromotionWorkflowDefinition } from "./promotionWorkflow";
import { promotionWorkflowDefinitionSchema } from "./promotionWorkflow";
import type { CatalogContext } from "./catalog.rules";
import {
    catalogNotes,
    catalogRules,
    catalogWarnings,
    declaredNames,
    productApplications,
} from "./catalog.rules";
import { describeValue } from "./issues";
import type {
    Catalog,
    CatalogApplication,
    CatalogFlow,
    CatalogOptions,
    CatalogProduct,
    Definitions,
} from "./catalog.types";

export type { Catalog, CatalogApplication, CatalogFlow, CatalogOptions, CatalogProduct, Definitions };

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The list of definitions under `field`, or an issue when it is not a list. */
function listOf(defs: Definitions, field: keyof Definitions, issues: Issue[]): readonly unknown[] {
    const v = (defs as Record<string, unknown>)[field];
    if (v === undefined || v === null) {
        return [];
    }
    if (!Array.isArray(v)) {
        issues.push({
            entity: "definitions",
            path: field,
            reason: `expected a list, got ${describeValue(v)}: give ${field} as a list ([ ... ])`,
        });
        return [];
    }
    return v;
}

function parseAll<T extends { name: string }>(
    kind: string,
    schema: Parameters<typeof parseDefinition>[1],
    inputs: readonly unknown[],
    origins: Readonly<Record<string, string>>,
    issues: Issue[],
): T[] {
    const parsed: T[] = [];
    const seen = new Set<string>();
    for (const input of inputs) {
        const name = (input as { name?: unknown } | null)?.name;
        const origin = typeof name === "string" ? origins[`${kind}/${name}`] : undefined;
        const { value, issues: found } = parseDefinition(kind, schema, input, origin);
        issues.push(...found);
        if (value === undefined) {
            continue;
        }
        const v = value as T;
        if (seen.has(v.name)) {
            issues.push({
                entity: entityName(kind, v.name),
                path: "name",
                reason: `duplicate ${kind} name: each ${kind} needs its own name`,
                ...(origin !== undefined ? { origin } : {}),
            });
            continue;
        }
        seen.add(v.name);
        parsed.push(v);
    }
    return parsed.sort(byName);
}

/**
 * Parses every entity against its schema: the context the catalog rules read, and the issues of the
 * entities (or lists) that did not parse. An application naming an undefined product creates it, as
 * Codefresh does.
 */
export function catalogContext(
    defs: Definitions,
    opts: CatalogOptions = {},
): { ctx: CatalogContext; issues: Issue[] } {
    const issues: Issue[] = [];
    const origins = defs.origins ?? {};
    const list = (field: keyof Definitions) => listOf(defs, field, issues);
    const refusedToo = (kind: string, names: Set<string>) => {
        (defs.refused ?? []).filter((r) => r.kind === kind).forEach((r) => names.add(r.name));
        return names;
    };
    const environments = list("environments");
    const templates = list("promotionTemplates");
    const workflows = list("promotionWorkflows");
    const flows = list("promotionFlows");
    const parse = <T extends { name: string }>(
        kind: string,
        schema: Parameters<typeof parseDefinition>[1],
        inputs: readonly unknown[],
    ) => parseAll<T>(kind, schema, inputs, origins, issues);
    const ctx = {
        environments: parse<EnvironmentDefinition>("Environment", environmentDefinitionSchema, environments),
        templates: parse<PromotionTemplateDefinition>(
            "PromotionTemplate",
            promotionTemplateDefinitionSchema,
            templates,
        ),
        policies: parse<PromotionPolicyDefinition>(
            "PromotionPolicy",
            promotionPolicyDefinitionSchema,
            list("promotionPolicies"),
        ),
        workflows: parse<PromotionWorkflowDefinition>(
            "PromotionWorkflow",
            promotionWorkflowDefinitionSchema,
            workflows,
        ),
        flows: parse<PromotionFlowDefinition>("PromotionFlow", promotionFlowDefinitionSchema, flows),
        windows: parse<PromotionWindowDefinition>(
            "PromotionWindow",
            promotionWindowDefinitionSchema,
            list("promotionWindows"),
        ),
        permissions: parse<PromotionPermissionDefinition>(
            "PromotionPermission",
            promotionPermissionDefinitionSchema,
            list("promotionPermissions"),
        ),
        notifications: parse<PromotionNotificationDefinition>(
            "PromotionNotification",
            promotionNotificationDefinitionSchema,
            list("promotionNotifications"),
        ),
        products: [] as ProductDefinition[],
        applications: [] as ApplicationDefinition[],
        declared: {
            environments: refusedToo(
                "Environment",
                declaredNames(environments as Definitions["environments"]),
            ),
            workflows: refusedToo(
                "PromotionWorkflow",
                declaredNames(workflows as Definitions["promotionWorkflows"]),
            ),
            templates: refusedToo(
                "PromotionTemplate",
                declaredNames(templates as Definitions["promotionTemplates"]),
            ),
            flows: refusedToo("PromotionFlow", declaredNames(flows as Definitions["promotionFlows"])),
        },
        applicationNamespace: opts.applicationNamespace ?? defaultApplicationNamespace,
        productsWithInvalidApplications: new Set(
            (defs.refused ?? []).flatMap((r) => (r.kind === "Application" && r.product ? [r.product] : [])),
        ),
        origins,
    };
    const products = parse<ProductDefinition>("Product", productDefinitionSchema, list("products"));
    for (const a of list("applications")) {
        const name = (a as { name?: unknown } | null)?.name;
        const origin = typeof name === "string" ? origins[`Application/${name}`] : undefined;
        const { value, issues: found } = parseDefinition(
            "Application",
            applicationDefinitionSchema,
            a,
            origin,
        );
        issues.push(...found);
        if (value !== undefined) {
            ctx.applications.push(value as ApplicationDefinition);
        } else if (typeof (a as { product?: unknown } | null)?.product === "string") {
            ctx.productsWithInvalidApplications.add((a as { product: string }).product);
        }
    }
    const productByName = new Map(products.map((p) => [p.name, p]));
    for (const a of ctx.applications) {
        if (a.product && !productByName.has(a.product)) {
            productByName.set(a.product, productDefinitionSchema.parse({ name: a.product }));
        }
    }
    ctx.products.push(...[...productByName.values()].sort(byName));
    return { ctx, issues };
}

function catalogFlow(f: PromotionFlowDefinition): CatalogFlow {
    const { postTrigger, promotionTimeoutLimit, ...rest } = f;
    const triggerWorkflow = f.triggerWorkflow ?? postTrigger;
    return {
        ...rest,
        ...(triggerWorkflow ? { triggerWorkflow } : {}),
        timeoutMs:
            promotionTimeoutLimit === undefined
                ? defaultFlowTimeoutMs
                : (parseDuration(promotionTimeoutLimit) ?? defaultFlowTimeoutMs),
    };
}

/**
 * Normalises and validates the definitions as a whole: each entity against its schema, then every
 * {@link catalogRules} rule. Returns the catalog and every problem found; callers refuse to act on a
 * catalog with issues.
 */
export function buildCatalog(
    defs: Definitions,
    opts: CatalogOptions = {},
): {
    catalog: Catalog;
    issues: Issue[];
    /** What works but perhaps not as meant (an application outside every environment). */
    warnings: Issue[];
    /** Our rules where a Codefresh user may expect otherwise (a commitMessage value without `*`). */
    notes: Issue[];
} {
    const { ctx, issues } = catalogContext(defs, opts);
    for (const rule of catalogRules) {
        issues.push(...rule(ctx));
    }
    const warnings = catalogWarnings.flatMap((rule) => rule(ctx));
    const notes = catalogNotes.flatMap((rule) => rule(ctx));
    return {
        catalog: {
            environments: ctx.environments,
            products: ctx.products.map((p) => {
                const { applications: _defined, ...rest } = p;
                return { ...rest, applications: productApplications(ctx, p).apps };
            }),
            promotionTemplates: ctx.templates,
            promotionPolicies: ctx.policies,
            promotionWorkflows: ctx.workflows,
            promotionFlows: ctx.flows.map(catalogFlow),
            promotionWindows: ctx.windows,
            permissions: ctx.permissions ?? [],
            promotionNotifications: ctx.notifications,
        },
        issues,
        warnings,
        notes,
    };
}
