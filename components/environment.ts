import { z } from "zod";
import { durationSchema, nameSchema } from "./common";

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
