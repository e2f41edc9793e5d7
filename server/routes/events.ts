import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { redactDeep } from "../../model/redact";
import type { ReleaseEvents, ServerEvent } from "../events";
import type { RouteContext } from "./common";
import { apiBase } from "./common";

/** GET /events: the Server-Sent Events stream of release and environment changes the caller may view. */
export function addEventRoutes({ app, visible }: RouteContext, events: ReleaseEvents): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/events`,
            summary: "Server-Sent Events: `release` and `environment` changes, each naming its release",
            request: { query: z.object({ product: z.string().optional() }) },
            responses: {
                200: {
                    description:
                        "An event stream. `event: release` data {release, product, flow, status, version?, error?}; " +
                        "`event: environment` data {release, product?, environment, status, error?}",
                    content: { "text/event-stream": { schema: z.string() } },
                },
            },
        }),
        ((c: Context) => eventStream(c, events, c.req.query("product"), visible(c))) as never,
    );
}

function eventStream(
    c: Context,
    events: ReleaseEvents,
    product: string | undefined,
    visible: (product: string | undefined) => boolean,
): Response {
    return streamSSE(c, async (stream) => {
        const queue: ServerEvent[] = [];
        let wake: (() => void) | undefined;
        let open = true;
        const unsubscribe = events.subscribe((e) => {
            const p = e.data.product;
            if ((product === undefined || p === undefined || p === product) && visible(p)) {
                queue.push(e);
                wake?.();
            }
        });
        stream.onAbort(() => {
            open = false;
            unsubscribe();
            wake?.();
        });
        let id = 0;
        // A comment first: the stream is open and subscribed.
        await stream.write(": connected\n\n");
        while (open) {
            while (queue.length > 0 && open) {
                const e = queue.shift()!;
                await stream.writeSSE({
                    event: e.type,
                    id: String(++id),
                    data: JSON.stringify(redactDeep(e.data)),
                });
            }
            await new Promise<void>((resolve) => {
                // A comment now and then keeps proxies from closing an idle stream.
                const keepAlive = setTimeout(() => {
                    void stream.write(": keep-alive\n\n").then(
                        () => resolve(),
                        () => resolve(),
                    );
                }, 15_000);
                keepAlive.unref();
                wake = () => {
                    clearTimeout(keepAlive);
                    resolve();
                };
            });
            wake = undefined;
        }
    });
}
