import { summary } from "../../engine/record/releaseRecord";
import type { ReleasesCommandOptions } from "./releases.args";
import type { CliDeps } from "../context";
import { formatReleaseList } from "../output";

/**
 * `promote releases --product P [--limit N] [--before ID]`: every release (or one page of them), newest
 * first, a column per environment.
 */
export async function releases(
    opts: ReleasesCommandOptions,
    deps: Pick<CliDeps, "io" | "engine">,
): Promise<number> {
    const list = await (
        await deps.engine()
    ).releases(opts.product, {
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.before !== undefined ? { before: opts.before } : {}),
    });
    if (opts.json) {
        deps.io.out(JSON.stringify(list.map(summary), null, 2));
    } else {
        formatReleaseList(list, deps.io.style).forEach((l) => deps.io.out(l));
    }
    return 0;
}
