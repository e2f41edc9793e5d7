import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Catalog } from "../components/catalog";
import type { ProgressEvent, PromoteEngine } from "../engine/promoteEngine";
import type { ReleaseRecord } from "../engine/releaseRecord";
import { messageOf } from "../model/errors";
import type { ArgoCdConfig } from "../provider/health/argoCd";
import type { GitCredentials } from "../provider/git/git";
import { accessRefusal, malformedSegment } from "./access";
import { Identity, identifyMiddleware } from "./auth/identify";
import { addConsoleRoutes } from "./console";
import type { Classifier } from "./errors";
import { apiError, ApiRefusal, defaultClassifier } from "./errors";
import { ReleaseEvents } from "./events";
import type { Identify } from "./permissions";
import { addPermissionRoutes, mayView, permissionGuard, subjectOf } from "./permissions";
import { addApprovalRoutes } from "./routes/approvals";
import type { RouteContext } from "./routes/common";
import { apiBase, errors } from "./routes/common";
import { addEnvironmentRoutes } from "./routes/environments";
import { addEventRoutes } from "./routes/events";
import { addHoldRoutes } from "./routes/holds";
import { addMetricsRoutes } from "./routes/metrics";
import { addPreviewRoutes } from "./routes/preview";
import { addProductRoutes } from "./routes/products";
import { addReleaseActionRoutes } from "./routes/releaseActions";
import { addReleaseRoutes } from "./routes/releases";
import { addRunRoutes } from "./routes/runs";
import { addSessionRoutes } from "./routes/session";

/**
 * The JSON API under /api/v1: this file assembles it (options, access rules, the OpenAPI description); each
 * resource's routes live in server/routes/ (products, environments, holds, preview, releases, runs, release
 * actions, approvals, events, session, metrics), and the permission routes in server/permissions.ts.
 */

export { apiBase } from "./routes/common";
export { environmentsOf } from "./routes/environments";
export { targetOf } from "./routes/preview";
export { productDetail } from "./routes/products";
export { workflowRuns } from "./routes/runs";

/** The engine methods the API calls (the facade; tests may pass a hand-written fake). */
export type ServerEngine = Pick<
    PromoteEngine,
    "preview" | "release" | "retry" | "terminate" | "releases" | "find"
> &
    Partial<Pick<PromoteEngine, "holds" | "approve" | "reject" | "resume">>;

export interface ApiOptions {
    readonly catalog: Catalog;
    readonly engine: ServerEngine;
    /** The token GET /api/v1/session gives, required as X-CSRF-Token on mutating requests with cookies. */
    readonly csrfToken: string;
    /** The CLI's error classifier (cli/errors.ts classifyError), so answers carry the CLI's messages. */
    readonly classify?: Classifier;
    /** Where to read the GitOps repositories (clone cache and tokens), for GET /products/{product}/environments. */
    readonly git?: { readonly cacheDir: string; readonly credentials?: GitCredentials };
    /** Argo CD, for health and sync in GET /products/{product}/environments. */
    readonly argocd?: ArgoCdConfig;
    /** How often the records are polled for the event stream (ms; default 3000). */
    readonly eventPollMs?: number;
    /** One line per release that failed after it was answered, and per failed poll. */
    readonly log?: (line: string) => void;
    readonly version?: string;
    /**
     * Who is calling (the identity middleware's hook; tests set it). Absent or undefined: the request's
     * `subject` variable, else the local loopback user. The catalog's PromotionPermission rules decide.
     */
    readonly identify?: Identify;
    /** Who sends each request (server/auth); default: a loopback server without identity sources. */
    readonly identity?: Identity;
    /** Told after each approval or rejection it recorded (`serve` then resumes what is ready). */
    readonly onDecision?: (record: ReleaseRecord) => void;
    /**
     * The path prefix the server is reached under (server/basePath.ts; "" or absent: the root). The routes stay
     * at the root (the server strips the prefix); the console's page and the API's description name it.
     */
    readonly basePath?: string;
    /** GET /api/v1/metrics: Prometheus' text format (server/metrics.ts); absent, that route answers 404. */
    readonly metrics?: { scrape(): Promise<{ contentType: string; body: string }> };
}

