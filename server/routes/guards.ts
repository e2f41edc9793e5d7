import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ApiOptions } from "../apiOptions";
import { accessRefusal, malformedSegment } from "../access";
import { Identity, identifyMiddleware } from "../auth/identify";
import type { Classifier } from "../errors";
import { apiError, ApiRefusal } from "../errors";
import { mayView, permissionGuard, subjectOf } from "../permissions";
import { apiBase } from "./common";

/**
 * The API's app before its routes: how it answers invalid input, errors and unknown paths, and the rules every
 * call under /api/v1 passes first (a path that decodes, same origin and CSRF, who is calling, what they may do).
 */

/** The message of a failed schema check: every issue as `path: message`. */
function issuesMessage(error: z.ZodError, where: string): string {
    return error.issues
        .map((i) => `${where}${i.path.length > 0 ? `.${i.path.join(".")}` : ""}: ${i.message}`)
        .join("; ");
}

/**
 * The app, answering a failed schema check with 400 naming every issue, an error with the CLI's classification,
 * and an unknown path with 404 naming it (under `basePath`, the prefix the server is reached under).
 */
export function createApiApp(classify: Classifier, basePath: string): OpenAPIHono {
    const base = basePath;
    const app = new OpenAPIHono({
        defaultHook: (result, c) => {
            if (!result.success) {
                const where = result.target === "json" ? "body" : result.target;
                return c.json(
                    {
                        error: {
                            code: "invalid_input" as const,
                            message: issuesMessage(result.error, where),
                        },
                    },
                    400,
                );
            }
            return undefined;
        },
    });

    app.onError((e, c) => {
        if (e instanceof HTTPException && e.status < 500) {
            return c.json({ error: { code: "invalid_input", message: e.message } }, 400);
        }
        const { status, body } = apiError(e, classify);
        return c.json(body, status);
    });
    app.notFound((c) => {
        const { status, body } = apiError(
            new ApiRefusal(
                404,
                "not_found",
                `no such endpoint: ${c.req.method} ${base}${c.req.path} (see ${base}${apiBase}/openapi.json)`,
            ),
        );
        return c.json(body, status);
    });
    return app;
}

/** Adds the rules every call under /api/v1 passes before its route. */
export function addGuards(app: OpenAPIHono, o: ApiOptions): void {
    // A path that does not decode names nothing: 400 before anything reads its parameters.
    app.use(`${apiBase}/*`, async (c, next) => {
        const bad = malformedSegment(new URL(c.req.url).pathname);
        if (bad !== undefined) {
            const { status, body } = apiError(
                new ApiRefusal(
                    400,
                    "invalid_input",
                    `path segment ${JSON.stringify(bad)} is not valid percent-encoding: each % must start a UTF-8 byte as two hex digits (encode names with encodeURIComponent)`,
                ),
            );
            return c.json(body, status);
        }
        await next();
        return undefined;
    });
    // Same-origin and CSRF rules for every mutating call under /api (not the webhook: its HMAC is its auth).
    app.use(`${apiBase}/*`, async (c, next) => {
        const why = accessRefusal(
            { method: c.req.method, headers: c.req.header() as Record<string, string | undefined> },
            o.csrfToken,
        );
        if (why !== undefined) {
            const { status, body } = apiError(new ApiRefusal(403, "forbidden", why));
            return c.json(body, status);
        }
        await next();
        c.header("Cache-Control", "no-store");
        return undefined;
    });
    // Who is asking, for every route under /api (c.get("subject")); 401 when credentials are missing or bad.
    app.use(`${apiBase}/*`, identifyMiddleware(o.identity ?? new Identity({ loopback: true })));

    // Who may do what: every call is mapped to a permission action (server/permissions.ts routePermissions).
    const release = (id: string) => o.engine.find(id);
    app.use(
        `${apiBase}/*`,
        permissionGuard({ catalog: o.catalog, base: apiBase, release, identify: o.identify, app }),
    );
}

/** Whether the caller of `c` may view a product (a release of no known product: only when there are no rules). */
export function visibility(o: ApiOptions): (c: Context) => (product: string | undefined) => boolean {
    return (c) => {
        const subject = subjectOf(c, o.identify);
        return (product) =>
            product === undefined
                ? (o.catalog.permissions ?? []).length === 0
                : mayView(o.catalog, subject, product);
    };
}
