import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { ProductDefinition, ProductInput } from "./product";
import { productDefinitionSchema } from "./product";
import { tokens } from "../model/tokens";

export interface ProductArgs {
    readonly promotionTemplate?: pulumi.Input<ProductInput["promotionTemplate"]>;
    readonly promotionTemplateRef?: pulumi.Input<string>;
    readonly promotionFlows?: pulumi.Input<ProductInput["promotionFlows"]>;
    readonly concurrency?: pulumi.Input<"queue" | "terminate">;
    readonly tags?: pulumi.Input<string[]>;
    /** One application per environment (or several in a target environment). */
    readonly applications?: pulumi.Input<ProductInput["applications"]>;
}

/** A set of applications, one per environment, promoted together. */
export class Product extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<ProductDefinition>;

    constructor(name: string, args: ProductArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.Product, name, args, opts);
        this.definition = definitionOutput("Product", productDefinitionSchema, name, args);
        this.registerOutputs({ definition: this.definition });
    }
}
