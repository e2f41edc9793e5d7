import type { ResumeCommandOptions } from "./resume.args";
import { messageOf } from "../../model/errors";
import type { CliDeps, CliEngine } from "../context";
import { printRelease } from "../output";
import { exitCodeOf, printWaiting, runWithProgress } from "./run";

/**
 * `promote resume [ID] [--product P[,Q]] [--no-wait]`: continues one Suspended release that no process holds,
 * or every one whose wait is over (approved or rejected, window open, soak done). Exit code: the worst of
 * the releases resumed (0 when none was ready).
 */
export async function resume(
    opts: ResumeCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    const noWait = opts.noWait ? { noWait: true } : {};
    if (opts.id) {
        const id = opts.id;
        return runWithProgress(deps, opts.json, (engine) => engine.resume(id, noWait));
    }
    const records = await (
        await deps.engine()
    ).resumeReady({ ...(opts.products ? { products: opts.products } : {}), ...noWait });
    if (opts.json) {
        deps.io.out(
            JSON.stringify(
                records.map((r) => ({ id: r.id, status: r.status })),
                null,
                2,
            ),
        );
    } else if (records.length === 0) {
        deps.io.out("no Suspended release is ready to resume");
    }
    for (const r of records) {
        if (!opts.json) {
            printRelease(deps.io, r, false, deps.clock.now());
        }
        printWaiting(deps.io, r, deps.clock.now());
    }
    return records.reduce((worst, r) => {
        const code = exitCodeOf(r);
        return code === 1 || worst === 1 ? 1 : Math.max(worst, code);
    }, 0);
}

/** The loop `serve` runs: resumes what is ready every `intervalMs`, and at once when poked (a decision). */
export interface ResumeLoop {
    /** Look again now (or right after the pass under way). */
    poke(): void;
    /** Stops the loop; resolves once the pass under way (if any) has ended. */
    stop(): Promise<void>;
}

/**
 * Starts resuming the Suspended releases of `products` whose wait is over (approved or rejected, window open,
 * soak done), without waiting in them (`noWait`: a release that must wait again is left Suspended, and
 * resumed on a later pass). One pass at a time; a pass's errors are logged, never thrown.
 */
export function startResumeLoop(
    engine: Pick<CliEngine, "resumeReady">,
    o: {
        readonly products?: readonly string[];
        readonly intervalMs: number;
        readonly log: (line: string) => void;
        /** Some release this pass resumed has ended (the trigger watcher polls again: its turn is free). */
        readonly onEnded?: () => void;
    },
): ResumeLoop {
    let stopped = false;
    let again = false;
    let pass: Promise<void> | undefined;
    const run = (): void => {
        if (stopped) {
            return;
        }
        if (pass) {
            again = true;
            return;
        }
        pass = (async () => {
            do {
                again = false;
                try {
                    const resumed = await engine.resumeReady({
                        ...(o.products ? { products: o.products } : {}),
                        noWait: true,
                    });
                    for (const r of resumed) {
                        o.log(`resumed release ${r.id}: ${r.status}${r.waitKind ? ` (${r.waitKind})` : ""}`);
                    }
                    if (resumed.some((r) => r.status !== "Suspended")) {
                        o.onEnded?.();
                    }
                } catch (e) {
                    o.log(`resuming waiting releases failed: ${messageOf(e)}`);
                }
            } while (again && !stopped);
        })().finally(() => (pass = undefined));
    };
    const timer = setInterval(run, o.intervalMs);
    timer.unref?.();
    run();
    return {
        poke: run,
        stop: async () => {
            stopped = true;
            clearInterval(timer);
            await pass;
        },
    };
}
