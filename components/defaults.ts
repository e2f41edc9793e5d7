/*
 * Defaults the catalog fills in, apart from the definitions' schemas: the engine reads them without loading
 * the schemas' validation (zod), which a command whose definitions came from the cache never needs.
 */

/**
 * The namespace Argo CD gives an Application without `metadata.namespace` (its own namespace, `argocd` in a
 * default install), unless the catalog is built with another (`PROMOTIONS_ARGOCD_NAMESPACE`).
 */
export const defaultApplicationNamespace = "argocd";

/** How long a flow may run when it sets no promotionTimeoutLimit (24 hours). */
export const defaultFlowTimeoutMs = 24 * 3_600_000;
