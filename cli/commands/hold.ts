import type { HoldCommandOptions, HoldsCommandOptions } from "./hold.args";
import type { CliDeps } from "../context";
import { formatHold } from "../output";

/** `promote hold --product P --environment E [--reason R]`: flows and triggers skip E until released. */
export async function hold(opts: HoldCommandOptions, deps: Pick<CliDeps, "io" | "engine">): Promise<number> {
    const h = await (
        await deps.engine()
    ).hold({
        product: opts.product,
        environment: opts.environment,
        by: opts.by,
        ...(opts.reason ? { reason: opts.reason } : {}),
    });
    deps.io.out(opts.json ? JSON.stringify(h, null, 2) : formatHold(h));
    return 0;
}

/** `promote holds --product P`: the environments held now. */
export async function holds(
    opts: HoldsCommandOptions,
    deps: Pick<CliDeps, "io" | "engine">,
): Promise<number> {
    const list = await (await deps.engine()).holds(opts.product);
    if (opts.json) {
        deps.io.out(JSON.stringify(list, null, 2));
    } else if (list.length === 0) {
        deps.io.out(`no environment of ${opts.product} is held`);
    } else {
        list.forEach((h) => deps.io.out(formatHold(h)));
    }
    return 0;
}
