import { createRoute, z } from "@hono/zod-openapi";
import type { Catalog } from "../../components/catalog";
import type { PolicyFields } from "../../components/promotionPolicy";
import { resolvePolicy } from "../../components/promotionPolicy.merge";
import type { RouteContext } from "./common";
import { apiBase, errors, findProduct, json, out, productParam } from "./common";
import * as s from "../schemas";

/** GET /products (those the caller may view) and GET /products/{product} (with every policy resolved). */
export function addProductRoutes({ app, o, visible }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products`,
            summary: "The catalog's products",
            responses: {
                200: json(z.array(s.ProductSummary), "Every product the caller may view, by name"),
                500: errors[500],
            },
        }),
        (c) =>
            c.json(
                out(
                    o.catalog.products
                        .filter((p) => visible(c)(p.name))
                        .map((p) => ({
                            name: p.name,
                            tags: [...p.tags],
                            concurrency: p.concurrency,
                            flows: p.promotionFlows.map((f) => f.name),
                            environments: [...new Set(p.applications.map((a) => a.environment))],
                        })),
                ),
                200,
            ),
    );

    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products/{product}`,
            summary: "A product: applications, flows and the resolved policy of every target environment",
            request: { params: productParam },
            responses: {
                200: json(s.Product, "The product"),
                403: errors[403],
                404: errors[404],
                500: errors[500],
            },
        }),
        (c) => c.json(out(productDetail(o.catalog, c.req.valid("param").product)), 200),
    );
}

/** GET /products/{product}: the catalog entry with every policy resolved. */
export function productDetail(catalog: Catalog, name: string) {
    const product = findProduct(catalog, name);
    const target = { name: product.name, tags: product.tags };
    const envNames = new Set(product.applications.map((a) => a.environment));
    const policy = (environment: string, inline?: PolicyFields) => {
        const env = catalog.environments.find((e) => e.name === environment);
        return env
            ? resolvePolicy(catalog.promotionPolicies, { product: target, environment: env }, inline)
            : resolvePolicy(
                  [],
                  {
                      product: target,
                      environment: { name: environment, kind: "non-production", clusters: [], tags: [] },
                  },
                  inline,
              );
    };
    return {
        name: product.name,
        tags: [...product.tags],
        concurrency: product.concurrency,
        applications: product.applications.map((a) => ({
            name: a.name,
            environment: a.environment,
            repoURL: a.repoURL,
            path: a.path,
            targetRevision: a.targetRevision,
        })),
        environments: catalog.environments
            .filter((e) => envNames.has(e.name))
            .map((e) => ({ name: e.name, kind: e.kind, tags: [...e.tags], policy: policy(e.name) })),
        flows: product.promotionFlows
            .map((f) => catalog.promotionFlows.find((x) => x.name === f.name))
            .filter((f) => f !== undefined)
            .map((f) => ({
                name: f.name,
                ...(f.version !== undefined ? { version: f.version } : {}),
                ...(f.description !== undefined ? { description: f.description } : {}),
                triggerEnvironment: f.triggerEnvironment,
                steps: f.steps.map((step) => ({
                    environment: step.environment,
                    dependsOn: [...step.dependsOn],
                    policy: policy(step.environment, step.policy),
                })),
            })),
    };
}
