import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { PromotionWindowDefinition, PromotionWindowInput } from "./promotionWindow";
import { promotionWindowDefinitionSchema } from "./promotionWindow";
import { tokens } from "../model/tokens";

export interface PromotionWindowArgs {
    readonly mode: pulumi.Input<"deny" | "allow">;
    /** A 5-field cron expression (with `duration`), or `start`/`end`. */
    readonly schedule?: pulumi.Input<string>;
    readonly duration?: pulumi.Input<number | string>;
    readonly start?: pulumi.Input<string>;
    readonly end?: pulumi.Input<string>;
    /** IANA time zone of `schedule` (default UTC). */
    readonly timeZone?: pulumi.Input<string>;
    readonly environments?: pulumi.Input<PromotionWindowInput["environments"]>;
    readonly products?: pulumi.Input<PromotionWindowInput["products"]>;
    /** `wait` (default) or `fail`. */
    readonly onClosed?: pulumi.Input<"wait" | "fail">;
}

/** When promotions may (allow) or may not (deny) enter the environments it selects. */
export class PromotionWindow extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionWindowDefinition>;

    constructor(name: string, args: PromotionWindowArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionWindow, name, args, opts);
        this.definition = definitionOutput("PromotionWindow", promotionWindowDefinitionSchema, name, args);
        this.registerOutputs({ definition: this.definition });
    }
}
