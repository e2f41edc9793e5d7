import type { LabelSelector } from "./common";

/*
 * Matching labels against a selector, apart from the selector's schema: choosing a template for an application
 * does not load the definitions' validation (zod).
 */

/** Do `labels` satisfy `selector` (every matchLabels pair and every matchExpressions term)? */
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
