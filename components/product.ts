import { z } from "zod";
import { applicationDefinitionSchema } from "./application";
import { nameSchema } from "./common";
import { templateBodySchema } from "./promotionTemplate";

export const gitTriggerSelectorSchema = z.strictObject({
    key: z.enum(["commitMessage", "gitRevision"]),
    operator: z.enum(["In", "NotIn"]),
    /** Values with `*` wildcards; any value matching satisfies `In`, none matching satisfies `NotIn`. */
    values: z.array(z.string()).min(1),
});
export type GitTriggerSelector = z.infer<typeof gitTriggerSelectorSchema>;

export const productDefinitionSchema = z.strictObject({
    name: nameSchema,
    /** An inline template (alternative to `promotionTemplateRef`). */
    promotionTemplate: templateBodySchema.optional(),
    /** A PromotionTemplate by name (alternative to `promotionTemplate`). */
    promotionTemplateRef: nameSchema.optional(),
    /** Flows in priority order; the first whose selectors match a trigger commit runs. */
    promotionFlows: z
        .array(
            z.strictObject({
                name: nameSchema,
                gitTriggerSelectors: z.array(gitTriggerSelectorSchema).optional(),
            }),
        )
        .default([]),
    /** `queue` (default): one active release, later ones wait. `terminate`: a new release terminates the active one. */
    concurrency: z.enum(["queue", "terminate"]).default("queue"),
    tags: z.array(z.string()).default([]),
    /** The product's applications (YAML: Argo CD Applications annotated `codefresh.io/product`). */
    applications: z.array(applicationDefinitionSchema.omit({ product: true })).default([]),
});
export type ProductDefinition = z.infer<typeof productDefinitionSchema>;
export type ProductInput = z.input<typeof productDefinitionSchema>;
