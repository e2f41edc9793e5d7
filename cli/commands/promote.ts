import { localInitiator } from "../../model/subject";
import type { PromoteCommandOptions } from "./promote.args";
import type { CliDeps } from "../context";
import { InvalidInputError } from "../../model/errors";
import { printRelease } from "../output";
import type { RemoteServer } from "../remote";
import { promoteThroughServer } from "../remote";
import { exitCodeOf, printWaiting, runWithProgress } from "./run";

/**
 * `promote promote --product P --from ENV --to ENV`: the drag-and-drop promotion (flow `manual`), with the
 * matching policies' fields, each overridable by a flag.
 */
export async function promote(
    opts: PromoteCommandOptions,
    deps: Pick<CliDeps, "io" | "engine" | "clock" | "server">,
): Promise<number> {
    if (deps.server) {
        return promoteRemotely(opts, deps, deps.server);
    }
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

/**
 * Through a server (PROMOTIONS_SERVER), the server runs the promotion as the token's user: its permission rules
 * decide, `override-policy` included for `--action`/`--pre-action`/`--post-action` against the policy. What the
 * API cannot carry is refused rather than dropped.
 */
async function promoteRemotely(
    opts: PromoteCommandOptions,
    deps: Pick<CliDeps, "io" | "clock">,
    server: RemoteServer,
): Promise<number> {
    const unsupported = [
        opts.overrideHold && "--override-hold",
        opts.overrideWindow && "--override-window",
        opts.policyPacks && "--policy-pack",
    ].filter((x): x is string => typeof x === "string");
    if (unsupported.length > 0) {
        throw new InvalidInputError(
            `${unsupported.join(", ")} cannot be sent through the server (PROMOTIONS_SERVER): unset PROMOTIONS_SERVER to promote on the state directly, or leave ${unsupported.length > 1 ? "them" : "it"} out`,
            { path: unsupported[0] },
        );
    }
    const record = await promoteThroughServer(
        server,
        {
            product: opts.product,
            from: opts.from,
            to: opts.to,
            ...opts.overrides,
            ...(opts.sourceCommit ? { sourceCommit: opts.sourceCommit } : {}),
            ...(opts.message ? { message: opts.message } : {}),
        },
        { ...(opts.noWait ? { noWait: true } : {}) },
    );
    printRelease(deps.io, record, opts.json, deps.clock.now());
    printWaiting(deps.io, record, deps.clock.now());
    return record.status === "Queued" || record.status === "Running" ? 0 : exitCodeOf(record);
}
