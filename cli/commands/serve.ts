import type { ProgressEvent } from "../../engine/promoteEngine";
import { messageOf } from "../../model/errors";
import { checkBind, newCsrfToken } from "../../server/access";
import { PromotionsServer } from "../../server/server";
import type { ServeCommandOptions } from "../args";
import type { CliDeps } from "../context";
import { displayText } from "../display";
import { classifyError } from "../errors";
import { ProgressView } from "../progress";
import { startResumeLoop } from "./resume";
import { reportOutcomes } from "./watch";

/**
 * `promote serve [--port N] [--host H] [--insecure-no-auth] [--interval D]`: the one server. The JSON API,
 * its OpenAPI description and the event stream under /api/v1 (server/), and GitHub push webhooks at
 * /webhooks/github (HMAC-verified with PROMOTIONS_WEBHOOK_SECRET), which make the trigger watcher read the
 * trigger branches; with --interval it also polls, so a missed webhook is caught up. Suspended releases whose
 * wait is over (an approval it received, a window that opened) are resumed here (DESIGN 3a).
 */
export async function serve(
    opts: ServeCommandOptions,
    deps: Pick<CliDeps, "io" | "watcher" | "clock" | "stopSignal" | "engine" | "catalog">,
): Promise<number> {
    const { io } = deps;
    const warning = checkBind(opts.host, opts.insecureNoAuth === true);
    if (warning) {
        io.err(warning);
    }
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
        classify: (e) => classifyError(e),
        ...(opts.argocd ? { argocd: opts.argocd } : {}),
        ...(opts.git
            ? { git: { cacheDir: opts.git.cacheDir, credentials: { tokens: opts.git.tokens } } }
            : {}),
        log: (line) => io.err(`[serve] ${displayText(line)}`),
        webhook: {
            secret: opts.secret,
            onPush: (delivery) => {
                io.err(`[serve] push delivery ${delivery}: reading trigger branches`);
                watcher.prompt();
            },
            log: (line) => io.err(`[serve] ${line}`),
        },
    });
    feeds.push(server.progress);
    const url = await server.listen(opts.port, opts.host);
    io.out(`listening on ${url}`);
    io.err(
        `[serve] API ${url}/api/v1 (described at ${url}/api/v1/openapi.json), webhooks ${url}/webhooks/github`,
    );
    try {
        await watcher.run({
            signal: deps.stopSignal(),
            immediate: false,
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
