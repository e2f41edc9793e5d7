import type { ApplicationDefinition, ApplicationInput } from "./application";
import type { EnvironmentDefinition, EnvironmentInput } from "./environment";
import type { ProductDefinition, ProductInput } from "./product";
import type { PromotionFlowDefinition, PromotionFlowInput } from "./promotionFlow";
import type { PromotionNotificationDefinition, PromotionNotificationInput } from "./promotionNotification";
import type { PromotionPermissionDefinition, PromotionPermissionInput } from "./promotionPermission";
import type { PromotionPolicyDefinition, PromotionPolicyInput } from "./promotionPolicy";
import type { PromotionTemplateDefinition, PromotionTemplateInput } from "./promotionTemplate";
import type { PromotionWindowDefinition, PromotionWindowInput } from "./promotionWindow";
import type { PromotionWorkflowDefinition, PromotionWorkflowInput } from "./promotionWorkflow";

/**
 * The catalog's shapes: the definitions a user gives ({@link Definitions}) and the one normalised catalog built
 * from them ({@link Catalog}). Types only, below catalog.ts, its rules (catalog.rules.ts) and the manifest
 * loader (manifests.ts), which all read them.
 */

/** Everything a user defines, as plain values: what a YAML directory or a TS module gives. */
export interface Definitions {
    readonly environments?: readonly EnvironmentInput[];
    readonly products?: readonly ProductInput[];
    /** Stand-alone applications (Argo CD manifests), each naming its product. */
    readonly applications?: readonly ApplicationInput[];
    readonly promotionTemplates?: readonly PromotionTemplateInput[];
    readonly promotionPolicies?: readonly PromotionPolicyInput[];
    readonly promotionWorkflows?: readonly PromotionWorkflowInput[];
    readonly promotionFlows?: readonly PromotionFlowInput[];
    /** When promotions may enter which environments (see PromotionWindow). */
    readonly promotionWindows?: readonly PromotionWindowInput[];
    /** Who may do what (see PromotionPermission). */
    readonly promotionPermissions?: readonly PromotionPermissionInput[];
    /** Where release and environment events are posted (see PromotionNotification). */
    readonly promotionNotifications?: readonly PromotionNotificationInput[];
    /** `Kind/name` to `file.yaml:line`, for messages. */
    readonly origins?: Readonly<Record<string, string>>;
    /**
     * Entities the loader refused whole (an unsupported apiVersion, a spec that is not a mapping), already
     * reported: they still count as defined, so references to them are not reported again.
     */
    readonly refused?: readonly { readonly kind: string; readonly name: string; readonly product?: string }[];
    /** Manifests read and left alone (kinds that are not ours, Applications of no product), for `validate`. */
    readonly skipped?: readonly SkippedManifest[];
}

/** An application with its product and environment resolved. */
export type CatalogApplication = Omit<ApplicationDefinition, "product" | "environment" | "namespace"> & {
    readonly product: string;
    readonly environment: string;
    /** `metadata.namespace`, else the namespace Argo CD gives it (see {@link CatalogOptions}). */
    readonly namespace: string;
};

/** How definitions become a catalog where they leave something to the installation. */
export interface CatalogOptions {
    /**
     * The namespace of an Application without `metadata.namespace`: the one Argo CD runs in, as Argo CD would
     * give it (`PROMOTIONS_ARGOCD_NAMESPACE`; default `argocd`).
     */
    readonly applicationNamespace?: string;
}

export type CatalogProduct = Omit<ProductDefinition, "applications"> & {
    readonly applications: readonly CatalogApplication[];
};

export type CatalogFlow = Omit<PromotionFlowDefinition, "postTrigger" | "promotionTimeoutLimit"> & {
    /** The flow timeout in milliseconds (default 24h). */
    readonly timeoutMs: number;
};

/** The one normalised, validated model every engine command works from. Arrays are sorted by name. */
export interface Catalog {
    readonly environments: readonly EnvironmentDefinition[];
    readonly products: readonly CatalogProduct[];
    readonly promotionTemplates: readonly PromotionTemplateDefinition[];
    readonly promotionPolicies: readonly PromotionPolicyDefinition[];
    readonly promotionWorkflows: readonly PromotionWorkflowDefinition[];
    readonly promotionFlows: readonly CatalogFlow[];
    /** Absent in catalogs built before windows existed: read as none. */
    readonly promotionWindows?: readonly PromotionWindowDefinition[];
    /** The PromotionPermission rules (absent or empty: no rules, everything is allowed on loopback). */
    readonly permissions?: readonly PromotionPermissionDefinition[];
    /** Absent in catalogs built before notifications existed: read as none. */
    readonly promotionNotifications?: readonly PromotionNotificationDefinition[];
}

/** A manifest the loader read and left alone, and why (listed by `validate`). */
export interface SkippedManifest {
    readonly kind: string;
    readonly apiVersion: string;
    readonly name?: string;
    /** `file.yaml:line`. */
    readonly origin: string;
    /**
     * `foreign`: a kind that is not ours; `no-product`: an Argo CD Application without
     * `codefresh.io/product`; `not-promotion`: a WorkflowTemplate not annotated
     * `codefresh.io/workflow-origin: promotion`.
     */
    readonly reason: "foreign" | "no-product" | "not-promotion";
}
