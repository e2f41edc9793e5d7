import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { PromotionNotificationDefinition, PromotionNotificationInput } from "./promotionNotification";
import { promotionNotificationDefinitionSchema } from "./promotionNotification";
import { tokens } from "../model/tokens";

export interface PromotionNotificationArgs {
    readonly url: pulumi.Input<string>;
    /** Event types or `*` patterns (default: every event). */
    readonly events?: pulumi.Input<pulumi.Input<string>[]>;
    readonly products?: pulumi.Input<PromotionNotificationInput["products"]>;
    /** The NAME of the environment variable holding the signing secret. */
    readonly secretEnv?: pulumi.Input<string>;
    /** Deliver to private, loopback and link-local addresses (default false: refused). */
    readonly allowPrivateNetworks?: pulumi.Input<boolean>;
}

/** Where release and environment events are posted (CloudEvents 1.0 JSON, HMAC-SHA256 signed). */
export class PromotionNotification extends pulumi.ComponentResource {
    public readonly definition: pulumi.Output<PromotionNotificationDefinition>;

    constructor(name: string, args: PromotionNotificationArgs, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.PromotionNotification, name, args, opts);
        this.definition = definitionOutput(
            "PromotionNotification",
            promotionNotificationDefinitionSchema,
            name,
            args,
        );
        this.registerOutputs({ definition: this.definition });
    }
}
