import type { DecisionCommandOptions } from "../args";
import type { CliDeps } from "../context";
import { localSubject, printDecision } from "./approve";

/**
 * `promote reject ID --environment E [--comment TEXT]`: records a rejection; the environment fails (left
 * untouched) when the release goes on. Refused like an approval (exit code 2).
 */
export async function reject(
    opts: DecisionCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock">,
): Promise<number> {
    const record = await (
        await deps.engine()
    ).reject(opts.id, opts.environment, {
        subject: localSubject(opts),
        ...(opts.comment ? { comment: opts.comment } : {}),
    });
    printDecision(deps, opts, record);
    return 0;
}
