import type { ActionKind } from "../../model/kinds";
import { InvalidInputError } from "../../model/errors";
import type { PromotionAction } from "./action";
import { commitAction } from "./commit";
import { noneAction } from "./none";
import { prAction } from "./pr";

/**
 * Every action kind, by name: the source of truth for what an environment's policy can ask for. Adding one:
 * a file implementing PromotionAction, a line here, and its name in `model/kinds.ts` (the compiler checks
 * the three agree).
 */
export const actions: { readonly [K in ActionKind]: PromotionAction & { readonly kind: K } } = {
    commit: commitAction,
    pr: prAction,
    none: noneAction,
};

export function actionFor(kind: string): PromotionAction {
    const action = (actions as Readonly<Record<string, PromotionAction>>)[kind];
    if (!action) {
        throw new InvalidInputError(
            `action "${kind}" is not available (available: ${Object.keys(actions).join(", ")})`,
            { path: "action" },
        );
    }
    return action;
}
