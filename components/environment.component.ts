import * as pulumi from "@pulumi/pulumi";
import { definitionOutput } from "./definition.output";
import type { EnvironmentDefinition } from "./environment";
import { environmentDefinitionSchema } from "./environment";
import { tokens } from "../model/tokens";

export interface EnvironmentArgs {
    /** `production` or `non-production` (default). Policies select environments by kind. */
    readonly kind?: pulumi.Input<"production" | "non-production">;
    /** Clusters and namespaces whose applications belong to this environment. */
    readonly clusters?: pulumi.Input<pulumi.Input<{ name: string; namespaces?: string[] }>[]>;
    /** Tags policies can select on. */
    readonly tags?: pulumi.Input<pulumi.Input<string>[]>;
    /** Wait for Argo CD to report the applications Synced and Healthy after each promotion. */
    readonly healthWait?: pulumi.Input<{ timeout?: number | string }>;
}

/** A stage of the delivery lifecycle (dev, qa, prod-us, ...), where a product has one or more applications. */
export class Environment extends pulumi.ComponentResource {
    /** The validated, normalised definition. */
    public readonly definition: pulumi.Output<EnvironmentDefinition>;

    constructor(name: string, args: EnvironmentArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super(tokens.Environment, name, args, opts);
        this.definition = definitionOutput("Environment", environmentDefinitionSchema, name, args);
        this.registerOutputs({ definition: this.definition });
    }
}
