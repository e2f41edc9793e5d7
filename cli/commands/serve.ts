import * as fs from "fs";
import * as path from "path";
import type { ProgressEvent } from "../../engine/promoteEngine";
import { backendObjects, displayBackendUrl, fileUrlPath } from "../../engine/pulumi/stateBackend";
import { messageOf } from "../../model/errors";
import { isLoopback, newCsrfToken } from "../../server/access";
import { checkExposure, hasPermissionRules } from "../../server/auth/exposure";
import { Identity } from "../../server/auth/identify";
import { OidcVerifier } from "../../server/auth/oidc";
import type { FeatureState, ReadinessCheck } from "../../server/health";
import { Health } from "../../server/health";
import { ServiceMetrics } from "../../server/metrics";
import { PromotionsServer } from "../../server/server";
import type { ServeCommandOptions } from "./serve.args";
import type { Catalog } from "../../components/catalog";
import type { CliDeps, CliEngine } from "../context";
import { classifyError } from "../errors";
import { ProgressView } from "../progress";
import type { ServeLog } from "../serveLog";
import { jsonLog, textLog } from "../serveLog";
import { webhookPathOf } from "../../engine/triggers/webhookReceiver";
import type { BranchMoved, HostKind } from "../../provider/scm/scm";
import { startResumeLoop } from "./resume";
import { defaultShutdownGraceMs, RunningHere, ServeShutdown } from "./serveShutdown";
import { reportOutcomes } from "./watch";

/**
 * `promote serve [--port N] [--host H] [--insecure-no-auth] [--oidc-issuer URL --oidc-audience AUD]
 * [--trusted-proxy CIDR]... [--interval D] [--max-connections N] [--request-timeout D] [--idle-timeout D]`: the
 * one server. The JSON API, its OpenAPI description and the
 * event stream under /api/v1 (server/), every request identified first (server/auth: API tokens, OIDC JWTs,
 * a trusted proxy's headers), and push webhooks at /webhooks/<kind> (GitHub's at /webhooks/github, HMAC-verified
 * with PROMOTIONS_WEBHOOK_SECRET; the other hosts' with their hosts entry's secret, checked as each host
 * proves its deliveries; without a secret, webhooks are off and those paths answer 404), which make the
 * trigger watcher read the trigger branches. It reads them once at
 * start too (a new trigger application starts at its tip, so the first push after start is released; commits
 * that landed while it was down are caught up), and with --interval it keeps polling, so a missed webhook is
 * caught up. Suspended releases whose wait is over (an approval it
 * received, a window that opened) are resumed here (DESIGN 3a). On SIGTERM it stops taking work, hands its
 * waiting releases over and finishes what is under way within `--shutdown-grace` (serveShutdown.ts).
 */
