import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { definitionOutput } from "./definition.output";
import type { PromotionTemplateDefinition } from "./promotionTemplate";
import { promotionTemplateDefinitionSchema } from "./promotionTemplate";
import { tokens } from "../model/tokens";
import type { labelSelectorSchema } from "./common";

export interface PromotionTemplateArgs {
    /** Which applications the template applies to. */
    readonly applicationSourceSelector: pulumi.Input<z.input<typeof labelSelectorSchema>>;
    /** Lower wins when several templates match an application. */
    readonly priority: pulumi.Input<number>;
    /** Where the release version is read. */
    readonly versionSource?: pulumi.Input<{ file: string; jsonPath: string }>;
    /** File to JSONPaths promoted from it; omit to promote every file. */
    readonly promotion?: pulumi.Input<Record<string, { jsonPaths: string[]; excludeJsonPaths?: string[] }>>;
}

/** Which files and values are promoted between a product's applications, and where its version is read. */
export class PromotionTemplate extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionTemplateDefinition>;

    constructor(name: string, args: PromotionTemplateArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionTemplate, name, args, opts);
        this.definition = definitionOutput(
            "PromotionTemplate",
            promotionTemplateDefinitionSchema,
            name,
            args,
        );
        this.registerOutputs({ definition: this.definition });
    }
}
