/**
 * Pulumi type tokens of every component, dynamic resource and record resource, and the URNs built from them.
 * They are part of the state of every stack that uses them: never change one without adding an alias.
 */
export const tokens = {
    Environment: "promotions:index:Environment",
    Product: "promotions:index:Product",
    PromotionTemplate: "promotions:index:PromotionTemplate",
    PromotionPolicy: "promotions:index:PromotionPolicy",
    PromotionWorkflow: "promotions:index:PromotionWorkflow",
    PromotionFlow: "promotions:index:PromotionFlow",
    PromotionWindow: "promotions:index:PromotionWindow",
    PromotionPermission: "promotions:index:PromotionPermission",
    PromotionNotification: "promotions:index:PromotionNotification",
    /** One release in the records stack (its outputs are the record). */
    ReleaseRecord: "promotions:index:ReleaseRecord",
    /** Where a trigger watcher stopped reading one application's branch. */
    WatchCursor: "promotions:index:WatchCursor",
    /** A hold on one environment of a product (in the product's records stack). */
    Hold: "promotions:index:Hold",
    /** An API token's hash and who it stands for (in the `promotions-access` stack). */
    AccessToken: "promotions:index:AccessToken",
} as const;

/** The module of our dynamic resources: `pulumi-nodejs:dynamic/promotions:<Type>`. */
export const dynamicModule = "promotions";

/** The dynamic resources of the promote stack, by the class name their token ends with. */
export const dynamicResourceNames = ["EnvironmentPromotion", "PostActionGate", "PullRequestMerge"] as const;
export type DynamicResourceName = (typeof dynamicResourceNames)[number];

/** `pulumi-nodejs:dynamic/promotions:<Name>`: the type token Pulumi gives a dynamic resource of ours. */
export function dynamicToken(name: DynamicResourceName): string {
    return `pulumi-nodejs:dynamic/${dynamicModule}:${name}`;
}

/** The URN of a top-level resource (no parent) of one stack. */
export function urnOf(stack: string, project: string, type: string, name: string): string {
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}
