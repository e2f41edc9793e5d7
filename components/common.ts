import { z } from "zod";
import { parseDuration } from "../model/duration";

/**
 * A refinement from a check that returns the reason a string is refused (or undefined): the message quotes
 * the value, so `repoURL: "ext::sh" uses git's "ext::" transport…` says what was given and what to do.
 */
export function refusing(problem: (value: string) => string | undefined) {
    return (value: string, ctx: z.RefinementCtx): void => {
        const reason = problem(value);
        if (reason !== undefined) {
            ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} ${reason}` });
        }
    };
}

/** Entity names: Kubernetes-style (lower-case letters, digits, `-`, `.`), as Codefresh requires. */
export const nameSchema = z
    .string()
    .regex(
        /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
        "must be lower-case letters, digits, '-' or '.', starting and ending with a letter or digit",
    )
    .max(253);

/** A Kubernetes label selector: `matchLabels` and `matchExpressions`, ANDed. */
export const labelSelectorSchema = z.strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
        .array(
            z.strictObject({
                key: z.string().min(1),
                operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
                values: z.array(z.string()).optional(),
            }),
        )
        .optional(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

export const durationSchema = z
    .union([z.number(), z.string()])
    .refine((v) => parseDuration(v) !== undefined, {
        message:
            "must be a positive duration: minutes as an integer, or a string such as 90s, 5m, 24h, 1h30m",
    });
