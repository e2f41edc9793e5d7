import type { ResumeCommandOptions } from "../args";
import type { CliDeps } from "../context";
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
