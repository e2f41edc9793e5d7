import type { CatalogApplication, CatalogFlow, CatalogProduct } from "../../components/catalog";
import type { PolicyFields } from "../../components/promotionPolicy";
import type { ReleaseCandidate } from "../../provider/promotion";
import type { ReleasePlan } from "./releaseRecord";

/** What to release: a flow of the product, or a manual promotion from one environment to another. */
export type ReleaseTarget =
    | { readonly flow: string }
    | { readonly from: string; readonly to: string; readonly overrides?: PolicyFields }
    /** A rollback: one environment, its usual policy, the candidate given in `candidate` (see rollbackFlow). */
    | { readonly rollback: string; readonly trigger: string };

/** A release planned (see engine/release/planRelease.ts): what it promotes, where, and the plan it runs. */
export interface PlannedRelease {
    readonly product: CatalogProduct;
    readonly flow: CatalogFlow;
    readonly plan: ReleasePlan;
    readonly candidate: ReleaseCandidate;
    readonly sourceApplication: CatalogApplication;
}
