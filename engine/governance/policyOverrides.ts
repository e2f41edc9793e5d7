import type { Catalog } from "../../components/catalog";
import type { PolicyFields } from "../../components/promotionPolicy";
import type { PolicyOverride } from "../../components/promotionPolicy.merge";
import { policyOverrides } from "../../components/promotionPolicy.merge";
import type { Initiator } from "../../model/subject";
import type { ReleaseRecord } from "../record/releaseRecord";
import { audited } from "../record/releaseRecord";

/**
 * What a promotion to `to` chooses against the environment's policies (README "Permissions and approvals",
 * `override-policy`): the fields that differ from the resolved policy. Empty for an unknown product or
 * environment (planning refuses those).
 */
export function overridesOf(
    catalog: Pick<Catalog, "products" | "environments" | "promotionPolicies">,
    product: string,
    to: string,
    chosen: PolicyFields | undefined,
): PolicyOverride[] {
    const p = catalog.products.find((x) => x.name === product);
    const environment = catalog.environments.find((e) => e.name === to);
    if (!p || !environment || !chosen) {
        return [];
    }
    return policyOverrides(catalog.promotionPolicies, { product: p, environment }, chosen);
}

/**
 * The new release with its policy overrides recorded: on the record (`policyOverrides`) and, with who chose
 * them, as an `override-policy` audit entry right after the one that started it.
 */
export function withPolicyOverrides(
    record: ReleaseRecord,
    environment: string,
    overrides: readonly PolicyOverride[],
    initiator: Initiator | undefined,
): ReleaseRecord {
    if (overrides.length === 0) {
        return record;
    }
    const withField: ReleaseRecord = { ...record, policyOverrides: [{ environment, overrides }] };
    return initiator
        ? audited(
              withField,
              "override-policy",
              initiator,
              { environment, overrides },
              new Date(record.createdAt),
          )
        : withField;
}
