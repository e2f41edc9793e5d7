import { createRoute, z } from "@hono/zod-openapi";
import type { PolicyFields } from "../../components/promotionPolicy";
import type { ReleaseTarget } from "../../engine/record/plannedRelease";
import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import { publicRecord, summary } from "../../engine/record/releaseRecord";
import { InvalidInputError, messageOf } from "../../model/errors";
import { initiatorOf } from "../../model/subject";
import { pageReleases, parseReleaseQuery } from "../query";
import type { RouteContext } from "./common";
import { apiBase, errors, findProduct, idParam, json, out } from "./common";
import * as s from "../schemas";

/** GET /releases (a page at a time), POST /releases (start one) and GET /releases/{id}. */
export function addReleaseRoutes({ app, o, visible, track, log }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/releases`,
            summary: "Releases, newest first, a page at a time (`before`: the previous page's `next`)",
            request: {
                query: z.object({
                    product: z.string().optional(),
                    status: z.string().optional().openapi({ description: "A release status, e.g. Failed" }),
                    flow: z.string().optional(),
                    limit: z.string().optional().openapi({ description: "1 to 500 (default 50)" }),
                    before: z
                        .string()
                        .optional()
                        .openapi({ description: "Only releases older than this id" }),
                }),
            },
            responses: {
                200: json(s.ReleasePage, "One page (of the products the caller may view)"),
                400: errors[400],
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const q = parseReleaseQuery(c.req.valid("query"));
            // One more than the page per product tells whether there is a next page; no product reads more.
            const wanted = {
                limit: q.limit + 1,
                ...(q.before !== undefined ? { before: q.before } : {}),
                where: (r: ReleaseRecord) =>
                    (q.status === undefined || r.status === q.status) &&
                    (q.flow === undefined || r.flow === q.flow),
            };
            const records = q.product
                ? (findProduct(o.catalog, q.product), await o.engine.releases(q.product, wanted))
                : (
                      await Promise.all(
                          o.catalog.products
                              .filter((p) => visible(c)(p.name))
                              .map((p) => o.engine.releases(p.name, wanted)),
                      )
                  ).flat();
            const page = pageReleases(records, q);
            return c.json(
                out({
                    releases: page.items.map((r) => ({ ...summary(r), product: r.product })),
                    ...(page.next ? { next: page.next } : {}),
                }),
                200,
            );
        },
    );

    app.openapi(
        createRoute({
            method: "post",
            path: `${apiBase}/releases`,
            summary: "Start a release: run a flow, or promote to one environment; answered once it has an id",
            request: {
                body: { required: true, content: { "application/json": { schema: s.StartRelease } } },
            },
            responses: {
                202: json(s.Release, "Started (Queued or Running): follow it at /releases/{id} or /events"),
                400: errors[400],
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const body = c.req.valid("json");
            const target: ReleaseTarget =
                "flow" in body
                    ? { flow: body.flow }
                    : { from: body.from, to: body.to, overrides: overridesOf(body) };
            if ("from" in target && target.from === target.to) {
                throw new InvalidInputError(
                    `from and to are both "${target.from}": promote to another environment`,
                    {
                        path: "to",
                    },
                );
            }
            const record = await new Promise<ReleaseRecord>((resolve, reject) => {
                const run = o.engine.release({
                    product: body.product,
                    target,
                    ...(body.sourceCommit ? { sourceCommit: body.sourceCommit } : {}),
                    ...(body.message ? { message: body.message } : {}),
                    initiator: initiatorOf(c.get("subject")),
                    onCreated: resolve,
                });
                track(run);
                run.then(resolve, (e: unknown) => {
                    reject(e);
                    log(`release of ${body.product} failed: ${messageOf(e)}`);
                });
            });
            return c.json(out(publicRecord(record)), 202);
        },
    );

    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/releases/{id}`,
            summary: "One release in full (`promote release ID --json`)",
            request: { params: idParam },
            responses: {
                200: json(s.Release, "The release"),
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => c.json(out(publicRecord(await o.engine.find(c.req.valid("param").id))), 200),
    );
}

function overridesOf(body: {
    action?: PolicyFields["action"];
    preAction?: string;
    postAction?: string;
}): PolicyFields {
    return {
        ...(body.action ? { action: body.action } : {}),
        ...(body.preAction ? { preAction: body.preAction } : {}),
        ...(body.postAction ? { postAction: body.postAction } : {}),
    };
}
