import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { Catalog } from "../components/catalog";
import type { Authorization, PermissionScope } from "../components/promotionPermission.authorize";
import { authorize, authorizeAll } from "../components/promotionPermission.authorize";
import type { PolicyFields } from "../components/promotionPolicy";
import { describeOverrides } from "../components/promotionPolicy.merge";
import { overridesOf } from "../engine/governance/policyOverrides";
import type { ReleaseRecord } from "../engine/record/releaseRecord";
import type { PermissionAction } from "../model/permissions";
import type { Subject } from "../model/subject";
import { apiError, ApiRefusal } from "./errors";
import * as s from "./schemas";

/**
 * Who may call what (issue 16; README "Permissions and approvals"): every call under /api/v1 is mapped by
 * {@link routePermissions} to a permission action and the scopes it acts on, and the catalog's
 * PromotionPermission rules decide (components/promotionPermission.authorize.ts). A refusal is 403 `forbidden`
 * naming the rule that is missing. Lists (GET /products, GET /releases, the event stream) show only what the
 * subject may view. With no rules every call is allowed (a loopback server).
 */

/** Who calls when nothing identified them: the local user on a loopback server. */
export const loopbackSubject: Subject = { user: "local", groups: [], via: "loopback" };

/** Finds who is calling: a request's identity (set by the identity middleware as `subject`), or the hook's. */
export type Identify = (c: Context) => Subject | undefined;

/** The subject of a request: `identify`'s, else the context's `subject` variable, else {@link loopbackSubject}. */
export function subjectOf(c: Context, identify?: Identify): Subject {
    return (
        identify?.(c) ??
        ((c.get as (key: string) => unknown)("subject") as Subject | undefined) ??
        loopbackSubject
    );
}

/** One action on one or more scopes: each scope must be allowed. */
export interface Requirement {
    readonly action: PermissionAction;
    readonly scopes: readonly PermissionScope[];
    /** What the call asks that needs it, appended to a refusal (the overridden fields). */
    readonly detail?: string;
}

/** The policy fields a POST /releases body chooses (only strings count: the route refuses anything else). */
function chosenFields(body: Record<string, unknown>): PolicyFields {
    const pick = (k: string) => (typeof body[k] === "string" ? { [k]: body[k] } : {});
    return { ...pick("action"), ...pick("preAction"), ...pick("postAction") } as PolicyFields;
}

/** What a row reads to work out what a call needs. */
export interface GuardInput {
    readonly catalog: Catalog;
    /** The path parameters of the row's pattern (`:id` → `params.id`). */
    readonly params: Readonly<Record<string, string>>;
    readonly c: Context;
    /** A release's record (the engine's find); throws for an unknown id (the route then answers 404). */
    readonly release: (id: string) => Promise<ReleaseRecord>;
}

/**
 * One row of the table: a method and a path pattern under /api/v1 (`/releases/:id/retry`), and what the call
 * needs: `"open"` (anyone; the route filters what it shows, or shows nothing of a product), or requirements.
 * An `undefined` answer lets the route answer its own 400/404 (a body that does not parse, an unknown id).
 */
export interface RoutePermission {
    readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
    readonly path: string;
    readonly needs: "open" | ((g: GuardInput) => Promise<readonly Requirement[] | undefined>);
}

const view = (product: string | undefined): Requirement[] | undefined =>
    product === undefined ? undefined : [{ action: "view", scopes: [{ product }] }];

/** What the permissions read of a release: its product, flow and environments. */
export interface ReleaseShape {
    readonly id?: string;
    readonly product: string;
    readonly flow: string;
    readonly environments: readonly { readonly name: string }[];
}

/** Each environment a release promotes to, with its product and flow (a flow the catalog defines). */
export function releaseScopes(catalog: Catalog, r: ReleaseShape) {
    const flow = catalog.promotionFlows.some((f) => f.name === r.flow) ? r.flow : undefined;
    return r.environments.map((e) => ({
        product: r.product,
        environment: e.name,
        ...(flow !== undefined ? { flow } : {}),
    }));
}

/** Each environment a flow promotes to (its steps; the trigger environment is only read). */
export function flowScopes(catalog: Catalog, product: string, flow: string): PermissionScope[] {
    const f = catalog.promotionFlows.find((x) => x.name === flow);
    return f ? f.steps.map((st) => ({ product, flow, environment: st.environment })) : [{ product, flow }];
}

