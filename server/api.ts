import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import type { Catalog, CatalogProduct } from "../components/catalog";
import type { PolicyFields } from "../components/promotionPolicy";
import { resolvePolicy } from "../components/promotionPolicy.merge";
import type { ReleaseTarget } from "../engine/planRelease";
import type { ProgressEvent, PromoteEngine } from "../engine/promoteEngine";
import type { ReleaseRecord, WorkflowRunRecord } from "../engine/releaseRecord";
import { publicRecord, summary } from "../engine/releaseRecord";
import { InvalidInputError, messageOf } from "../model/errors";
import { redactDeep } from "../model/redact";
import { initiatorOf } from "../model/subject";
import type { ArgoCdConfig } from "../provider/health/argoCd";
import { getApplication } from "../provider/health/argoCd";
import type { GitCredentials } from "../provider/git/git";
import { Repository } from "../provider/git/repository";
import { readCandidate } from "../provider/promotion";
import { selectTemplate } from "../components/promotionTemplate.select";
import { accessRefusal, malformedSegment } from "./access";
import { Identity, identifyMiddleware } from "./auth/identify";
import { addConsoleRoutes } from "./console";
import type { Classifier } from "./errors";
import { apiError, ApiRefusal, defaultClassifier } from "./errors";
import type { ServerEvent } from "./events";
import { ReleaseEvents } from "./events";
import type { Identify } from "./permissions";
import { addPermissionRoutes, mayView, permissionGuard, subjectOf } from "./permissions";
import { pageReleases, parseReleaseQuery } from "./query";
import { ApprovalConflictError, ApprovalRefusedError } from "../engine/approvals";
import * as s from "./schemas";

/** A readonly value's type with its fields writable (what the route types expect of a body). */
type Writable<T> = T extends readonly (infer U)[]
    ? Writable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Writable<T[K]> }
      : T;

/** A body to answer: redacted (no token or secret ever leaves the server). */
function out<T>(value: T): Writable<T> {
    return redactDeep(value) as Writable<T>;
}

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
    /** GET /api/v1/metrics: Prometheus' text format (server/metrics.ts); absent, that route answers 404. */
    readonly metrics?: { scrape(): Promise<{ contentType: string; body: string }> };
}

/** The caller when nothing identifies it (no authentication configured). */

export const apiBase = "/api/v1";

