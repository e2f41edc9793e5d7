import type { DecisionCommandOptions } from "./decision.args";
import type { CliDeps } from "../context";
import { localSubject, printDecision } from "./approve";
import { decideThroughServer } from "../remote";

/**
 * `promote reject ID --environment E [--comment TEXT]`: records a rejection; the environment fails (left
 * untouched) when the release goes on. Refused like an approval (exit code 2).
 */
export async function reject(
    opts: DecisionCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock" | "server">,
): Promise<number> {
    const comment = opts.comment ? { comment: opts.comment } : {};
    // Through a server (PROMOTIONS_SERVER), the token's user decides; directly, the local identity.
    const record = deps.server
        ? await decideThroughServer(deps.server, "reject", opts.id, {
              environment: opts.environment,
              ...comment,
          })
        : await (
              await deps.engine()
          ).reject(opts.id, opts.environment, { subject: localSubject(opts), ...comment });
    printDecision(deps, opts, record);
    return 0;
}
