import type { PromotionActionKind } from "./action";
import { commitAction } from "./commit";
import { noneAction } from "./none";
import { prAction } from "./pr";

/** Every action kind, by name. Adding one: a file implementing PromotionActionKind, and a line here. */
export const actions: Readonly<Record<string, PromotionActionKind>> = {
    commit: commitAction,
    pr: prAction,
    none: noneAction,
};

export function actionFor(kind: string): PromotionActionKind {
    const action = actions[kind];
    if (!action) {
        throw new Error(`action "${kind}" is not available (available: ${Object.keys(actions).join(", ")})`);
    }
    return action;
}
