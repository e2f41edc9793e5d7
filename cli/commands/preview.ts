import { InvalidInputError } from "../../model/errors";
import type { ReleaseTarget } from "../../engine/planRelease";
import { requireFlag, stringFlag } from "../args";
import type { CliContext } from "../context";
import { engineFor } from "../engine";
import { formatPreview } from "../output";

/** `--flow F` or `--from ENV --to ENV`. */
export function targetFrom(ctx: CliContext): ReleaseTarget {
    const flow = stringFlag(ctx.args, "flow");
    const from = stringFlag(ctx.args, "from");
    const to = stringFlag(ctx.args, "to");
    if (flow && (from || to)) {
        throw new InvalidInputError("give either --flow F or --from ENV --to ENV, not both");
    }
    if (flow) {
        return { flow };
    }
    if (from && to) {
        return { from, to };
    }
    throw new InvalidInputError("missing --flow F (or --from ENV --to ENV)");
}

/** `promote preview`: what a release would change, environment by environment, read from the live repos. */
export async function preview(ctx: CliContext): Promise<number> {
    const product = requireFlag(ctx.args, "product", "the product to preview");
    const engine = await engineFor(ctx);
    const result = await engine.preview({
        product,
        target: targetFrom(ctx),
        sourceCommit: stringFlag(ctx.args, "source-commit"),
    });
    if (ctx.args.flags.json) {
        ctx.out(JSON.stringify(result, null, 2));
    } else {
        formatPreview(result, ctx.style).forEach((l) => ctx.out(l));
    }
    return 0;
}
