import { GitHubWebhookReceiver } from "../../engine/triggers/webhookReceiver";
import { messageOf } from "../../model/errors";
import type { ServeCommandOptions } from "../args";
import type { CliDeps } from "../context";
import { displayText } from "../display";
import { ProgressView } from "../progress";
import { reportOutcomes } from "./watch";

/**
 * `promote serve [--port N] [--host H] [--interval D]`: accepts GitHub push webhooks at /webhooks/github
 * (HMAC-verified with PROMOTIONS_WEBHOOK_SECRET) and reads the trigger branches when one arrives; with
 * --interval it also polls, so a missed webhook is caught up.
 */
export async function serve(
    opts: ServeCommandOptions,
    deps: Pick<CliDeps, "io" | "watcher" | "clock" | "stopSignal">,
): Promise<number> {
    const { io } = deps;
    const view = new ProgressView(io, deps.clock);
    const watcher = await deps.watcher({
        ...(opts.products ? { products: opts.products } : {}),
        log: (line) => io.err(`[watch] ${displayText(line)}`),
        onProgress: view.handle,
    });
    const receiver = new GitHubWebhookReceiver({
        secret: opts.secret,
        onPush: (delivery) => {
            io.err(`[serve] push delivery ${delivery}: reading trigger branches`);
            watcher.prompt();
        },
        log: (line) => io.err(`[serve] ${line}`),
    });
    const url = await receiver.listen(opts.port, opts.host);
    io.out(`listening on ${url}`);
    try {
        await watcher.run({
            signal: deps.stopSignal(),
            immediate: false,
            ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
            onOutcomes: (o) => reportOutcomes(io, o),
            onError: (e) => io.err(`[serve] poll failed: ${displayText(messageOf(e))}`),
        });
    } finally {
        await receiver.close();
    }
    return 0;
}