/** A row's needs: `action` on every environment of the release `:id`. */
export const onRelease =
    (action: PermissionAction) =>
    async (g: GuardInput): Promise<Requirement[]> => [
        { action, scopes: releaseScopes(g.catalog, await g.release(g.params.id)) },
    ];

/**
 * A row's needs: `action` on one environment of the release `:id`, named by the body's or the query's
 * `environment` (an approval: `POST /releases/:id/approve {environment}`); without one, every environment of it.
 */
export const onReleaseEnvironment =
    (action: PermissionAction) =>
    async (g: GuardInput): Promise<Requirement[]> => {
        const record = await g.release(g.params.id);
        const body = (await g.c.req.json().catch(() => undefined)) as { environment?: unknown } | undefined;
        const environment =
            typeof body?.environment === "string" ? body.environment : g.c.req.query("environment");
        const scopes = releaseScopes(g.catalog, record);
        const one = scopes.filter((sc) => sc.environment === environment);
        return [{ action, scopes: one.length > 0 ? one : scopes }];
    };

/**
 * Every call of the API and what it needs. Adding a route is adding its row here (a route without a row is
 * refused while rules exist). The approval routes, for instance:
 * `{ method: "POST", path: "/releases/:id/approve", needs: onReleaseEnvironment("approve") }`.
 */