export async function serve(
    opts: ServeCommandOptions,
    deps: Pick<CliDeps, "io" | "watcher" | "clock" | "stopSignal" | "engine" | "catalog"> &
        Partial<Pick<CliDeps, "tokens" | "system">>,
): Promise<number> {
    const { io } = deps;
    const log: ServeLog = opts.logFormat === "json" ? jsonLog(io) : textLog(io);
    const warning = checkExposure(opts.host, {
        insecureNoAuth: opts.insecureNoAuth === true,
        hasRules: hasPermissionRules(deps.catalog()),
    });
    if (warning) {
        log.warn("serve", warning);
    }
    const oidc = opts.oidc ? new OidcVerifier(opts.oidc) : undefined;
    // An issuer that cannot be reached (or names another issuer) stops the start: exit 3, with the reason.
    await oidc?.discover();
    const tokens = deps.tokens;
    const identity = new Identity({
        loopback: isLoopback(opts.host),
        ...(opts.insecureNoAuth ? { insecureNoAuth: true } : {}),
        ...(tokens ? { tokens: async () => (await tokens()).list() } : {}),
        ...(oidc ? { oidc } : {}),
        ...(opts.trustedProxies ? { trustedProxies: opts.trustedProxies } : {}),
    });
    const metrics = new ServiceMetrics();
    const runningHere = new RunningHere();
    const feeds: ((e: ProgressEvent) => void)[] = [
        log.progress ?? new ProgressView(io, deps.clock).handle,
        metrics.progress,
        runningHere.progress,
    ];
    const onProgress = (e: ProgressEvent) => feeds.forEach((f) => f(e));
    // Aborted on SIGTERM: the engines stop taking work and hand over their waits (serveShutdown.ts).
    const drain = new AbortController();
    const extras = {
        metrics,
        warn: (line: string) => log.warn("notifications", line),
        drain: drain.signal,
    };
    const watcher = await deps.watcher({
        ...(opts.products ? { products: opts.products } : {}),
        log: (line) => log.info("watch", line),
        onProgress,
        extras,
        noWait: true, // the resume loop below continues what waits
    });
    const engine = await deps.engine(onProgress, extras);
    // Suspended releases whose wait is over go on here: every 30 s, and right after a decision it received.
    const resumer = startResumeLoop(engine, {
        ...(opts.products ? { products: opts.products } : {}),
        intervalMs: opts.resumeIntervalMs ?? 30_000,
        log: (line) => log.info("serve", line),
        onEnded: () => watcher.prompt(), // pushes that waited for the release's turn
    });
    const health = new Health({
        checks: readinessChecks(opts, deps),
        features: [...features(opts), ...notificationFeatures(deps.catalog(), process.env)],
    });
    const server = new PromotionsServer({
        catalog: deps.catalog(),
        engine,
        onDecision: () => resumer.poke(),
        csrfToken: newCsrfToken(),
        identity,
        classify: (e) => classifyError(e),
        ...(opts.argocd ? { argocd: opts.argocd } : {}),
        ...(opts.git
            ? { git: { cacheDir: opts.git.cacheDir, credentials: { tokens: opts.git.tokens } } }
            : {}),
        log: (line) => log.info("serve", line),
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(opts.basePath ? { basePath: opts.basePath } : {}),
        metrics,
        health,
        ...(webhooksOn(opts)
            ? {
                  webhook: {
                      ...(opts.secret ? { secret: opts.secret } : {}),
                      ...(opts.webhookSecrets ? { secrets: opts.webhookSecrets } : {}),
                      onPush: (delivery: string, moved: readonly BranchMoved[]) => {
                          const what = moved.map(
                              (m) => `${m.branch} of ${m.repoURL} at ${m.sha.slice(0, 12)}`,
                          );
                          log.info(
                              "serve",
                              `push delivery ${delivery}: reading trigger branches` +
                                  (what.length > 0 ? ` (${what.join(", ")} moved)` : ""),
                          );
                          watcher.prompt();
                      },
                      log: (line: string) => log.warn("serve", line),
                      metrics,
                  },
              }
            : {}),
    });
    feeds.push(server.progress);
    const url = await server.listen(opts.port, opts.host);
    // Releases stored before this start (e.g. waiting for an approval) count in the gauges from the first scrape;
    // read before "listening" is said, so nothing of this start is still reading the state when callers come.
    await seedMetrics(engine, deps.catalog(), opts.products, metrics).catch((e: unknown) =>
        log.warn("serve", `metrics: stored releases not read (${messageOf(e)}); the gauges count from now`),
    );
    io.out(`listening on ${url}`);
    log.info("serve", identitySummary(opts, identity));
    log.info(
        "serve",
        `API ${url}/api/v1 (described at ${url}/api/v1/openapi.json)` +
            (webhooksOn(opts)
                ? `, webhooks ${webhookKinds(opts)
                      .map((k) => url + webhookPathOf(k))
                      .join(", ")}`
                : ""),
    );
    log.info("serve", `probes ${url}/healthz and ${url}/readyz; Prometheus metrics ${url}/api/v1/metrics`);
    if (!webhooksOn(opts)) {
        log.warn(
            "serve",
            `webhooks off: set PROMOTIONS_WEBHOOK_SECRET to the GitHub webhook's secret to take pushes at ${url}/webhooks/github`,
        );
    }
    const stop = deps.stopSignal();
    const watching = watcher.run({
        signal: stop,
        ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
        onOutcomes: (o) => reportOutcomes(io, o),
        onError: (e) => log.warn("serve", `poll failed: ${messageOf(e)}`),
    });
    const shutdown = new ServeShutdown(
        {
            health,
            server,
            drain,
            // The poll under way (and the releases it runs), the resume pass under way, the API's releases.
            work: () => [watching, resumer.stop(), server.api.settled()],
            graceMs: opts.shutdownGraceMs ?? defaultShutdownGraceMs,
            log: (line) => log.info("serve", line),
        },
        runningHere,
    );
    stop.addEventListener("abort", () => void shutdown.begin(), { once: true });
    try {
        await watching;
    } finally {
        // Stopped (the signal), or the watcher's loop failed: either way, the same orderly stop.
        await shutdown.begin();
    }
    return 0;
}

async function seedMetrics(
    engine: Pick<CliEngine, "releases">,
    catalog: Catalog,
    products: readonly string[] | undefined,
    metrics: ServiceMetrics,
): Promise<void> {
    for (const p of catalog.products.filter((x) => !products || products.includes(x.name))) {
        metrics.seed(await engine.releases(p.name, { current: true }));
    }
}

