import { createRoute, z } from "@hono/zod-openapi";
import type { ReleaseTarget } from "../../engine/record/plannedRelease";
import { InvalidInputError } from "../../model/errors";
import type { RouteContext } from "./common";
import { apiBase, errors, findProduct, json, out, productParam } from "./common";
import * as s from "../schemas";

/** GET /products/{product}/preview: what a release would change (`promote preview --json`). */
export function addPreviewRoutes({ app, o }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products/{product}/preview`,
            summary: "What a release would change in every environment (`promote preview --json`)",
            request: {
                params: productParam,
                query: z.object({
                    flow: z.string().min(1).optional(),
                    from: z.string().min(1).optional(),
                    to: z.string().min(1).optional(),
                    sourceCommit: z.string().min(1).optional(),
                }),
            },
            responses: {
                200: json(s.Preview, "The changes"),
                400: errors[400],
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const { product } = c.req.valid("param");
            const q = c.req.valid("query");
            findProduct(o.catalog, product);
            const result = await o.engine.preview({
                product,
                target: targetOf(q),
                ...(q.sourceCommit ? { sourceCommit: q.sourceCommit } : {}),
            });
            return c.json(out(result), 200);
        },
    );
}

/** `?flow=F` or `?from=E&to=E`, as the CLI's `--flow` or `--from --to`. */
export function targetOf(q: { flow?: string; from?: string; to?: string }): ReleaseTarget {
    if (q.flow && (q.from || q.to)) {
        throw new InvalidInputError("give either flow=F or from=ENV&to=ENV, not both", { path: "flow" });
    }
    if (q.flow) {
        return { flow: q.flow };
    }
    if (q.from && q.to) {
        if (q.from === q.to) {
            throw new InvalidInputError(`from and to are both "${q.from}": promote to another environment`, {
                path: "to",
            });
        }
        return { from: q.from, to: q.to };
    }
    throw new InvalidInputError(
        `missing ${q.from ? "to=ENV" : q.to ? "from=ENV" : "flow=F (or from=ENV&to=ENV)"}`,
        { path: q.from ? "to" : q.to ? "from" : "flow" },
    );
}
