import { createRoute } from "@hono/zod-openapi";
import type { RouteContext } from "./common";
import { apiBase, json, out } from "./common";
import * as s from "../schemas";

/** GET /session (the CSRF token) and GET /me (who the server takes the caller to be). */
export function addSessionRoutes({ app, o }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/session`,
            summary: "The CSRF token for mutating requests that carry cookies",
            responses: { 200: json(s.Session, "The token") },
        }),
        (c) => c.json({ csrfToken: o.csrfToken }, 200),
    );

    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/me`,
            summary: "Who the server takes the caller to be",
            responses: { 200: json(s.Subject, "The subject") },
        }),
        // The permissions seam: once authorize() exists, answer what the subject may do here too.
        (c) => c.json(out(c.get("subject")), 200),
    );
}
