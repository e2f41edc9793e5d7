import { createRoute } from "@hono/zod-openapi";
import type { RouteContext } from "./common";
import { apiBase, errors, findProduct, json, out, productParam } from "./common";
import * as s from "../schemas";

/** GET /products/{product}/holds: who holds which environment, since when and why. */
export function addHoldRoutes({ app, o }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products/{product}/holds`,
            summary: "The holds in place on a product's environments: who placed each, when and why",
            request: { params: productParam },
            responses: {
                200: json(s.ProductHolds, "The product's holds"),
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const product = findProduct(o.catalog, c.req.valid("param").product);
            const holds = (await o.engine.holds?.(product.name)) ?? [];
            return c.json(
                out({
                    product: product.name,
                    holds: holds.map((h) => ({
                        environment: h.environment,
                        by: h.by,
                        at: h.at,
                        ...(h.reason !== undefined ? { reason: h.reason } : {}),
                    })),
                }),
                200,
            );
        },
    );
}