/** An engine method the API needs (the real engine has them all; a test's fake engine may not). */
function supported<F>(method: F | undefined, name: string): F {
    if (method === undefined) {
        throw new ApiRefusal(404, "not_found", `this server's engine does not ${name} releases`);
    }
    return method;
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

const errors = {
    400: { description: "Invalid input", content: { "application/json": { schema: s.ErrorBody } } },
    401: {
        description:
            "Unauthenticated: no credentials where they are needed, or an unknown, revoked, expired or wrongly signed one",
        content: { "application/json": { schema: s.ErrorBody } },
    },
    403: {
        description: "Refused (origin, CSRF token, or no PromotionPermission allows it)",
        content: { "application/json": { schema: s.ErrorBody } },
    },
    404: {
        description: "Unknown product, release or run",
        content: { "application/json": { schema: s.ErrorBody } },
    },
    500: { description: "Internal error", content: { "application/json": { schema: s.ErrorBody } } },
    503: {
        description: "Environment problem (Git, the state backend, a locked stack)",
        content: { "application/json": { schema: s.ErrorBody } },
    },
} as const;

const json = <T extends z.ZodType>(schema: T, description: string) => ({
    description,
    content: { "application/json": { schema } },
});

const productParam = z.object({
    product: z
        .string()
        .min(1)
        .openapi({ param: { name: "product", in: "path" } }),
});
const idParam = z.object({
    id: z
        .string()
        .min(1)
        .openapi({ param: { name: "id", in: "path" } }),
});

function findProduct(catalog: Catalog, name: string): CatalogProduct {
    const product = catalog.products.find((p) => p.name === name);
    if (!product) {
        throw new InvalidInputError(
            `unknown product "${name}": one of ${catalog.products.map((p) => p.name).join(", ") || "(none defined)"}`,
            { entity: `Product "${name}"` },
        );
    }
    return product;
}

/** The message of a failed schema check: every issue as `path: message`. */
function issuesMessage(error: z.ZodError, where: string): string {
    return error.issues
        .map((i) => `${where}${i.path.length > 0 ? `.${i.path.join(".")}` : ""}: ${i.message}`)
        .join("; ");
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

/**
 * The JSON API under /api/v1 over the engine, with its OpenAPI description, the event stream and the access
 * rules. Every body it answers passes through the redactor.
 */
export function createApi(o: ApiOptions): Api {
    const classify = o.classify ?? defaultClassifier;
    const log = o.log ?? (() => undefined);
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
                `no such endpoint: ${c.req.method} ${c.req.path} (see ${apiBase}/openapi.json)`,
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

    addConsoleRoutes(app);
    // Prometheus scrapes with an API token (a bearer header), under the same rules as the API.
    app.get(`${apiBase}/metrics`, async (c) => {
        if (!o.metrics) {
            const { status, body } = apiError(
                new ApiRefusal(404, "not_found", "this server keeps no metrics"),
            );
            return c.json(body, status);
        }
        const { contentType, body } = await o.metrics.scrape();
        return c.body(body, 200, { "Content-Type": contentType });
    });
    addPermissionRoutes(app, { catalog: o.catalog, base: apiBase, identify: o.identify, release, errors });

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

    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products`,
            summary: "The catalog's products",
            responses: {
                200: json(z.array(s.ProductSummary), "Every product the caller may view, by name"),
                500: errors[500],
            },
        }),
        (c) =>
            c.json(
                out(
                    o.catalog.products
                        .filter((p) => visible(c)(p.name))
                        .map((p) => ({
                            name: p.name,
                            tags: [...p.tags],
                            concurrency: p.concurrency,
                            flows: p.promotionFlows.map((f) => f.name),
                            environments: [...new Set(p.applications.map((a) => a.environment))],
                        })),
                ),
                200,
            ),
    );

    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products/{product}`,
            summary: "A product: applications, flows and the resolved policy of every target environment",
            request: { params: productParam },
            responses: {
                200: json(s.Product, "The product"),
                403: errors[403],
                404: errors[404],
                500: errors[500],
            },
        }),
        (c) => c.json(out(productDetail(o.catalog, c.req.valid("param").product)), 200),
    );

    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products/{product}/environments`,
            summary:
                "Per environment: the version there, its commit and the release that put it there; health",
            request: { params: productParam },
            responses: {
                200: json(s.ProductEnvironments, "The product's environments"),
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const product = findProduct(o.catalog, c.req.valid("param").product);
            const records = await o.engine.releases(product.name);
            return c.json(out(await environmentsOf(o.catalog, product, records, o)), 200);
        },
    );

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

    // Every route under /api/v1 may answer 401 (identifyMiddleware runs before each).
    for (const d of app.openAPIRegistry.definitions) {
        if (d.type === "route" && d.route.path.startsWith(apiBase)) {
            (d.route.responses as Record<number, unknown>)[401] ??= errors[401];
        }
    }

    app.doc31(`${apiBase}/openapi.json`, {
        openapi: "3.1.0",
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

/** GET /products/{product}: the catalog entry with every policy resolved. */
export function productDetail(catalog: Catalog, name: string) {
    const product = findProduct(catalog, name);
    const target = { name: product.name, tags: product.tags };
    const envNames = new Set(product.applications.map((a) => a.environment));
    const policy = (environment: string, inline?: PolicyFields) => {
        const env = catalog.environments.find((e) => e.name === environment);
        return env
            ? resolvePolicy(catalog.promotionPolicies, { product: target, environment: env }, inline)
            : resolvePolicy(
                  [],
                  {
                      product: target,
                      environment: { name: environment, kind: "non-production", clusters: [], tags: [] },
                  },
                  inline,
              );
    };
    return {
        name: product.name,
        tags: [...product.tags],
        concurrency: product.concurrency,
        applications: product.applications.map((a) => ({
            name: a.name,
            environment: a.environment,
            repoURL: a.repoURL,
            path: a.path,
            targetRevision: a.targetRevision,
        })),
        environments: catalog.environments
            .filter((e) => envNames.has(e.name))
            .map((e) => ({ name: e.name, kind: e.kind, tags: [...e.tags], policy: policy(e.name) })),
        flows: product.promotionFlows
            .map((f) => catalog.promotionFlows.find((x) => x.name === f.name))
            .filter((f) => f !== undefined)
            .map((f) => ({
                name: f.name,
                ...(f.version !== undefined ? { version: f.version } : {}),
                ...(f.description !== undefined ? { description: f.description } : {}),
                triggerEnvironment: f.triggerEnvironment,
                steps: f.steps.map((step) => ({
                    environment: step.environment,
                    dependsOn: [...step.dependsOn],
                    policy: policy(step.environment, step.policy),
                })),
            })),
    };
}

/** What Git holds now for an application: the tip of its branch and the version there. */
async function gitStateOf(
    catalog: Catalog,
    product: CatalogProduct,
    app: CatalogProduct["applications"][number],
    git: NonNullable<ApiOptions["git"]>,
    fetched: Map<string, Promise<Repository>>,
): Promise<{ gitCommit?: string; version?: string; gitError?: string }> {
    try {
        let repo = fetched.get(app.repoURL);
        if (!repo) {
            repo = Repository.open(app.repoURL, git.cacheDir, git.credentials).then(async (r) => {
                await r.fetch();
                return r;
            });
            fetched.set(app.repoURL, repo);
        }
        const r = await repo;
        const tip = await r.tip(await r.branchFor(app.targetRevision));
        if (!tip) {
            return { gitError: `no branch for targetRevision "${app.targetRevision}"` };
        }
        const template = selectTemplate({ product, application: app }, catalog.promotionTemplates);
        const candidate = await readCandidate(
            r,
            tip,
            { application: app.name, path: app.path },
            template.body,
        );
        return { gitCommit: tip, ...(candidate.version !== undefined ? { version: candidate.version } : {}) };
    } catch (e) {
        return { gitError: messageOf(e) };
    }
}

/**
 * GET /products/{product}/environments: per environment the version Git holds now (the template's
 * versionSource at the tip of the application's branch), the release that put it there (the newest that
 * succeeded there with that version; without Git, the newest that succeeded there), and with Argo CD
 * configured each application's health and sync now.
 */
export async function environmentsOf(
    catalog: Catalog,
    product: CatalogProduct,
    records: readonly ReleaseRecord[],
    o: Pick<ApiOptions, "git" | "argocd">,
) {
    const newestFirst = [...records].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const envNames = new Set(product.applications.map((a) => a.environment));
    const fetched = new Map<string, Promise<Repository>>();
    const environments = await Promise.all(
        catalog.environments
            .filter((e) => envNames.has(e.name))
            .map(async (env) => {
                const applications = await Promise.all(
                    product.applications
                        .filter((a) => a.environment === env.name)
                        .map(async (a) => ({
                            name: a.name,
                            ...(o.git ? await gitStateOf(catalog, product, a, o.git, fetched) : {}),
                            ...(o.argocd ? await healthOf(o.argocd, a.name, a.namespace) : {}),
                        })),
                );
                const gitVersion = applications.find((a) => a.version !== undefined)?.version;
                const succeeded = newestFirst.filter((r) =>
                    r.environments.some((x) => x.name === env.name && x.status === "Succeeded"),
                );
                const last =
                    gitVersion !== undefined ? succeeded.find((r) => r.version === gitVersion) : succeeded[0];
                const step = last?.environments.find((x) => x.name === env.name);
                const commit = step?.applications.find((a) => a.commitSha)?.commitSha;
                const version = gitVersion ?? last?.version;
                return {
                    name: env.name,
                    kind: env.kind,
                    ...(version !== undefined ? { version } : {}),
                    ...(commit ? { commit } : {}),
                    ...(last ? { release: last.id } : {}),
                    ...(step?.finishedAt ? { at: step.finishedAt } : {}),
                    applications,
                };
            }),
    );
    return { product: product.name, environments };
}

async function healthOf(config: ArgoCdConfig, name: string, namespace: string) {
    try {
        const app = await getApplication(config, { name, namespace }, AbortSignal.timeout(10_000));
        const st = app.status;
        return {
            ...(st?.health?.status ? { health: st.health.status } : {}),
            ...(st?.sync?.status ? { sync: st.sync.status } : {}),
            ...(st?.sync?.revision ? { revision: st.sync.revision } : {}),
        };
    } catch (e) {
        return { healthError: messageOf(e) };
    }
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
