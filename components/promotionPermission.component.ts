import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { PromotionPermissionDefinition, PromotionPermissionInput } from "./promotionPermission";
import { promotionPermissionDefinitionSchema } from "./promotionPermission";
import { tokens } from "../model/tokens";
import type { PermissionAction } from "../model/permissions";

export interface PromotionPermissionArgs {
    /** Users and groups the rule allows: `{ user: "ann" }`, `{ group: "release-managers" }`. */
    readonly subjects: pulumi.Input<PromotionPermissionInput["subjects"]>;
    /** What they may do (see model/permissions.ts). */
    readonly actions: pulumi.Input<PermissionAction[]>;
    /** The environments it covers (absent: all). */
    readonly environments?: pulumi.Input<PromotionPermissionInput["environments"]>;
    /** The products it covers (absent: all). */
    readonly products?: pulumi.Input<PromotionPermissionInput["products"]>;
    /** The flows it covers (absent: all, and promotions outside any flow). */
    readonly flows?: pulumi.Input<PromotionPermissionInput["flows"]>;
}

/** An allow rule: who may do what to which environments, products and flows. Rules only ever add. */
export class PromotionPermission extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionPermissionDefinition>;

    constructor(name: string, args: PromotionPermissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionPermission, name, args, opts);
        this.definition = definitionOutput(
            "PromotionPermission",
            promotionPermissionDefinitionSchema,
            name,
            args,
        );
        this.registerOutputs({ definition: this.definition });
    }
}
