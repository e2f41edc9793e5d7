import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { PolicyFields, PromotionPolicyDefinition, PromotionPolicyInput } from "./promotionPolicy";
import { promotionPolicyDefinitionSchema } from "./promotionPolicy";
import { tokens } from "../model/tokens";

export interface PromotionPolicyArgs {
    /** Lower number wins; ties are broken by name. */
    readonly priority: pulumi.Input<number>;
    /** Which products and target environments the policy applies to. */
    readonly selector?: pulumi.Input<PromotionPolicyInput["selector"]>;
    /** The pre-action, action and post-action it sets. */
    readonly policy: pulumi.Input<PolicyFields>;
}

/** Pre-action workflow, action and post-action for the (product, environment) pairs it selects. */
export class PromotionPolicy extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionPolicyDefinition>;

    constructor(name: string, args: PromotionPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionPolicy, name, args, opts);
        this.definition = definitionOutput("PromotionPolicy", promotionPolicyDefinitionSchema, name, args);
        this.registerOutputs({ definition: this.definition });
    }
}
