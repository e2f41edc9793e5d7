import { z } from "zod";
import { durationSchema, nameSchema } from "./common";
import { policyFieldsSchema } from "./promotionPolicy";

export const hooksSchema = z.strictObject({
    onStart: nameSchema.optional(),
    onSuccess: nameSchema.optional(),
    onFail: nameSchema.optional(),
});
export type Hooks = z.infer<typeof hooksSchema>;

export const flowStepSchema = z.strictObject({
    environment: nameSchema,
    /** Environments that must succeed first (the trigger environment or other steps). Order of steps is irrelevant. */
    dependsOn: z.array(nameSchema).default([]),
    /** Inline policy fields; each overrides the matching policies' value for this step. */
    policy: policyFieldsSchema.optional(),
    hooks: hooksSchema.optional(),
});
export type FlowStep = z.infer<typeof flowStepSchema>;

export const promotionFlowDefinitionSchema = z.strictObject({
    name: nameSchema,
    /** Where changes come from; its application's commit is the release's source. */
    triggerEnvironment: nameSchema,
    steps: z.array(flowStepSchema).min(1, "a flow needs at least one target environment"),
    /** Release-level hooks. */
    hooks: hooksSchema.optional(),
    /** Integer minutes (Codefresh) or a duration string (`90s`, `5m`, `24h`). Default 24h. */
    promotionTimeoutLimit: durationSchema.optional(),
    /** A workflow run for the trigger environment before any target (ours; `postTrigger` is its alias). */
    triggerWorkflow: nameSchema.optional(),
    /** Deprecated Codefresh field, read as `triggerWorkflow`. */
    postTrigger: nameSchema.optional(),
    /** Annotations `version` and `description` in YAML. */
    version: z.string().optional(),
    description: z.string().optional(),
});
export type PromotionFlowDefinition = z.infer<typeof promotionFlowDefinitionSchema>;
export type PromotionFlowInput = z.input<typeof promotionFlowDefinitionSchema>;
