import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import { describeWaits } from "../../engine/governance/approvals";
import { exitCodes } from "../../model/errors";
import type { CliDeps, CliEngine, Terminal } from "../context";
import { displayText } from "../display";
import { printRelease } from "../output";
import { ProgressView } from "../progress";

/** The exit code of a release as a command left it: 0 Succeeded, 4 Suspended (`--no-wait`), else 1. */
export const exitCodeOf = (record: ReleaseRecord): number =>
    record.status === "Succeeded" ? 0 : record.status === "Suspended" ? exitCodes.waiting : 1;

/** For a release left Suspended: what it waits for and the command that continues it (on stderr). */
export function printWaiting(io: Terminal, record: ReleaseRecord, now: number): void {
    if (record.status !== "Suspended") {
        return;
    }
    for (const line of describeWaits(record, now)) {
        io.err(`waiting: ${displayText(line)}`);
    }
    const approval = record.environments.find((e) => e.status === "Suspended" && e.waitKind === "approval");
    if (approval) {
        io.err(
            `decide with 'promote approve ${record.id} --environment ${approval.name}' (or reject); then 'promote resume ${record.id}' continues it`,
        );
    } else {
        io.err(`'promote resume ${record.id}' continues it once the wait is over`);
    }
}

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
        printWaiting(deps.io, record, deps.clock.now());
        return exitCodeOf(record);
    } finally {
        view.stop();
    }
}