export interface Api {
    readonly app: OpenAPIHono;
    /** Give this to the engine as its `onProgress`: it feeds the event stream. */
    readonly progress: (e: ProgressEvent) => void;
    readonly events: ReleaseEvents;
    /** Resolves when every release this API started (or retried) has ended. */
    settled(): Promise<void>;
    close(): Promise<void>;
}

/** The message of a failed schema check: every issue as `path: message`. */
function issuesMessage(error: z.ZodError, where: string): string {
    return error.issues
        .map((i) => `${where}${i.path.length > 0 ? `.${i.path.join(".")}` : ""}: ${i.message}`)
        .join("; ");
}

/**
 * The JSON API under /api/v1 over the engine, with its OpenAPI description, the event stream and the access
 * rules. Every body it answers passes through the redactor.
 */
export function createApi(o: ApiOptions): Api {
    const classify = o.classify ?? defaultClassifier;
    const log = o.log ?? (() => undefined);
    const base = o.basePath ?? "";
    const running = new Set<Promise<unknown>>();
    const waiters = new Map<string, (r: ReleaseRecord) => void>();
    const events = new ReleaseEvents({
        list: async () =>
            (
                await Promise.all(o.catalog.products.map((p) => o.engine.releases(p.name, { current: true })))
            ).flat(),
        pollMs: o.eventPollMs ?? 3000,
        onError: (e) => log(`reading releases for the event stream failed: ${messageOf(e)}`),
    });
    const progress = (e: ProgressEvent): void => {
        events.progress(e);
        if (e.type === "release") {
            waiters.get(e.release.id)?.(e.release);
        }
    };
    const track = <T>(p: Promise<T>): void => {
        const t = p.then(
            () => undefined,
            () => undefined,
        );
        running.add(t);
        void t.finally(() => running.delete(t));
    };
    /**
     * Starts `start` on release `id` again (a retry, a resume) and answers with the record as soon as the engine
     * reports it Queued or Running, or with how it ended when it ends first.
     */
    const runAgain = (
        id: string,
        what: string,
        start: () => Promise<ReleaseRecord>,
    ): Promise<ReleaseRecord> =>
        new Promise<ReleaseRecord>((resolve, reject) => {
            waiters.set(id, (r) => {
                if (r.status === "Running" || r.status === "Queued") {
                    resolve(r);
                }
            });
            const run = start();
            track(run);
            run.then(resolve, (e: unknown) => {
                reject(e);
                log(`${what} of ${id} failed: ${messageOf(e)}`);
            });
        }).finally(() => waiters.delete(id));

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
    const visible = (c: Context) => {
        const subject = subjectOf(c, o.identify);
        // An event of a release not (yet) known to belong to a product is shown only when there are no rules.
        return (product: string | undefined) =>
            product === undefined
                ? (o.catalog.permissions ?? []).length === 0
                : mayView(o.catalog, subject, product);
    };

    const context: RouteContext = { app, o, visible, track, runAgain, log };
    addConsoleRoutes(app, undefined, o.basePath ?? "");
    addMetricsRoutes(context);
    addPermissionRoutes(app, { catalog: o.catalog, base: apiBase, identify: o.identify, release, errors });
    addSessionRoutes(context);
    addProductRoutes(context);
    addEnvironmentRoutes(context);
    addHoldRoutes(context);
    addPreviewRoutes(context);
    addReleaseRoutes(context);
    addRunRoutes(context);
    addReleaseActionRoutes(context);
    addApprovalRoutes(context);
    addEventRoutes(context, events);

    // Every route under /api/v1 may answer 401 (identifyMiddleware runs before each).
    for (const d of app.openAPIRegistry.definitions) {
        if (d.type === "route" && d.route.path.startsWith(apiBase)) {
            (d.route.responses as Record<number, unknown>)[401] ??= errors[401];
        }
    }

    app.doc31(`${apiBase}/openapi.json`, {
        openapi: "3.1.0",
        // Under a path prefix the paths below are relative to it.
        ...(base ? { servers: [{ url: base }] } : {}),
        info: {
            title: "pulumi-promotions API",
            version: o.version ?? "1",
            description:
                "The API of `promote serve`: products, previews, releases and their events. Errors are " +
                '`{"error": {"code", "message", "entity"?, "path"?}}`.',
        },
    });

    return {
        app,
        progress,
        events,
        settled: async () => {
            while (running.size > 0) {
                await Promise.all([...running]);
            }
        },
        close: () => events.close(),
    };
}
