import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { PromotionWorkflowDefinition, PromotionWorkflowInput } from "./promotionWorkflow";
import { promotionWorkflowDefinitionSchema } from "./promotionWorkflow";
import { tokens } from "../model/tokens";

type ArgsOf<W> = W extends { kind: infer K }
    ? { readonly kind: K } & { readonly [F in keyof W as Exclude<F, "name" | "kind">]: pulumi.Input<W[F]> }
    : never;

/** The component's arguments: a definition's fields (without its name), each of which may be an Input. */
export type PromotionWorkflowArgs = ArgsOf<PromotionWorkflowInput>;

/** A workflow used as a pre-action, post-action, trigger workflow or hook. */
export class PromotionWorkflow extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionWorkflowDefinition>;

    constructor(name: string, args: PromotionWorkflowArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionWorkflow, name, args, opts);
        this.definition = definitionOutput(
            "PromotionWorkflow",
            promotionWorkflowDefinitionSchema,
            name,
            args,
        );
        this.registerOutputs({ definition: this.definition });
    }
}
