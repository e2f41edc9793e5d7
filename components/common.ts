import { z } from "zod";

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

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) {
            return false;
        }
    }
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const inValues = has && (e.values ?? []).includes(labels[e.key]);
        const ok =
            e.operator === "In"
                ? inValues
                : e.operator === "NotIn"
                  ? !inValues
                  : e.operator === "Exists"
                    ? has
                    : !has;
        if (!ok) {
            return false;
        }
    }
    return true;
}

/**
 * A duration: an integer is minutes (Codefresh's `promotionTimeoutLimit`), a string is a number with a unit
 * (`90s`, `5m`, `24h`, `1d`, or combinations like `1h30m`). Returns milliseconds, or undefined if invalid.
 */
export function parseDuration(value: number | string): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) && value > 0 ? value * 60_000 : undefined;
    }
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) {
        return parseDuration(Number(text));
    }
    const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
    let total = 0;
    let consumed = 0;
    for (const m of text.matchAll(re)) {
        if (m.index !== consumed) {
            return undefined;
        }
        total += Number(m[1]) * units[m[2]];
        consumed += m[0].length;
    }
    return consumed === text.length && total > 0 ? total : undefined;
}

export const durationSchema = z
    .union([z.number(), z.string()])
    .refine((v) => parseDuration(v) !== undefined, {
        message:
            "must be a positive duration: minutes as an integer, or a string such as 90s, 5m, 24h, 1h30m",
    });

/** Formats milliseconds the way users write durations: `90s`, `5m`, `1h30m`, `24h`. */
export function formatDuration(ms: number): string {
    if (ms < 1000) {
        return `${ms}ms`;
    }
    const parts: string[] = [];
    let rest = Math.round(ms / 1000);
    for (const [unit, size] of [
        ["d", 86400],
        ["h", 3600],
        ["m", 60],
        ["s", 1],
    ] as const) {
        if (rest >= size) {
            parts.push(`${Math.floor(rest / size)}${unit}`);
            rest %= size;
        }
    }
    return parts.join("");
}
