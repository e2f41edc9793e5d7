import { createRoute } from "@hono/zod-openapi";
import { publicRecord } from "../../engine/record/releaseRecord";
import { initiatorOf } from "../../model/subject";
import type { RouteContext } from "./common";
import { apiBase, errors, idParam, json, out, supported } from "./common";
import * as s from "../schemas";

/** POST /releases/{id}/retry, /terminate and /resume: what may be done to a release once it exists. */
export function addReleaseActionRoutes({ app, o, runAgain }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "post",
            path: `${apiBase}/releases/{id}/retry`,
            summary: "Resume a Failed or Terminated release from where it stopped (same id)",
            request: {
                params: idParam,
                body: { required: false, content: { "application/json": { schema: s.RetryBody } } },
            },
            responses: {
                202: json(s.Release, "Resumed (Queued or Running)"),
                400: errors[400],
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const { id } = c.req.valid("param");
            const forceOlder = (c.req.valid("json") as { forceOlder?: boolean } | undefined)?.forceOlder;
            const record = await runAgain(id, "retry", () =>
                o.engine.retry(id, {
                    ...(forceOlder ? { forceOlder } : {}),
                    initiator: initiatorOf(c.get("subject")),
                }),
            );
            return c.json(out(publicRecord(record)), 202);
        },
    );

    app.openapi(
        createRoute({
            method: "post",
            path: `${apiBase}/releases/{id}/terminate`,
            summary:
                "Stop a release: a Queued one ends at once, a running one once its process sees the request",
            request: { params: idParam },
            responses: {
                200: json(s.Release, "The release, Terminated or Terminating"),
                400: errors[400],
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) =>
            c.json(
                out(
                    publicRecord(
                        await o.engine.terminate(c.req.valid("param").id, {
                            initiator: initiatorOf(c.get("subject")),
                        }),
                    ),
                ),
                200,
            ),
    );

    app.openapi(
        createRoute({
            method: "post",
            path: `${apiBase}/releases/{id}/resume`,
            summary: "Continue a Suspended release no process holds (its waits are checked again)",
            request: {
                params: idParam,
                body: { required: false, content: { "application/json": { schema: s.ResumeBody } } },
            },
            responses: {
                202: json(s.Release, "Resumed (Queued, Running, or Suspended again)"),
                400: errors[400],
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const { id } = c.req.valid("param");
            const noWait = (c.req.valid("json") as { noWait?: boolean } | undefined)?.noWait;
            const resume = supported(o.engine.resume, "resume");
            const record = await runAgain(id, "resume", () =>
                resume.call(o.engine, id, noWait ? { noWait } : {}),
            );
            return c.json(out(publicRecord(record)), 202);
        },
    );
}
