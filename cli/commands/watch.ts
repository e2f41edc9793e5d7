import type { TriggerOutcome } from "../../engine/triggers/triggerWatcher";
import { messageOf } from "../../model/errors";
import type { WatchCommandOptions } from "./watch.args";
import type { CliDeps, Terminal } from "../context";
import { displayText } from "../display";
import { formatDuration } from "../../model/duration";
import { ProgressView } from "../progress";
import { startResumeLoop } from "./resume";

/** One line per commit the watcher looked at: the release it started, or why none. */
export function reportOutcomes(io: Terminal, outcomes: readonly TriggerOutcome[]): void {
    for (const o of outcomes) {
        const head = `${o.application} ${o.commit.slice(0, 12)} "${displayText(o.subject)}"`;
        io.out(
            o.releaseId
                ? `${head} → flow ${o.flow}: release ${o.releaseId} ${o.status}`
                : `${head}: ${o.skipped}`,
        );
    }
}

/**
 * `promote watch [--product P[,Q]] [--interval D] [--once]`: releases what new trigger commits call for and,
 * while it runs, resumes every 30 s the Suspended releases whose wait is over or whose promotionTimeoutLimit
 * ran out (DESIGN 3a.3), as `serve` does.
 */
export async function watch(
    opts: WatchCommandOptions,
    deps: Pick<CliDeps, "io" | "watcher" | "clock" | "stopSignal" | "engine">,
): Promise<number> {
    const { io } = deps;
    const view = new ProgressView(io, deps.clock);
    const watcher = await deps.watcher({
        ...(opts.products ? { products: opts.products } : {}),
        log: (line) => io.err(`[watch] ${displayText(line)}`),
        onProgress: view.handle,
        // The loop runs a resume loop beside it (below); `--once` waits for what it started, as before.
        ...(opts.once ? {} : { noWait: true }),
    });
    if (opts.once) {
        reportOutcomes(io, await watcher.pollOnce());
        return 0;
    }
    io.err(`[watch] polling every ${formatDuration(opts.intervalMs)}; Ctrl-C stops`);
    const resumer = startResumeLoop(await deps.engine(view.handle), {
        ...(opts.products ? { products: opts.products } : {}),
        intervalMs: opts.resumeIntervalMs ?? 30_000,
        log: (line) => io.err(`[watch] ${displayText(line)}`),
        onEnded: () => watcher.prompt(), // pushes that waited for the release's turn
    });
    try {
        await watcher.run({
            signal: deps.stopSignal(),
            intervalMs: opts.intervalMs,
            onOutcomes: (o) => reportOutcomes(io, o),
            onError: (e) => io.err(`[watch] poll failed: ${displayText(messageOf(e))}`),
        });
    } finally {
        await resumer.stop();
    }
    return 0;
}
