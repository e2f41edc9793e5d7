import type { PolicyFields } from "../../components/promotionPolicy";
import type { CommandSpec, NoWaitOption } from "../spec";
import {
    actorOf,
    asOption,
    distinct,
    flag,
    json,
    message,
    messageOf,
    noWait,
    noWaitOf,
    oneOf,
    overrideHold,
    overrideHoldOf,
    policyPack,
    policyPacksOf,
    required,
    sourceCommit,
    text,
} from "../spec";

export interface PromoteCommandOptions extends NoWaitOption {
    /** `--message TEXT`: for the body of each promotion commit. */
    readonly message?: string;
    readonly product: string;
    readonly from: string;
    readonly to: string;
    readonly overrides: PolicyFields;
    readonly sourceCommit?: string;
    readonly json: boolean;
    /** Promote to a held environment (recorded on the release). */
    readonly overrideHold?: boolean;
    /** Promote outside the environment's promotion windows (recorded on the release). */
    readonly overrideWindow?: boolean;
    /** `--policy-pack DIR` (absolute). */
    readonly policyPacks?: readonly string[];
    /** Who promotes (recorded on the release as its initiator, via `local`). */
    readonly by?: string;
}

export const promoteSpec = {
    summary: "promote to one environment (flow 'manual'); policy fields overridable",
    usage:
        "promote promote --product P --from ENV --to ENV [--action commit|pr|none] [--pre-action W] " +
        "[--post-action W] [--source-commit SHA] [--override-hold] [--override-window] " +
        "[--policy-pack DIR]... [--as USER] [--no-wait] [--message TEXT] [--json]",
    options: {
        product: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        action: { type: "string" },
        "pre-action": { type: "string" },
        "post-action": { type: "string" },
        ...sourceCommit,
        ...overrideHold,
        ...policyPack,
        ...asOption,
        ...noWait,
        ...message,
        ...json,
    },
    help: {
        product: "the product to promote",
        from: "the environment to promote from",
        to: "the environment to promote to",
        action: "commit, pr or none instead of the policy's action",
        "pre-action": "the workflow to run before the action instead of the policy's",
        "post-action": "the workflow to run after the action instead of the policy's",
    },
    build: (v, _p, s): PromoteCommandOptions => {
        const product = required(v, "product", "the product to promote");
        const from = required(v, "from", "the environment to promote from");
        const to = required(v, "to", "the environment to promote to");
        distinct(from, to);
        const action = oneOf(v, "action", ["commit", "pr", "none"] as const);
        const pre = text(v, "pre-action");
        const post = text(v, "post-action");
        return {
            product,
            from,
            to,
            overrides: {
                ...(action ? { action } : {}),
                ...(pre ? { preAction: pre } : {}),
                ...(post ? { postAction: post } : {}),
            },
            ...(text(v, "source-commit") ? { sourceCommit: text(v, "source-commit") } : {}),
            json: flag(v, "json"),
            ...overrideHoldOf(v),
            ...policyPacksOf(v),
            by: actorOf(v, s),
            ...noWaitOf(v),
            ...messageOf(v),
        };
    },
} satisfies CommandSpec<PromoteCommandOptions>;
