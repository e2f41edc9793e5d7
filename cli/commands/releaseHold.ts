import type { HoldCommandOptions } from "./hold.args";
import type { CliDeps } from "../context";
import { displayText } from "../display";

/** `promote release-hold --product P --environment E`: flows and triggers reach E again. */
export async function releaseHold(
    opts: HoldCommandOptions,
    deps: Pick<CliDeps, "io" | "engine">,
): Promise<number> {
    const h = await (
        await deps.engine()
    ).releaseHold({ product: opts.product, environment: opts.environment, by: opts.by });
    deps.io.out(
        opts.json
            ? JSON.stringify(h, null, 2)
            : `released the hold on ${displayText(h.environment)} of ${displayText(h.product)} (placed by ${displayText(h.by)})`,
    );
    return 0;
}
