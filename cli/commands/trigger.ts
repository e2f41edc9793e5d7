import type { PolicyFields } from "../../components/promotionPolicy";
import { InvalidInputError } from "../../model/errors";
import type { ReleaseTarget } from "../../engine/planRelease";
import type { ReleaseRecord } from "../../engine/releaseRecord";
import { publicRecord } from "../../engine/releaseRecord";
import { requireFlag, stringFlag } from "../args";
import type { CliContext } from "../context";
import { engineFor } from "../engine";
import { formatRelease } from "../output";
import { ProgressView } from "../progress";

/** Prints a finished release and maps its status to the exit code (0 Succeeded, 1 Failed/Terminated). */
export function report(ctx: CliContext, record: ReleaseRecord): number {
    if (ctx.args.flags.json) {
        ctx.out(JSON.stringify(publicRecord(record), null, 2));
    } else {
        formatRelease(record, ctx.style).forEach((l) => ctx.out(l));
    }
    return record.status === "Succeeded" ? 0 : 1;
}

async function runRelease(ctx: CliContext, product: string, target: ReleaseTarget): Promise<number> {
    const view = new ProgressView(ctx);
    const engine = await engineFor(ctx, view.handle);
    try {
        const record = await engine.release({
            product,
            target,
            sourceCommit: stringFlag(ctx.args, "source-commit"),
        });
        return report(ctx, record);
    } finally {
        view.stop();
    }
}

/** `promote trigger --product P --flow F`: runs the flow as a release. */
export async function trigger(ctx: CliContext): Promise<number> {
    const product = requireFlag(ctx.args, "product", "the product to release");
    const flow = requireFlag(ctx.args, "flow", "the flow to run");
    return runRelease(ctx, product, { flow });
}

/**
 * `promote promote --product P --from ENV --to ENV`: the drag-and-drop promotion (flow `manual`), with the
 * matching policies' fields, each overridable by a flag.
 */
export async function promote(ctx: CliContext): Promise<number> {
    const product = requireFlag(ctx.args, "product", "the product to promote");
    const from = requireFlag(ctx.args, "from", "the environment to promote from");
    const to = requireFlag(ctx.args, "to", "the environment to promote to");
    const action = stringFlag(ctx.args, "action");
    if (action !== undefined && !["commit", "pr", "none"].includes(action)) {
        throw new InvalidInputError(`--action "${action}": commit, pr or none`);
    }
    const overrides: PolicyFields = {
        ...(action ? { action: action as PolicyFields["action"] } : {}),
        ...(stringFlag(ctx.args, "pre-action") ? { preAction: stringFlag(ctx.args, "pre-action") } : {}),
        ...(stringFlag(ctx.args, "post-action") ? { postAction: stringFlag(ctx.args, "post-action") } : {}),
    };
    return runRelease(ctx, product, { from, to, overrides });
}
