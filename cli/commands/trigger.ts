import { localInitiator } from "../../model/subject";
import type { TriggerCommandOptions } from "./trigger.args";
import type { CliDeps } from "../context";
import { runWithProgress } from "./run";

/** `promote trigger --product P --flow F`: runs the flow as a release. */
export function trigger(
    opts: TriggerCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    return runWithProgress(deps, opts.json, (engine) =>
        engine.release({
            product: opts.product,
            target: { flow: opts.flow },
            ...(opts.sourceCommit ? { sourceCommit: opts.sourceCommit } : {}),
            ...(opts.overrideHold ? { overrideHold: true } : {}),
            ...(opts.overrideWindow ? { overrideWindow: true } : {}),
            ...(opts.policyPacks ? { policyPacks: opts.policyPacks } : {}),
            ...(opts.planFile ? { planFile: opts.planFile } : {}),
            ...(opts.by ? { initiator: localInitiator(opts.by) } : {}),
            ...(opts.noWait ? { noWait: true } : {}),
            ...(opts.message ? { message: opts.message } : {}),
        }),
    );
}
