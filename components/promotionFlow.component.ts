import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { definitionOutput } from "./definition.output";
import type { flowStepSchema, Hooks, PromotionFlowDefinition } from "./promotionFlow";
import { promotionFlowDefinitionSchema } from "./promotionFlow";
import { tokens } from "../model/tokens";

export interface PromotionFlowArgs {
    readonly triggerEnvironment: pulumi.Input<string>;
    readonly steps: pulumi.Input<z.input<typeof flowStepSchema>[]>;
    readonly hooks?: pulumi.Input<Hooks>;
    readonly promotionTimeoutLimit?: pulumi.Input<number | string>;
    readonly triggerWorkflow?: pulumi.Input<string>;
    readonly version?: pulumi.Input<string>;
    readonly description?: pulumi.Input<string>;
}

/** A trigger environment and target environments as a DAG. */
export class PromotionFlow extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionFlowDefinition>;

    constructor(name: string, args: PromotionFlowArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionFlow, name, args, opts);
        this.definition = definitionOutput("PromotionFlow", promotionFlowDefinitionSchema, name, args);
        this.registerOutputs({ definition: this.definition });
    }
}
