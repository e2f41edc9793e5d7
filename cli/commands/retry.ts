import type { ReleaseIdCommandOptions } from "../args";
import type { CliDeps } from "../context";
import { runWithProgress } from "./run";

/** `promote retry ID`: resumes a Failed or Terminated release from where it stopped (same id). */
export function retry(
    opts: ReleaseIdCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    return runWithProgress(deps, opts.json, (engine) => engine.retry(opts.id));
}
