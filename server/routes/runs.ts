import { createRoute, z } from "@hono/zod-openapi";
import type { ReleaseRecord, WorkflowRunRecord } from "../../engine/record/releaseRecord";
import { InvalidInputError } from "../../model/errors";
import type { RouteContext } from "./common";
import { apiBase, errors, idParam, json, out } from "./common";
import * as s from "../schemas";

/** GET /releases/{id}/runs/{runId}/log: a workflow run's log tail. */
export function addRunRoutes({ app, o }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/releases/{id}/runs/{runId}/log`,
            summary: "A workflow run's log tail (a local run's output, or the Argo UI link)",
            request: {
                params: idParam.extend({
                    runId: z
                        .string()
                        .min(1)
                        .openapi({ param: { name: "runId", in: "path" } }),
                }),
            },
            responses: {
                200: json(s.RunLog, "The run"),
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const { id, runId } = c.req.valid("param");
            const record = await o.engine.find(id);
            const run = workflowRuns(record).find((r) => r.runId === runId);
            if (!run) {
                throw new InvalidInputError(`no run "${runId}" in release ${id}`, {
                    entity: `release ${id}`,
                });
            }
            return c.json(
                out({
                    release: id,
                    runId,
                    workflow: run.workflow,
                    status: run.status,
                    ...(run.log !== undefined ? { log: run.log } : {}),
                }),
                200,
            );
        },
    );
}

/** Every workflow run of a record: the release's hooks, each environment's hooks, pre- and post-actions. */
export function workflowRuns(r: ReleaseRecord): WorkflowRunRecord[] {
    return [
        ...(r.hooks ?? []),
        ...r.environments.flatMap((e) => [
            ...(e.hooks ?? []),
            ...e.applications.flatMap((a) => [a.preAction, a.postAction].filter((x) => x !== undefined)),
        ]),
    ];
}
