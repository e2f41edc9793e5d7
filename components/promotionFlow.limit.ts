import { formatDuration, parseDuration } from "../model/duration";
import type { Catalog } from "./catalog";
import type { Issue } from "./issues";
import { entityName } from "./issues";
import { resolvePolicy } from "./promotionPolicy.merge";

/**
 * Warnings, not problems: approval gates whose `timeout` outlasts their flow's `promotionTimeoutLimit`. The
 * limit bounds the whole release, waits included (DESIGN 3a.6), so such a release ends Terminated at the limit
 * before the approval's timeout is ever reached. Per flow and step, for every product that lists the flow (the
 * policy that sets the gate may select some products only), or every product when none does (run by hand).
 */
export function approvalTimeoutWarnings(catalog: Catalog): Issue[] {
    const warnings = new Map<string, Issue>();
    for (const flow of catalog.promotionFlows) {
        const listing = catalog.products.filter((p) => p.promotionFlows.some((f) => f.name === flow.name));
        const products = listing.length > 0 ? listing : catalog.products;
        flow.steps.forEach((step, i) => {
            const environment = catalog.environments.find((e) => e.name === step.environment);
            if (!environment) {
                return;
            }
            for (const product of products) {
                const policy = resolvePolicy(
                    catalog.promotionPolicies,
                    { product, environment },
                    step.policy,
                );
                const timeout = policy.approval?.timeout;
                const ms = timeout !== undefined ? parseDuration(timeout) : undefined;
                if (ms === undefined || ms <= flow.timeoutMs) {
                    continue;
                }
                const source = policy.sources.approval;
                const from =
                    source && "policy" in source
                        ? `PromotionPolicy "${source.policy}"`
                        : `steps[${i}].policy.approval`;
                const key = `${flow.name} ${i} ${from}`;
                warnings.set(key, {
                    entity: entityName("PromotionFlow", flow.name),
                    path: `steps[${i}]`,
                    reason: `the approval of environment "${step.environment}" (${from}) has timeout ${formatDuration(ms)}, longer than the flow's promotionTimeoutLimit ${formatDuration(flow.timeoutMs)}: the release ends Terminated at the limit before the approval can expire; shorten the approval's timeout or raise promotionTimeoutLimit`,
                });
            }
        });
    }
    return [...warnings.values()];
}
