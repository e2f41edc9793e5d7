import type { EnvironmentDefinition } from "./environment";
import type {
    ApprovalSettings,
    PolicyFields,
    PromotionAction,
    PromotionPolicyDefinition,
    PullRequestSettings,
} from "./promotionPolicy";

/** Where a resolved field came from: a policy's name, the flow step (or command-line flags), or the default. */
export type FieldSource =
    { readonly policy: string } | { readonly inline: true } | { readonly default: true };

export interface ResolvedPolicy {
    readonly action: PromotionAction;
    readonly preAction?: string;
    readonly postAction?: string;
    readonly pullRequest?: PullRequestSettings;
    /** As written (`30m`, or minutes as a number): see parseDuration. */
    readonly soakTime?: string | number;
    readonly policyPacks?: readonly string[];
    /** The approval gate, as written (a whole: approvers and counts come from one place). */
    readonly approval?: ApprovalSettings;
    readonly sources: {
        readonly action: FieldSource;
        readonly preAction?: FieldSource;
        readonly postAction?: FieldSource;
        readonly pullRequest?: FieldSource;
        readonly soakTime?: FieldSource;
        readonly policyPacks?: FieldSource;
        readonly approval?: FieldSource;
    };
}

export interface PolicyTarget {
    readonly product: { readonly name: string; readonly tags: readonly string[] };
    readonly environment: EnvironmentDefinition;
}

const anyOf = (wanted: readonly string[] | undefined, have: readonly string[]) =>
    wanted === undefined || wanted.length === 0 || wanted.some((w) => have.includes(w));

/** Does the policy select this (product, target environment) pair? Every given criterion must match. */
export function policyMatches(policy: PromotionPolicyDefinition, target: PolicyTarget): boolean {
    const p = policy.selector.product;
    const e = policy.selector.targetEnvironment;
    const type = target.environment.kind === "production" ? "PROD" : "NON_PROD";
    return (
        anyOf(p?.names, [target.product.name]) &&
        anyOf(p?.tags, target.product.tags) &&
        anyOf(e?.names, [target.environment.name]) &&
        anyOf(e?.types, [type]) &&
        anyOf(e?.tags, target.environment.tags)
    );
}

/** Matching policies in precedence order: lower priority number first, ties by name. */
export function matchingPolicies(
    policies: readonly PromotionPolicyDefinition[],
    target: PolicyTarget,
): PromotionPolicyDefinition[] {
    return policies
        .filter((p) => policyMatches(p, target))
        .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Merges the matching policies field by field (each of preAction, action, postAction, pullRequest, soakTime, policyPacks, approval comes from the
 * highest-precedence policy that sets it), then lets inline values (a flow step's policy, or flags) override
 * each field. No action anywhere means `commit`.
 */
export function resolvePolicy(
    policies: readonly PromotionPolicyDefinition[],
    target: PolicyTarget,
    inline: PolicyFields = {},
): ResolvedPolicy {
    const ordered = matchingPolicies(policies, target);
    const pick = <K extends keyof PolicyFields>(field: K): [PolicyFields[K], FieldSource | undefined] => {
        if (inline[field] !== undefined) {
            return [inline[field], { inline: true }];
        }
        const from = ordered.find((p) => p.policy[field] !== undefined);
        return from ? [from.policy[field], { policy: from.name }] : [undefined, undefined];
    };
    const [action, actionSource] = pick("action");
    const [preAction, preSource] = pick("preAction");
    const [postAction, postSource] = pick("postAction");
    const [pullRequest, pullRequestSource] = pick("pullRequest");
    const [soakTime, soakSource] = pick("soakTime");
    const [policyPacks, packsSource] = pick("policyPacks");
    const [approval, approvalSource] = pick("approval");
    return {
        action: action ?? "commit",
        ...(preAction !== undefined ? { preAction } : {}),
        ...(postAction !== undefined ? { postAction } : {}),
        ...(pullRequest !== undefined ? { pullRequest } : {}),
        ...(soakTime !== undefined ? { soakTime } : {}),
        ...(policyPacks !== undefined ? { policyPacks } : {}),
        ...(approval !== undefined ? { approval } : {}),
        sources: {
            action: actionSource ?? { default: true },
            ...(preSource ? { preAction: preSource } : {}),
            ...(postSource ? { postAction: postSource } : {}),
            ...(pullRequestSource ? { pullRequest: pullRequestSource } : {}),
            ...(soakSource ? { soakTime: soakSource } : {}),
            ...(packsSource ? { policyPacks: packsSource } : {}),
            ...(approvalSource ? { approval: approvalSource } : {}),
        },
    };
}

/** The fields a promotion to one environment may choose against its policies (`override-policy`). */
export const overridableFields = ["action", "preAction", "postAction"] as const;
export type OverridableField = (typeof overridableFields)[number];

/** One field a promotion chose against the policy: what the policies resolve to, and what was chosen. */
export interface PolicyOverride {
    readonly field: OverridableField;
    /** The resolved value (absent: no policy sets it, and for the action the default `commit`). */
    readonly policy?: string;
    /** The policy that set the resolved value (absent: the default, or nothing). */
    readonly source?: string;
    readonly chosen: string;
}

/**
 * The fields of `chosen` that differ from what the policies resolve to for the target (a field given with the
 * value the policies resolve to is no override). Empty when nothing is overridden.
 */
export function policyOverrides(
    policies: readonly PromotionPolicyDefinition[],
    target: PolicyTarget,
    chosen: Pick<PolicyFields, OverridableField>,
): PolicyOverride[] {
    const resolved = resolvePolicy(policies, target);
    const found: PolicyOverride[] = [];
    for (const field of overridableFields) {
        const value = chosen[field];
        if (value === undefined || value === resolved[field]) {
            continue;
        }
        const source = resolved.sources[field];
        found.push({
            field,
            ...(resolved[field] !== undefined ? { policy: resolved[field] } : {}),
            ...(source && "policy" in source ? { source: source.policy } : {}),
            chosen: value,
        });
    }
    return found;
}

/** `preAction "noop" instead of "qa-gate" (policy "qa-checks")`, for refusals and logs. */
export function describeOverrides(overrides: readonly PolicyOverride[]): string {
    return overrides
        .map(
            (o) =>
                `${o.field} "${o.chosen}" instead of ${o.policy !== undefined ? `"${o.policy}"` : "none"}` +
                (o.source !== undefined ? ` (policy "${o.source}")` : ""),
        )
        .join(", ");
}
