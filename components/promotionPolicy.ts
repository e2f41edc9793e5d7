import { z } from "zod";
import { durationSchema, nameSchema } from "./common";
import { actionKinds } from "../model/kinds";

export const actionSchema = z.enum(actionKinds);
export type PromotionAction = z.infer<typeof actionSchema>;

/** How a `pr` action's pull requests are merged. */
export const pullRequestSettingsSchema = z.strictObject({
    /** Merge it as soon as GitHub allows (required checks and reviews still apply); default false: people merge. */
    autoMerge: z.boolean().optional(),
    /** `merge` (default), `squash` or `rebase`, for auto-merge. */
    mergeMethod: z.enum(["merge", "squash", "rebase"]).optional(),
});
export type PullRequestSettings = z.infer<typeof pullRequestSettingsSchema>;

/** Who may approve: a user by name, or every member of a group (DESIGN 3a: subjects are written this way). */
export const approverSchema = z.union(
    [
        z.strictObject({ user: z.string().min(1, "must name a user") }),
        z.strictObject({ group: z.string().min(1, "must name a group") }),
    ],
    { error: "must be { user: NAME } or { group: NAME }, one of the two" },
);
export type Approver = z.infer<typeof approverSchema>;

/**
 * An approval gate: a release stops before the environment's pre-action, action or any write until enough
 * approvers have approved (or fails it on a rejection or after `timeout`).
 */
export const approvalSchema = z
    .strictObject({
        /** Who may approve: `{ user: NAME }` or `{ group: NAME }`; at least one. */
        approvers: z
            .array(approverSchema, {
                error: "must be a list of approvers, each { user: NAME } or { group: NAME }",
            })
            .min(1, "must name at least one approver ({ user: NAME } or { group: NAME })"),
        /** Approvals needed (distinct people), default 1. */
        minApprovals: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
        /** May the person who started the release approve it? Default false. */
        allowSelfApproval: z.boolean().optional(),
        /** The environment fails when not approved within this long of its wait starting: `24h`, `30m`. */
        timeout: durationSchema.optional(),
    })
    .superRefine((a, ctx) => {
        const users = a.approvers.filter((x): x is { user: string } => "user" in x);
        const groups = a.approvers.length - users.length;
        const min = a.minApprovals ?? 1;
        if (groups === 0 && min > users.length) {
            ctx.addIssue({
                code: "custom",
                path: ["minApprovals"],
                message: `is ${min} but only ${users.length} user${users.length === 1 ? " is" : "s are"} listed as approvers (and no group): lower minApprovals or add approvers`,
            });
        }
    });
export type ApprovalSettings = z.infer<typeof approvalSchema>;

/** The policy fields; each may be left unset, to be filled by another matching policy. */
export const policyFieldsSchema = z.strictObject({
    /** How the change enters the environment: `commit` (default), `pr`, or `none` (workflows only). */
    action: actionSchema.optional(),
    /** A PromotionWorkflow run before the action; its failure blocks the environment. */
    preAction: nameSchema.optional(),
    /** A PromotionWorkflow run after the action (and the health wait). */
    postAction: nameSchema.optional(),
    /** For `pr`: auto-merge and merge method (ours; Codefresh leaves merging to people). */
    pullRequest: pullRequestSettingsSchema.optional(),
    /**
     * How long each environment this one depends on must have held the release's version (since its action and
     * health wait succeeded) before this one starts: `30m`, `2h`.
     */
    soakTime: durationSchema.optional(),
    /**
     * Pulumi policy packs (directories with a PulumiPolicy.yaml, relative to the configuration's directory)
     * evaluated against the environment's promotion before anything is written there.
     */
    policyPacks: z.array(z.string().min(1)).optional(),
    /** An approval gate before the environment (see approvalSchema). */
    approval: approvalSchema.optional(),
});
export type PolicyFields = z.infer<typeof policyFieldsSchema>;

export const promotionPolicyDefinitionSchema = z.strictObject({
    name: nameSchema,
    /** Lower number wins; ties are broken by name. May be negative. */
    priority: z.number().int(),
    /** Which (product, target environment) pairs the policy applies to; no selector = every pair. */
    selector: z
        .strictObject({
            product: z
                .strictObject({ names: z.array(z.string()).optional(), tags: z.array(z.string()).optional() })
                .optional(),
            targetEnvironment: z
                .strictObject({
                    names: z.array(z.string()).optional(),
                    /** `PROD` or `NON_PROD`. */
                    types: z.array(z.enum(["PROD", "NON_PROD"])).optional(),
                    tags: z.array(z.string()).optional(),
                })
                .optional(),
        })
        .default({}),
    policy: policyFieldsSchema,
});
export type PromotionPolicyDefinition = z.infer<typeof promotionPolicyDefinitionSchema>;
export type PromotionPolicyInput = z.input<typeof promotionPolicyDefinitionSchema>;
