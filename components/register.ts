import * as pulumi from "@pulumi/pulumi";
import type { Catalog, Definitions } from "./catalog";
import { buildCatalog } from "./catalog";
import { Environment } from "./environment.component";
import { InvalidDefinitionsError } from "./issues";
import { Product } from "./product.component";
import { PromotionFlow } from "./promotionFlow.component";
import { PromotionPermission } from "./promotionPermission.component";
import { PromotionNotification } from "./promotionNotification.component";
import { PromotionPolicy } from "./promotionPolicy.component";
import { PromotionTemplate } from "./promotionTemplate.component";
import { PromotionWindow } from "./promotionWindow.component";
import { PromotionWorkflow } from "./promotionWorkflow.component";

export type PromotionComponent =
    | Environment
    | Product
    | PromotionTemplate
    | PromotionPolicy
    | PromotionWorkflow
    | PromotionFlow
    | PromotionWindow
    | PromotionPermission
    | PromotionNotification;

type Named = { name: string };

/**
 * Registers one component per definition (what a YAML directory describes), as children of `opts.parent`
 * if given. Applications defined on their own are given to their product; a product only named by its
 * applications is created, as Codefresh does.
 */
export function registerDefinitions(
    defs: Definitions,
    opts?: pulumi.ComponentResourceOptions,
): PromotionComponent[] {
    const rest = <T extends Named>(d: T): Omit<T, "name"> => {
        const { name: _n, ...r } = d;
        return r;
    };
    const components: PromotionComponent[] = [];
    for (const e of defs.environments ?? []) {
        components.push(new Environment(e.name, rest(e) as never, opts));
    }
    for (const t of defs.promotionTemplates ?? []) {
        components.push(new PromotionTemplate(t.name, rest(t) as never, opts));
    }
    for (const p of defs.promotionPolicies ?? []) {
        components.push(new PromotionPolicy(p.name, rest(p) as never, opts));
    }
    for (const w of defs.promotionWorkflows ?? []) {
        components.push(new PromotionWorkflow(w.name, rest(w) as never, opts));
    }
    for (const f of defs.promotionFlows ?? []) {
        components.push(new PromotionFlow(f.name, rest(f) as never, opts));
    }
    for (const w of defs.promotionWindows ?? []) {
        components.push(new PromotionWindow(w.name, rest(w) as never, opts));
    }
    for (const p of defs.promotionPermissions ?? []) {
        components.push(new PromotionPermission(p.name, rest(p) as never, opts));
    }
    for (const n of defs.promotionNotifications ?? []) {
        components.push(new PromotionNotification(n.name, rest(n) as never, opts));
    }
    const standalone = defs.applications ?? [];
    const productNames = new Set([
        ...(defs.products ?? []).map((p) => p.name),
        ...standalone.map((a) => a.product).filter((n): n is string => n !== undefined),
    ]);
    for (const name of productNames) {
        const p = (defs.products ?? []).find((x) => x.name === name) ?? { name };
        const apps = [
            ...(p.applications ?? []),
            ...standalone.filter((a) => a.product === name).map(({ product: _p, ...a }) => a),
        ];
        components.push(new Product(name, { ...rest(p), applications: apps } as never, opts));
    }
    return components;
}

/** Collects components' definitions into the validated catalog; fails the update listing every problem. */
export function catalogOf(components: readonly PromotionComponent[]): pulumi.Output<Catalog> {
    const pick = (cls: new (...args: never[]) => PromotionComponent): pulumi.Output<unknown[]> =>
        pulumi.all(
            components.filter((c) => c instanceof cls).map((c) => c.definition as pulumi.Output<unknown>),
        );
    return pulumi
        .all([
            pick(Environment),
            pick(Product),
            pick(PromotionTemplate),
            pick(PromotionPolicy),
            pick(PromotionWorkflow),
            pick(PromotionFlow),
            pick(PromotionWindow),
            pick(PromotionPermission),
            pick(PromotionNotification),
        ])
        .apply(
            ([
                environments,
                products,
                promotionTemplates,
                promotionPolicies,
                promotionWorkflows,
                promotionFlows,
                promotionWindows,
                promotionPermissions,
                promotionNotifications,
            ]) => {
                const { catalog, issues } = buildCatalog({
                    environments,
                    products,
                    promotionTemplates,
                    promotionPolicies,
                    promotionWorkflows,
                    promotionFlows,
                    promotionWindows,
                    promotionPermissions,
                    promotionNotifications,
                } as unknown as Definitions);
                if (issues.length > 0) {
                    throw new pulumi.RunError(new InvalidDefinitionsError(issues).message);
                }
                return catalog;
            },
        );
}
