import { z } from "zod";
import { describeValue } from "./issues";
import { permissionActions } from "../model/permissions";
import { nameSchema } from "./common";

const names = z.array(z.string().min(1)).optional();

/** One subject of a rule: a user or a group, as the server's identities name them. */
export const permissionSubjectSchema = z
    .strictObject({
        /** A user name (a token's `--user`, an OIDC `sub`/`preferred_username`, a proxy's X-Forwarded-User). */
        user: z.string().min(1).optional(),
        /** A group (a token's `--group`, an OIDC `groups` claim, a proxy's X-Forwarded-Groups). */
        group: z.string().min(1).optional(),
    })
    .superRefine((s, ctx) => {
        if ((s.user === undefined) === (s.group === undefined)) {
            ctx.addIssue({
                code: "custom",
                message: "give either user: NAME or group: NAME (one subject per entry)",
            });
        }
    });
export type PermissionSubject = z.infer<typeof permissionSubjectSchema>;

const actionSchema = z.enum(permissionActions, {
    error: (iss) =>
        `unknown action ${typeof iss.input === "string" ? JSON.stringify(iss.input) : describeValue(iss.input)}: use one of ${permissionActions.join(", ")}`,
});

export const promotionPermissionDefinitionSchema = z
    .strictObject({
        name: nameSchema,
        /** Who the rule allows: users and groups. */
        subjects: z
            .array(permissionSubjectSchema)
            .min(1, "no subjects: list who the rule allows, e.g. subjects: [{ group: developers }]"),
        /**
         * What they may do. `view` is implied by every other action on the same scope; `admin` allows every
         * action everywhere (a rule with admin takes no scope).
         */
        actions: z
            .array(actionSchema)
            .min(1, `no actions: list what the rule allows, some of ${permissionActions.join(", ")}`),
        /** Where: the environments it covers (every given criterion must match; absent: every environment). */
        environments: z
            .strictObject({
                names,
                kinds: z.array(z.enum(["production", "non-production"])).optional(),
                tags: names,
            })
            .optional(),
        /** The products it covers (absent: every product). */
        products: z.strictObject({ names, tags: names }).optional(),
        /**
         * The flows it covers (absent: every flow, and promotions to one environment outside any flow). A rule
         * with flows covers only what happens in those flows: triggering them, retrying or terminating their
         * releases.
         */
        flows: z.strictObject({ names }).optional(),
    })
    .superRefine((p, ctx) => {
        if (p.actions.includes("admin") && (p.environments || p.products || p.flows)) {
            ctx.addIssue({
                code: "custom",
                path: ["actions"],
                message:
                    "admin allows every action everywhere, so the rule's environments, products and flows would be ignored: remove them, or list the actions (promote, trigger, …) instead of admin",
            });
        }
    });
export type PromotionPermissionDefinition = z.infer<typeof promotionPermissionDefinitionSchema>;
export type PromotionPermissionInput = z.input<typeof promotionPermissionDefinitionSchema>;
