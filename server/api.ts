import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ProgressEvent } from "../engine/promoteEngine";
import type { ReleaseRecord } from "../engine/record/releaseRecord";
import { messageOf } from "../model/errors";
import type { ApiOptions, ServerEngine } from "./apiOptions";
import { addConsoleRoutes } from "./console";
import { defaultClassifier } from "./errors";
import { ReleaseEvents } from "./events";
import { addPermissionRoutes } from "./permissions";
import { addApprovalRoutes } from "./routes/approvals";
import type { RouteContext } from "./routes/common";
import { apiBase, errors } from "./routes/common";
import { addEnvironmentRoutes } from "./routes/environments";
import { addEventRoutes } from "./routes/events";
import { addGuards, createApiApp, visibility } from "./routes/guards";
import { addHoldRoutes } from "./routes/holds";
import { addMetricsRoutes } from "./routes/metrics";
import { addPreviewRoutes } from "./routes/preview";
import { addProductRoutes } from "./routes/products";
import { addReleaseActionRoutes } from "./routes/releaseActions";
import { addReleaseRoutes } from "./routes/releases";
import { addRunRoutes } from "./routes/runs";
import { addSessionRoutes } from "./routes/session";

/**
 * The JSON API under /api/v1: this file assembles it (the releases it started, the OpenAPI description; its
 * options are in server/apiOptions.ts). The error answers and access rules are in server/routes/guards.ts, each resource's routes in
 * server/routes/ (products, environments, holds, preview, releases, runs, release actions, approvals, events,
 * session, metrics), the permission routes in server/permissions.ts.
 */

export { apiBase } from "./routes/common";
export { environmentsOf } from "./routes/environments";
export { targetOf } from "./routes/preview";
export { productDetail } from "./routes/products";
export { workflowRuns } from "./routes/runs";
export type { ApiOptions, ServerEngine };

export interface Api {
    readonly app: OpenAPIHono;
    /** Give this to the engine as its `onProgress`: it feeds the event stream. */
    readonly progress: (e: ProgressEvent) => void;
    readonly events: ReleaseEvents;
    /** Resolves when every release this API started (or retried) has ended. */
    settled(): Promise<void>;
    close(): Promise<void>;
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

    const app = createApiApp(classify, base);
    addGuards(app, o);
    const release = (id: string) => o.engine.find(id);
    const visible = visibility(o);

    const context: RouteContext = { app, o, visible, track, runAgain, log };
    addConsoleRoutes(app, undefined, base);
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
