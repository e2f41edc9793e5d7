import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { durationSchema, nameSchema } from "./common";
import { definitionOutput } from "./definition";
import { tokens } from "../model/tokens";

const common = {
    name: nameSchema,
    description: z.string().optional(),
    version: z.string().optional(),
    /** How long a run may take before it is terminated and counted as Failed (default 1h). */
    timeout: durationSchema.optional(),
};

/**
 * A gate: either a local command (run as a process, parameters as environment variables) or an Argo
 * WorkflowTemplate (submitted to an Argo Server).
 */
export const promotionWorkflowDefinitionSchema = z.discriminatedUnion("kind", [
    z.strictObject({
        ...common,
        kind: z.literal("local"),
        /** A shell command line, or an argv array run without a shell. */
        command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
        /** Extra environment variables. */
        env: z.record(z.string(), z.string()).optional(),
        /** Working directory (default: the directory of the definitions). */
        workingDir: z.string().optional(),
    }),
    z.strictObject({
        ...common,
        kind: z.literal("argo"),
        /** The WorkflowTemplate to submit (default: the workflow's name). */
        templateName: z.string().optional(),
        /** The parameters the template declares (`spec.arguments.parameters[].name`). */
        parameters: z.array(z.string()).default([]),
    }),
]);
export type PromotionWorkflowDefinition = z.infer<typeof promotionWorkflowDefinitionSchema>;
export type PromotionWorkflowInput = z.input<typeof promotionWorkflowDefinitionSchema>;

export type PromotionWorkflowArgs =
    | {
          readonly kind: "local";
          /** A shell command line, or an argv array run without a shell. */
          readonly command: pulumi.Input<string | string[]>;
          readonly env?: pulumi.Input<Record<string, string>>;
          readonly workingDir?: pulumi.Input<string>;
          readonly timeout?: pulumi.Input<number | string>;
          readonly description?: pulumi.Input<string>;
      }
    | {
          readonly kind: "argo";
          readonly templateName?: pulumi.Input<string>;
          readonly parameters?: pulumi.Input<string[]>;
          readonly timeout?: pulumi.Input<number | string>;
          readonly description?: pulumi.Input<string>;
      };

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
