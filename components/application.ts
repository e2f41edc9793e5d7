import { z } from "zod";
import { sourcePathProblem, repoUrlProblem, targetRevisionProblem } from "./application.source";
import { durationSchema, nameSchema, refusing } from "./common";

/**
 * One Argo CD application of a product: its source (repository, path, revision) and the environment it
 * belongs to. In YAML this is an Argo CD `Application` manifest annotated `codefresh.io/product`.
 */
export const applicationDefinitionSchema = z.strictObject({
    name: nameSchema,
    /**
     * The Argo CD application's namespace. Absent: the namespace Argo CD would give it, which the catalog is
     * built with (default `defaultApplicationNamespace` in defaults.ts).
     */
    namespace: z.string().min(1).optional(),
    /** The product it belongs to (set by the Product when it lists the application). */
    product: nameSchema.optional(),
    /** Its environment; when absent, the Environment whose clusters/namespaces hold `destination`. */
    environment: nameSchema.optional(),
    /** `spec.source.repoURL`: an https, http, ssh, git or file URL, or scp-like `git@host:path`. */
    repoURL: z.string().min(1).superRefine(refusing(repoUrlProblem)),
    /** `spec.source.path` in the repository (default `.`); relative, never leaving it. */
    path: z.string().min(1).superRefine(refusing(sourcePathProblem)).default("."),
    /** `spec.source.targetRevision`: the branch promotions commit to (default `HEAD`). */
    targetRevision: z.string().min(1).superRefine(refusing(targetRevisionProblem)).default("HEAD"),
    /** `spec.destination`: used to map the application to an Environment by cluster and namespace. */
    destination: z
        .strictObject({
            server: z.string().optional(),
            name: z.string().optional(),
            namespace: z.string().optional(),
        })
        .optional(),
    /** Labels, for PromotionTemplate `applicationSourceSelector`s. */
    labels: z.record(z.string(), z.string()).default({}),
    /** Overrides the environment's `healthWait` for this application (`false`: never wait). */
    healthWait: z
        .union([z.literal(false), z.strictObject({ timeout: durationSchema.optional() })])
        .optional(),
});
export type ApplicationDefinition = z.infer<typeof applicationDefinitionSchema>;
export type ApplicationInput = z.input<typeof applicationDefinitionSchema>;
