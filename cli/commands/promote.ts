import { localInitiator } from "../../model/subject";
import type { PromoteCommandOptions } from "./promote.args";
import type { CliDeps } from "../context";
import { runWithProgress } from "./run";

/**
 * `promote promote --product P --from ENV --to ENV`: the drag-and-drop promotion (flow `manual`), with the
 * matching policies' fields, each overridable by a flag.
 */
export function promote(
    opts: PromoteCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    return runWithProgress(deps, opts.json, (engine) =>
        engine.release({
            product: opts.product,
            target: { from: opts.from, to: opts.to, overrides: opts.overrides },
            ...(opts.sourceCommit ? { sourceCommit: opts.sourceCommit } : {}),
            ...(opts.overrideHold ? { overrideHold: true } : {}),
            ...(opts.overrideWindow ? { overrideWindow: true } : {}),
            ...(opts.policyPacks ? { policyPacks: opts.policyPacks } : {}),
            ...(opts.by ? { initiator: localInitiator(opts.by) } : {}),
            ...(opts.noWait ? { noWait: true } : {}),
            ...(opts.message ? { message: opts.message } : {}),
        }),
    );
}
