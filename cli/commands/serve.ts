import type { ProgressEvent } from "../../engine/promoteEngine";
import { messageOf } from "../../model/errors";
import { isLoopback, newCsrfToken } from "../../server/access";
import { checkExposure, hasPermissionRules } from "../../server/auth/exposure";
import { Identity } from "../../server/auth/identify";
import { OidcVerifier } from "../../server/auth/oidc";
import { PromotionsServer } from "../../server/server";
import type { ServeCommandOptions } from "./serve.args";
import type { CliDeps } from "../context";
import { displayText } from "../display";
import { classifyError } from "../errors";
import { ProgressView } from "../progress";
import { startResumeLoop } from "./resume";
import { reportOutcomes } from "./watch";

/**
 * `promote serve [--port N] [--host H] [--insecure-no-auth] [--oidc-issuer URL --oidc-audience AUD]
 * [--trusted-proxy CIDR]... [--interval D] [--max-connections N] [--request-timeout D] [--idle-timeout D]`: the
 * one server. The JSON API, its OpenAPI description and the
 * event stream under /api/v1 (server/), every request identified first (server/auth: API tokens, OIDC JWTs,
 * a trusted proxy's headers), and GitHub push webhooks at /webhooks/github (HMAC-verified with
 * PROMOTIONS_WEBHOOK_SECRET; without a secret, webhooks are off and that path answers 404), which make the
 * trigger watcher read the trigger branches. It reads them once at
 * start too (a new trigger application starts at its tip, so the first push after start is released; commits
 * that landed while it was down are caught up), and with --interval it keeps polling, so a missed webhook is
 * caught up. Suspended releases whose wait is over (an approval it
 * received, a window that opened) are resumed here (DESIGN 3a).
 */
export async function serve(
    opts: ServeCommandOptions,
    deps: Pick<CliDeps, "io" | "watcher" | "clock" | "stopSignal" | "engine" | "catalog"> &
        Partial<Pick<CliDeps, "tokens">>,
): Promise<number> {
    const { io } = deps;
    const warning = checkExposure(opts.host, {
        insecureNoAuth: opts.insecureNoAuth === true,
        hasRules: hasPermissionRules(deps.catalog()),
    });
    if (warning) {
        io.err(warning);
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
    const view = new ProgressView(io, deps.clock);
    const feeds: ((e: ProgressEvent) => void)[] = [view.handle];
    const onProgress = (e: ProgressEvent) => feeds.forEach((f) => f(e));
    const watcher = await deps.watcher({
        ...(opts.products ? { products: opts.products } : {}),
        log: (line) => io.err(`[watch] ${displayText(line)}`),
        onProgress,
    });
    const engine = await deps.engine(onProgress);
    // Suspended releases whose wait is over go on here: every 30 s, and right after a decision it received.
    const resumer = startResumeLoop(engine, {
        ...(opts.products ? { products: opts.products } : {}),
        intervalMs: opts.resumeIntervalMs ?? 30_000,
        log: (line) => io.err(`[serve] ${displayText(line)}`),
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
        log: (line) => io.err(`[serve] ${displayText(line)}`),
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(opts.secret
            ? {
                  webhook: {
                      secret: opts.secret,
                      onPush: (delivery: string) => {
                          io.err(`[serve] push delivery ${delivery}: reading trigger branches`);
                          watcher.prompt();
                      },
                      log: (line: string) => io.err(`[serve] ${line}`),
                  },
              }
            : {}),
    });
    feeds.push(server.progress);
    const url = await server.listen(opts.port, opts.host);
    io.out(`listening on ${url}`);
    io.err(`[serve] ${identitySummary(opts, identity)}`);
    io.err(
        `[serve] API ${url}/api/v1 (described at ${url}/api/v1/openapi.json)` +
            (opts.secret ? `, webhooks ${url}/webhooks/github` : ""),
    );
    if (!opts.secret) {
        io.err(
            `[serve] webhooks off: set PROMOTIONS_WEBHOOK_SECRET to the GitHub webhook's secret to take pushes at ${url}/webhooks/github`,
        );
    }
    try {
        await watcher.run({
            signal: deps.stopSignal(),
            ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
            onOutcomes: (o) => reportOutcomes(io, o),
            onError: (e) => io.err(`[serve] poll failed: ${displayText(messageOf(e))}`),
        });
    } finally {
        await resumer.stop();
        await server.close();
    }
    return 0;
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
