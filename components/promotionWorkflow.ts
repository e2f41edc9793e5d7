import { z } from "zod";
import { durationSchema, nameSchema } from "./common";

const common = {
    name: nameSchema,
    description: z.string().optional(),
    version: z.string().optional(),
    /** How long a run may take before it is terminated and counted as Failed (default 1h). */
    timeout: durationSchema.optional(),
};

/** A variable name, or a pattern with `*` wildcards (`AWS_*`). */
const passEnvPattern = z
    .string()
    .regex(
        /^[A-Za-z_*][A-Za-z0-9_*]*$/,
        "must be an environment variable name, with * as the only wildcard (e.g. KUBECONFIG, AWS_*)",
    );

/** A local command, run as a process with the parameters as environment variables. */
export const localWorkflowSchema = z.strictObject({
    ...common,
    kind: z.literal("local"),
    /** A shell command line, or an argv array run without a shell. */
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    /** Extra environment variables. */
    env: z.record(z.string(), z.string()).optional(),
    /**
     * Variables of the CLI's own environment the command may see, by name or with `*` wildcards
     * (`KUBECONFIG`, `AWS_*`, `HTTPS_PROXY`). Besides these it sees only its parameters and PATH, HOME, LANG,
     * LC_ALL, TZ, USER and TMPDIR; our own tokens and the state passphrase never reach it, even if listed.
     */
    passEnv: z.array(passEnvPattern).optional(),
    /** Working directory (default: the directory of the definitions). */
    workingDir: z.string().optional(),
});

/** An Argo WorkflowTemplate, submitted to an Argo Server. */
export const argoWorkflowSchema = z.strictObject({
    ...common,
    kind: z.literal("argo"),
    /** The WorkflowTemplate to submit (default: the workflow's name). */
    templateName: z.string().optional(),
    /** The parameters the template declares (`spec.arguments.parameters[].name`). */
    parameters: z.array(z.string()).default([]),
});

/**
 * Every kind of gate, one schema each. Each kind has a runner in provider/workflows/registry.ts (the build
 * fails when one is missing).
 */
export const promotionWorkflowSchemas = [localWorkflowSchema, argoWorkflowSchema] as const;

/** A gate, of any kind. */
export const promotionWorkflowDefinitionSchema = z.discriminatedUnion("kind", promotionWorkflowSchemas);
export type PromotionWorkflowDefinition = z.infer<typeof promotionWorkflowDefinitionSchema>;
export type PromotionWorkflowInput = z.input<typeof promotionWorkflowDefinitionSchema>;
export type WorkflowKind = PromotionWorkflowDefinition["kind"];
/** The definition of one kind of gate. */
export type WorkflowOfKind<K extends WorkflowKind> = Extract<PromotionWorkflowDefinition, { kind: K }>;
