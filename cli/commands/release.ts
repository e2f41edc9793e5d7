import type { ReleaseIdCommandOptions } from "./release.args";
import type { CliDeps } from "../context";
import { printRelease } from "../output";

/** `promote release ID`: one release in full. */
export async function release(
    opts: ReleaseIdCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    const record = await (await deps.engine()).find(opts.id);
    printRelease(deps.io, record, opts.json, deps.clock.now());
    return 0;
}
