import { localInitiator } from "../../model/subject";
import type { ReleaseIdCommandOptions } from "./release.args";
import type { CliDeps } from "../context";
import { printRelease } from "../output";

/** `promote terminate ID`: stops a queued or running release (it ends Terminated; exit 0, else 1). */
export async function terminate(
    opts: ReleaseIdCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    const record = await (
        await deps.engine()
    ).terminate(opts.id, opts.by ? { initiator: localInitiator(opts.by) } : {});
    printRelease(deps.io, record, opts.json, deps.clock.now());
    return record.status === "Terminated" ? 0 : 1;
}