/** What `/readyz` checks: the state backend answers, the definitions load, the engine is found. */
function readinessChecks(
    opts: ServeCommandOptions,
    deps: Partial<Pick<CliDeps, "system">>,
): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [];
    const r = opts.readiness;
    if (r) {
        const shown = displayBackendUrl(r.stateUrl);
        checks.push({
            name: "state backend",
            check: async () => {
                if (r.stateUrl.startsWith("file://")) {
                    // Created by the first release: until then its nearest parent must be writable.
                    let dir = fileUrlPath(r.stateUrl);
                    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) {
                        dir = path.dirname(dir);
                    }
                    try {
                        fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
                    } catch (e) {
                        throw new Error(`${shown}: ${messageOf(e)}; fix: check the --state directory`);
                    }
                    return `${shown} (writable)`;
                }
                const objects = backendObjects(r.stateUrl);
                if (!objects) {
                    return `${shown} (not checked here: the engine reaches it when a release runs)`;
                }
                try {
                    await objects.list(".pulumi/");
                } catch (e) {
                    throw new Error(
                        `${shown}: ${messageOf(e)}; fix: check that the server is up at the URL's host and port, the database and the credentials`,
                    );
                }
                return `${shown} (answers)`;
            },
        });
        checks.push({
            name: "definitions",
            check: async () => {
                const { loadCatalog } = await import("../../components/config");
                const catalog = loadCatalog(r.configPath, {
                    ...(r.applicationNamespace ? { applicationNamespace: r.applicationNamespace } : {}),
                });
                return `${r.configPath}: ${catalog.products.length} product(s)`;
            },
        });
    }
    const system = deps.system;
    if (system) {
        checks.push({
            name: "engine",
            check: async () => {
                const engine = await system.locateEngine();
                try {
                    fs.accessSync(engine.pulumi, fs.constants.X_OK);
                } catch (e) {
                    throw new Error(`${engine.pulumi}: ${messageOf(e)}; fix: run 'bash scripts/install.sh'`);
                }
                return `pulumi ${engine.version} (${engine.pulumi})`;
            },
        });
    }
    return checks;
}

/** Webhooks are on when GitHub's secret or a hosts entry's is set. */
function webhooksOn(opts: ServeCommandOptions): boolean {
    return webhookKinds(opts).length > 0;
}

/** The host kinds whose deliveries are taken. */
function webhookKinds(opts: ServeCommandOptions): HostKind[] {
    const kinds = new Set<HostKind>(opts.secret ? ["github"] : []);
    for (const [k, secrets] of Object.entries(opts.webhookSecrets ?? {})) {
        if ((secrets?.length ?? 0) > 0) {
            kinds.add(k as HostKind);
        }
    }
    return [...kinds];
}

/** Features an optional secret or setting turns on: listed in `/readyz`'s details (never the secret). */
function features(opts: ServeCommandOptions): FeatureState[] {
    const tokens = Object.keys(opts.git?.tokens ?? {});
    return [
        {
            name: "webhooks",
            on: webhooksOn(opts),
            detail: webhooksOn(opts)
                ? `push webhooks at ${webhookKinds(opts).map(webhookPathOf).join(", ")}`
                : "off: PROMOTIONS_WEBHOOK_SECRET is not set",
        },
        {
            name: "git host tokens",
            on: tokens.length > 0,
            detail:
                tokens.length > 0
                    ? `tokens for ${tokens.join(", ")}`
                    : "none: PROMOTIONS_GIT_TOKEN(S) is not set; http(s) remotes are read without credentials",
        },
        {
            name: "oidc",
            on: opts.oidc !== undefined,
            detail: opts.oidc ? `JWTs from ${opts.oidc.issuer}` : "off: no --oidc-issuer",
        },
        {
            name: "argocd",
            on: opts.argocd !== undefined,
            detail: opts.argocd ? "health and sync from Argo CD" : "off: PROMOTIONS_ARGOCD_URL is not set",
        },
    ];
}

/**
 * Each notification that signs its events: off while its `secretEnv` is unset (the notifier then sends none of
 * its events, and says so once), named with the variable, never its value.
 */
export function notificationFeatures(
    catalog: Pick<Catalog, "promotionNotifications">,
    env: Readonly<Record<string, string | undefined>>,
): FeatureState[] {
    return (catalog.promotionNotifications ?? []).map((n) => {
        const missing = n.secretEnv !== undefined && !env[n.secretEnv];
        return {
            name: `notification ${n.name}`,
            on: !missing,
            detail: missing ? `off: ${n.secretEnv} (secretEnv) is not set` : "on",
        };
    });
}

/** One line on how the server identifies requests. */
function identitySummary(opts: ServeCommandOptions, identity: Identity): string {
    const sources = [
        "API tokens ('promote token create')",
        ...(opts.oidc ? [`OIDC JWTs from ${opts.oidc.issuer} for audience ${opts.oidc.audience}`] : []),
        ...(opts.trustedProxies ? [`X-Forwarded-User from ${opts.trustedProxies.join(", ")}`] : []),
    ];
    const anonymous = identity.anonymous
        ? `requests without credentials act as "${identity.anonymous.user}"`
        : "requests without credentials get 401";
    return `identities: ${sources.join("; ")}; ${anonymous}`;
}