export const routePermissions: RoutePermission[] = [
    { method: "GET", path: "/session", needs: "open" },
    { method: "GET", path: "/openapi.json", needs: "open" },
    { method: "GET", path: "/events", needs: "open" },
    { method: "GET", path: "/permissions", needs: "open" },
    { method: "GET", path: "/products", needs: "open" },
    // The metrics name every product: a view of each.
    {
        method: "GET",
        path: "/metrics",
        needs: async (g) => g.catalog.products.flatMap((p) => view(p.name) ?? []),
    },
    { method: "GET", path: "/products/:product", needs: async (g) => view(g.params.product) },
    { method: "GET", path: "/products/:product/environments", needs: async (g) => view(g.params.product) },
    { method: "GET", path: "/products/:product/preview", needs: async (g) => view(g.params.product) },
    { method: "GET", path: "/releases", needs: async (g) => view(g.c.req.query("product")) ?? [] },
    {
        method: "GET",
        path: "/releases/:id",
        needs: async (g) => view((await g.release(g.params.id)).product),
    },
    {
        method: "GET",
        path: "/releases/:id/runs/:runId/log",
        needs: async (g) => view((await g.release(g.params.id)).product),
    },
    {
        // A flow is its own permission (Codefresh's "Trigger promotion flow"): trigger on every environment it
        // promotes to, no promote needed. One environment outside a flow: promote to it.
        method: "POST",
        path: "/releases",
        needs: async (g) => {
            const body = (await g.c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
            const product = typeof body?.product === "string" ? body.product : undefined;
            if (product === undefined) {
                return undefined;
            }
            if (typeof body?.flow === "string") {
                return [{ action: "trigger", scopes: flowScopes(g.catalog, product, body.flow) }];
            }
            if (typeof body?.to === "string") {
                const scopes = [{ product, environment: body.to }];
                const overrides = overridesOf(g.catalog, product, body.to, chosenFields(body));
                return [
                    { action: "promote", scopes },
                    // Choosing another gate than the environment's policy is a permission of its own.
                    ...(overrides.length > 0
                        ? [
                              {
                                  action: "override-policy" as const,
                                  scopes,
                                  detail: describeOverrides(overrides),
                              },
                          ]
                        : []),
                ];
            }
            return undefined;
        },
    },
    { method: "POST", path: "/releases/:id/retry", needs: onRelease("retry") },
    { method: "POST", path: "/releases/:id/terminate", needs: onRelease("terminate") },
    { method: "POST", path: "/releases/:id/approve", needs: onReleaseEnvironment("approve") },
    { method: "POST", path: "/releases/:id/reject", needs: onReleaseEnvironment("approve") },
    { method: "POST", path: "/releases/:id/resume", needs: onRelease("resume") },
    { method: "GET", path: "/me", needs: "open" },
    { method: "GET", path: "/products/:product/holds", needs: async (g) => view(g.params.product) },
];

/** `/releases/:id/retry` as a regular expression with named groups. */
function patternOf(path: string): RegExp {
    const escaped = path
        .split("/")
        .map((seg) =>
            seg.startsWith(":") ? `(?<${seg.slice(1)}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
        )
        .join("/");
    return new RegExp(`^${escaped}/?$`);
}

/**
 * The method whose row guards a call: HEAD is answered by the GET handler (it runs the GET route and drops the
 * body), so it needs exactly what GET needs.
 */
export function guardedMethod(method: string): string {
    const m = method.toUpperCase();
    return m === "HEAD" ? "GET" : m;
}

/** A path parameter decoded; as it came when it does not decode (the API answers such paths 400 first). */
function decodeOr(v: string): string {
    try {
        return decodeURIComponent(v);
    } catch {
        return v;
    }
}

/** The row for a call, with its path parameters. */
export function matchRoute(
    table: readonly RoutePermission[],
    method: string,
    path: string,
): { row: RoutePermission; params: Record<string, string> } | undefined {
    const asked = guardedMethod(method);
    for (const row of table) {
        const m = row.method === asked ? patternOf(row.path).exec(path) : null;
        if (m) {
            const params: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.groups ?? {})) {
                params[k] = decodeOr(v);
            }
            return { row, params };
        }
    }
    return undefined;
}

/** May the subject see anything of this product? */
export function mayView(catalog: Catalog, subject: Subject, product: string): boolean {
    return authorize(catalog, subject, "view", { product }).allowed;
}

/** Whether every requirement is allowed: the first refusal, else allowed. */
export function check(catalog: Catalog, subject: Subject, needs: readonly Requirement[]): Authorization {
    for (const n of needs) {
        const a = authorizeAll(catalog, subject, n.action, n.scopes);
        if (!a.allowed) {
            return n.detail !== undefined
                ? { allowed: false, reason: `${a.reason} (asked: ${n.detail})` }
                : a;
        }
    }
    return { allowed: true };
}

export interface GuardOptions {
    readonly catalog: Catalog;
    readonly base: string;
    readonly release: (id: string) => Promise<ReleaseRecord>;
    readonly identify?: Identify;
    readonly table?: readonly RoutePermission[];
    /** The app whose routes exist: a call to a route with no row is refused while rules exist (else 404). */
    readonly app: OpenAPIHono;
}

/** The middleware enforcing {@link routePermissions} on every call under `base`. */
export function permissionGuard(o: GuardOptions): MiddlewareHandler {
    const table = o.table ?? routePermissions;
    const forbidden = (c: Context, reason: string) => {
        const { status, body } = apiError(new ApiRefusal(403, "forbidden", reason));
        return c.json(body, status);
    };
    return async (c, next) => {
        if ((o.catalog.permissions ?? []).length === 0) {
            await next();
            return undefined;
        }
        const path = c.req.path.slice(o.base.length) || "/";
        const found = matchRoute(table, c.req.method, path);
        if (!found) {
            const exists = o.app.routes.some(
                (r) =>
                    r.method === guardedMethod(c.req.method) &&
                    r.path !== `${o.base}/*` &&
                    patternOf(r.path).test(c.req.path),
            );
            if (exists) {
                return forbidden(
                    c,
                    `${c.req.method} ${c.req.path} has no permission row: add it to routePermissions in server/permissions.ts`,
                );
            }
            await next();
            return undefined;
        }
        if (found.row.needs !== "open") {
            let needs: readonly Requirement[] | undefined;
            try {
                needs = await found.row.needs({
                    catalog: o.catalog,
                    params: found.params,
                    c,
                    release: o.release,
                });
            } catch {
                needs = undefined; // an unknown release: the route answers 404
            }
            if (needs !== undefined) {
                const a = check(o.catalog, subjectOf(c, o.identify), needs);
                if (!a.allowed) {
                    return forbidden(c, a.reason);
                }
            }
        }
        await next();
        return undefined;
    };
}

/** The actions the console asks about per environment, per flow and per release. */
export const environmentActions = [
    "promote",
    "approve",
    "hold",
    "rollback",
    "override-window",
    "override-policy",
] as const satisfies readonly PermissionAction[];
export const flowActions = ["trigger"] as const satisfies readonly PermissionAction[];
export const releaseActions = [
    "retry",
    "resume",
    "terminate",
    "approve",
] as const satisfies readonly PermissionAction[];

const decision = (a: Authorization) =>
    a.allowed
        ? { allowed: true, ...(a.rule !== undefined ? { rule: a.rule } : {}) }
        : { allowed: false, reason: a.reason };

function decisions<A extends PermissionAction>(actions: readonly A[], decide: (a: A) => Authorization) {
    return Object.fromEntries(actions.map((a) => [a, decision(decide(a))])) as Record<
        A,
        ReturnType<typeof decision>
    >;
}

/**
 * GET /permissions: what the subject may do, for the console to disable what it may not (with the reason as
 * the tooltip). With `product`, per environment and per flow; with `release` (a record, or a product, flow and
 * environments), on that release too.
 */
export function permissionsOf(
    catalog: Catalog,
    subject: Subject,
    q: { product?: string; release?: ReleaseShape },
) {
    const products = catalog.products.filter((p) => mayView(catalog, subject, p.name)).map((p) => p.name);
    const name = q.release?.product ?? q.product;
    const product = name !== undefined ? catalog.products.find((p) => p.name === name) : undefined;
    const envNames = new Set(product?.applications.map((a) => a.environment) ?? []);
    return {
        subject: { user: subject.user, groups: [...subject.groups], via: subject.via },
        rules: (catalog.permissions ?? []).length,
        products,
        ...(product
            ? {
                  product: product.name,
                  environments: catalog.environments
                      .filter((e) => envNames.has(e.name))
                      .map((e) => ({
                          name: e.name,
                          kind: e.kind,
                          actions: decisions(environmentActions, (a) =>
                              authorize(catalog, subject, a, { product: product.name, environment: e.name }),
                          ),
                      })),
                  flows: product.promotionFlows.map((f) => ({
                      name: f.name,
                      actions: decisions(flowActions, (a) =>
                          authorizeAll(catalog, subject, a, flowScopes(catalog, product.name, f.name)),
                      ),
                  })),
              }
            : {}),
        ...(q.release
            ? {
                  release: {
                      ...(q.release.id !== undefined ? { id: q.release.id } : {}),
                      actions: decisions(releaseActions, (a) =>
                          authorizeAll(catalog, subject, a, releaseScopes(catalog, q.release!)),
                      ),
                  },
              }
            : {}),
    };
}

/** Adds GET /permissions to the app. */
export function addPermissionRoutes(
    app: OpenAPIHono,
    o: {
        readonly catalog: Catalog;
        readonly base: string;
        readonly identify?: Identify;
        readonly release: (id: string) => Promise<ReleaseRecord>;
        readonly errors: Record<number, unknown>;
    },
): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${o.base}/permissions`,
            summary:
                "What the caller may do: per environment and flow of a product (and on a release), allowed with the rule or refused with the reason",
            request: {
                query: z.object({
                    product: z.string().min(1).optional(),
                    release: z.string().min(1).optional().openapi({ description: "A release's id" }),
                    flow: z.string().min(1).optional(),
                    environments: z.string().min(1).optional().openapi({
                        description:
                            "With product and flow: a release's environments, comma-separated (what the console shows, without reading the record again)",
                    }),
                }),
            },
            responses: {
                200: {
                    description: "The caller's permissions",
                    content: { "application/json": { schema: s.Permissions } },
                },
                403: o.errors[403] as never,
                404: o.errors[404] as never,
            },
        }),
        (async (c: Context) => {
            const subject = subjectOf(c, o.identify);
            const product = c.req.query("product");
            const id = c.req.query("release");
            const flow = c.req.query("flow");
            const envs = c.req.query("environments");
            const release: ReleaseShape | undefined =
                id !== undefined
                    ? await o.release(id)
                    : product !== undefined && envs !== undefined
                      ? { product, flow: flow ?? "", environments: envs.split(",").map((name) => ({ name })) }
                      : undefined;
            const name = release?.product ?? product;
            if (name !== undefined) {
                if (!o.catalog.products.some((p) => p.name === name)) {
                    const { status, body } = apiError(
                        new ApiRefusal(404, "not_found", `unknown product "${name}"`, `Product "${name}"`),
                    );
                    return c.json(body, status);
                }
                const a = authorize(o.catalog, subject, "view", { product: name });
                if (!a.allowed) {
                    const { status, body } = apiError(new ApiRefusal(403, "forbidden", a.reason));
                    return c.json(body, status);
                }
            }
            return c.json(
                permissionsOf(o.catalog, subject, {
                    ...(product ? { product } : {}),
                    ...(release ? { release } : {}),
                }),
                200,
            );
        }) as never,
    );
}
