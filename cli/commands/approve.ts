import { approvalOutcome } from "../../engine/governance/approvals";
import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import type { Subject } from "../../model/subject";
import type { DecisionCommandOptions } from "./decision.args";
import type { CliDeps } from "../context";
import { displayText } from "../display";
import { approvalLines } from "../output";
import { decideThroughServer } from "../remote";

/** The local identity a decision is recorded with: `--as` (or the CI's actor) and the groups it claims. */
export function localSubject(opts: Pick<DecisionCommandOptions, "by" | "groups">): Subject {
    return { user: opts.by, groups: opts.groups, via: "local" };
}

/** After a decision: the environment's approval, and what happens next. */
export function printDecision(
    deps: Pick<CliDeps, "io" | "clock">,
    opts: DecisionCommandOptions,
    record: ReleaseRecord,
): void {
    const env = record.environments.find((e) => e.name === opts.environment);
    if (opts.json) {
        deps.io.out(
            JSON.stringify(
                { id: record.id, environment: opts.environment, approval: env?.approval },
                null,
                2,
            ),
        );
        return;
    }
    if (!env?.approval) {
        return;
    }
    approvalLines(env, deps.io.style).forEach((l) => deps.io.out(l.trimStart()));
    const outcome = approvalOutcome(env.approval, deps.clock.now());
    const id = displayText(record.id);
    switch (outcome.kind) {
        case "approved":
            deps.io.out(
                `approved: the process holding release ${id} goes on by itself; if none does, 'promote resume ${id}' (or a running 'promote serve') continues it`,
            );
            return;
        case "rejected":
            deps.io.out(
                `rejected: ${displayText(opts.environment)} fails once release ${id} goes on (the process holding it, 'promote resume ${id}' or 'promote serve')`,
            );
            return;
        case "waiting":
            deps.io.out(`waiting for ${outcome.needed - outcome.approvals} more approval(s)`);
            return;
        default:
            return;
    }
}

/**
 * `promote approve ID --environment E [--comment TEXT]`: records an approval (refused, or too late because the
 * gate was decided meanwhile: exit code 2).
 */
export async function approve(
    opts: DecisionCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock" | "server">,
): Promise<number> {
    const comment = opts.comment ? { comment: opts.comment } : {};
    // Through a server (PROMOTIONS_SERVER), the token's user decides; directly, the local identity.
    const record = deps.server
        ? await decideThroughServer(deps.server, "approve", opts.id, {
              environment: opts.environment,
              ...comment,
          })
        : await (
              await deps.engine()
          ).approve(opts.id, opts.environment, { subject: localSubject(opts), ...comment });
    printDecision(deps, opts, record);
    return 0;
}
