import type { RollbackCommandOptions } from "./rollback.args";
import type { CliDeps } from "../context";
import { runWithProgress } from "./run";

/**
 * `promote rollback --product P --environment E [--to ID | --to-version V]`: an earlier release's candidate
 * back in E through E's usual policy, then E held. Allowed on a held environment.
 */
export function rollback(
    opts: RollbackCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    return runWithProgress(deps, opts.json, (engine) =>
        engine.rollback({
            product: opts.product,
            environment: opts.environment,
            by: opts.by,
            ...(opts.toRelease ? { toRelease: opts.toRelease } : {}),
            ...(opts.toVersion ? { toVersion: opts.toVersion } : {}),
        }),
    );
}
