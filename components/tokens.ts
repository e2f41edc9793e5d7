/**
 * Pulumi type tokens of every component and dynamic resource. They are part of the state of every stack
 * that uses them: never change one without adding an alias.
 */
export const tokens = {
    Environment: "promotions:index:Environment",
    Product: "promotions:index:Product",
    PromotionTemplate: "promotions:index:PromotionTemplate",
    PromotionPolicy: "promotions:index:PromotionPolicy",
    PromotionWorkflow: "promotions:index:PromotionWorkflow",
    PromotionFlow: "promotions:index:PromotionFlow",
} as const;

/** The module of our dynamic resources: `pulumi-nodejs:dynamic/promotions:<Type>`. */
export const dynamicModule = "promotions";
