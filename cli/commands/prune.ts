import type { PruneCommandOptions } from "./prune.args";
import type { CliDeps } from "../context";

/**
 * `promote prune --product P --keep N|AGE [--dry-run]`: removes the oldest release records, whole archive
 * pages at a time, and says which (an opt-in operation: records are never dropped otherwise).
 */
export async function prune(
    opts: PruneCommandOptions,
    deps: Pick<CliDeps, "io" | "engine">,
): Promise<number> {
    const pages = await (await deps.engine()).prune(opts.product, opts.keep, opts.dryRun);
    if (opts.json) {
        deps.io.out(JSON.stringify({ dryRun: opts.dryRun, removed: pages }, null, 2));
        return 0;
    }
    const verb = opts.dryRun ? "would remove" : "removed";
    const total = pages.reduce((n, p) => n + p.records, 0);
    for (const p of pages) {
        deps.io.out(`${verb} ${p.name}: ${p.records} releases created ${p.oldest} to ${p.newest}`);
    }
    deps.io.out(
        total === 0
            ? `nothing of ${opts.product} is beyond --keep; nothing removed`
            : `${opts.product}: ${verb} ${total} release records in ${pages.length} archive pages`,
    );
    return 0;
}
