import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { durationSchema, nameSchema } from "./common";
import { definitionOutput } from "./definition";
import { tokens } from "../model/tokens";

export const environmentDefinitionSchema = z.strictObject({
    name: nameSchema,
    /** `production` or `non-production`; policies select environments by it (`PROD` / `NON_PROD`). */
    kind: z.enum(["production", "non-production"]).default("non-production"),
    /** Clusters (and namespaces; none = all) whose Argo CD applications belong to this environment. */
    clusters: z
        .array(z.strictObject({ name: z.string().min(1), namespaces: z.array(z.string()).default([]) }))
        .default([]),
    tags: z.array(z.string()).default([]),
    /**
     * After the action, wait until each application is Synced (at a revision containing the promotion commit)
     * and Healthy in Argo CD before the post-action and before dependents start. Degraded fails the
     * environment; so does no answer within `timeout` (default 10m).
     */
    healthWait: z.strictObject({ timeout: durationSchema.optional() }).optional(),
});
export type EnvironmentDefinition = z.infer<typeof environmentDefinitionSchema>;
export type EnvironmentInput = z.input<typeof environmentDefinitionSchema>;

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
