import { createRoute } from "@hono/zod-openapi";
import { ApprovalConflictError, ApprovalRefusedError } from "../../engine/governance/approvals";
import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import { publicRecord } from "../../engine/record/releaseRecord";
import type { RouteContext } from "./common";
import { apiBase, errors, idParam, json, out, supported } from "./common";
import { ApiRefusal } from "../errors";
import { subjectOf } from "../permissions";
import * as s from "../schemas";

/** POST /releases/{id}/approve and /reject: a decision on an environment waiting for approval. */
export function addApprovalRoutes({ app, o }: RouteContext): void {
    for (const verb of ["approve", "reject"] as const) {
        app.openapi(
            createRoute({
                method: "post",
                path: `${apiBase}/releases/{id}/${verb}`,
                summary:
                    verb === "approve"
                        ? "Approve an environment waiting for approval (who and when are recorded)"
                        : "Reject an environment waiting for approval: it fails, left untouched",
                request: {
                    params: idParam,
                    body: { required: true, content: { "application/json": { schema: s.DecisionBody } } },
                },
                responses: {
                    200: json(s.Release, "The release with the decision recorded"),
                    400: errors[400],
                    403: {
                        description:
                            "Refused: not an approver, a self-approval, no permission, already decided, or origin/CSRF",
                        content: { "application/json": { schema: s.ErrorBody } },
                    },
                    404: errors[404],
                    409: {
                        description:
                            "Not recorded: the gate was already decided or expired, or another decision got there first",
                        content: { "application/json": { schema: s.ErrorBody } },
                    },
                    500: errors[500],
                    503: errors[503],
                },
            }),
            async (c) => {
                const { id } = c.req.valid("param");
                const body = c.req.valid("json");
                const subject = subjectOf(c, o.identify);
                let record: ReleaseRecord;
                try {
                    record = await supported(o.engine[verb], verb).call(o.engine, id, body.environment, {
                        subject,
                        ...(body.comment ? { comment: body.comment } : {}),
                    });
                } catch (e) {
                    if (e instanceof ApprovalRefusedError) {
                        throw new ApiRefusal(403, "forbidden", e.message, e.entity);
                    }
                    if (e instanceof ApprovalConflictError) {
                        throw new ApiRefusal(409, "conflict", e.message, e.entity);
                    }
                    throw e;
                }
                o.onDecision?.(record);
                return c.json(out(publicRecord(record)), 200);
            },
        );
    }
}
