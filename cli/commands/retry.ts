import { localInitiator } from "../../model/subject";
import type { RetryCommandOptions } from "./retry.args";
import type { CliDeps } from "../context";
import { runWithProgress } from "./run";

/**
 * `promote retry ID [--force-older] [--no-wait]`: resumes a Failed or Terminated release from where it stopped (same id);
 * refused when newer releases have since succeeded in its environments, unless `--force-older`.
 */
export function retry(
    opts: RetryCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    return runWithProgress(deps, opts.json, (engine) =>
        engine.retry(opts.id, {
            forceOlder: opts.forceOlder,
            ...(opts.by ? { initiator: localInitiator(opts.by) } : {}),
            ...(opts.noWait ? { noWait: true } : {}),
        }),
    );
}
