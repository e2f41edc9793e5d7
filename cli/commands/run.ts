import type { ReleaseRecord } from "../../engine/releaseRecord";
import type { CliDeps, CliEngine } from "../context";
import { printRelease } from "../output";
import { ProgressView } from "../progress";

/** The exit code of a finished release: 0 Succeeded, 1 Failed or Terminated. */
export const exitCodeOf = (record: ReleaseRecord): number => (record.status === "Succeeded" ? 0 : 1);

/**
 * Runs a release with live progress on stderr, then prints it (JSON or formatted) and returns its exit code.
 * Shared by `trigger`, `promote` and `retry`.
 */
export async function runWithProgress(
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
    json: boolean,
    start: (engine: CliEngine) => Promise<ReleaseRecord>,
): Promise<number> {
    const view = new ProgressView(deps.io, deps.clock);
    try {
        const record = await start(await deps.engine(view.handle));
        view.stop();
        printRelease(deps.io, record, json, deps.clock.now());
        return exitCodeOf(record);
    } finally {
        view.stop();
    }
}
