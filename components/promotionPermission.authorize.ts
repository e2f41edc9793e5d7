/**
 * Who may do what, pure: the PromotionPermission rules of a catalog applied to a subject, an action and a
 * scope. Unit-tested in test/unit/components/promotionPermission.authorize.spec.ts; the API applies it to every
 * call (server/permissions.ts).
 *
 * - No rules at all: everything is allowed (a loopback server; a server bound elsewhere refuses to start
 *   without rules).
 * - A rule applies when one of its subjects is the user or one of their groups.
 * - A rule with `admin` allows everything everywhere.
 * - `view` is implied by every other action, and a scope without an environment (or flow) asks whether the
 *   subject may view anything of the product: a developer who may promote to qa sees the product.
 * - Any other action needs a rule listing it whose scopes cover the scope asked. A part of the scope that is
 *   not given (a promotion outside any flow has no flow) is covered only by a rule that does not restrict it.
 */
import type { Catalog } from "./catalog";
import type { PromotionPermissionDefinition } from "./promotionPermission";
import type { PermissionAction } from "../model/permissions";
import type { Subject } from "../model/subject";

/** What an action is asked on: a product, an environment (of it), a flow. */
export interface PermissionScope {
    readonly product?: string;
    readonly environment?: string;
    readonly flow?: string;
}

export type Authorization =
    | {
          readonly allowed: true;
          /** The rule that allows it; absent when no rules are defined. */ readonly rule?: string;
      }
    | { readonly allowed: false; /** What is missing, and the rule to add. */ readonly reason: string };

type Rules = Pick<Catalog, "environments" | "products"> & {
    readonly permissions?: readonly PromotionPermissionDefinition[];
};

const anyOf = (wanted: readonly string[] | undefined, have: readonly string[]) =>
    wanted === undefined ||
    wanted.length === 0 ||
    wanted.includes("*") ||
    wanted.some((w) => have.includes(w));

/** Does the rule name this subject (the user, or one of their groups)? */
export function ruleAppliesTo(rule: PromotionPermissionDefinition, subject: Subject): boolean {
    return rule.subjects.some(
        (s) =>
            (s.user !== undefined && s.user === subject.user) ||
            (s.group !== undefined && subject.groups.includes(s.group)),
    );
}

/**
 * Does the rule's scope cover the scope asked? A part given must match every criterion the rule sets for it; a
 * part not given is covered only by a rule without that restriction, unless `anyPart` (view: something of it).
 */
export function ruleCovers(
    catalog: Rules,
    rule: PromotionPermissionDefinition,
    scope: PermissionScope,
    anyPart = false,
): boolean {
    const restricts = (...criteria: (readonly string[] | undefined)[]) =>
        criteria.some((c) => c !== undefined && c.length > 0 && !c.includes("*"));
    const envRestricted = restricts(
        rule.environments?.names,
        rule.environments?.kinds,
        rule.environments?.tags,
    );
    const productRestricted = restricts(rule.products?.names, rule.products?.tags);
    const flowRestricted = restricts(rule.flows?.names);
    if (scope.product === undefined) {
        if (productRestricted && !anyPart) {
            return false;
        }
    } else {
        const product = catalog.products.find((p) => p.name === scope.product);
        if (
            !anyOf(rule.products?.names, [scope.product]) ||
            !anyOf(rule.products?.tags, product?.tags ?? [])
        ) {
            return false;
        }
    }
    if (scope.environment === undefined) {
        if (envRestricted && !anyPart) {
            return false;
        }
    } else {
        const env = catalog.environments.find((e) => e.name === scope.environment);
        // An environment the catalog does not know has no kind or tags: only a rule naming it (or all) covers it.
        if (
            !anyOf(rule.environments?.names, [scope.environment]) ||
            !anyOf(rule.environments?.kinds, env ? [env.kind] : []) ||
            !anyOf(rule.environments?.tags, env?.tags ?? [])
        ) {
            return false;
        }
    }
    if (scope.flow === undefined) {
        return !flowRestricted || anyPart;
    }
    return anyOf(rule.flows?.names, [scope.flow]);
}

/** May `subject` do `action` on `scope` under the catalog's PromotionPermission rules? */
export function authorize(
    catalog: Rules,
    subject: Subject,
    action: PermissionAction,
    scope: PermissionScope,
): Authorization {
    const rules = catalog.permissions ?? [];
    if (rules.length === 0) {
        return { allowed: true };
    }
    const mine = rules.filter((r) => ruleAppliesTo(r, subject));
    const admin = mine.find((r) => r.actions.includes("admin"));
    if (admin) {
        return { allowed: true, rule: admin.name };
    }
    const allows = (r: PromotionPermissionDefinition) =>
        action === "view" ? r.actions.length > 0 : r.actions.includes(action);
    const rule = mine.find((r) => allows(r) && ruleCovers(catalog, r, scope, action === "view"));
    return rule
        ? { allowed: true, rule: rule.name }
        : { allowed: false, reason: refusal(subject, action, scope) };
}

/**
 * Every scope must be allowed (a flow's trigger covers each environment it promotes to; a retry each
 * environment of the release): the refusal names every environment refused, else the first rule that allowed.
 */
export function authorizeAll(
    catalog: Rules,
    subject: Subject,
    action: PermissionAction,
    scopes: readonly PermissionScope[],
): Authorization {
    let allowed: Authorization = { allowed: true };
    const refused: PermissionScope[] = [];
    for (const scope of scopes) {
        const a = authorize(catalog, subject, action, scope);
        if (!a.allowed) {
            refused.push(scope);
        } else if (allowed.rule === undefined) {
            allowed = a;
        }
    }
    if (refused.length === 0) {
        return allowed;
    }
    const environments = refused.flatMap((r) => (r.environment !== undefined ? [r.environment] : []));
    return {
        allowed: false,
        reason: refusal(subject, action, refused[0], environments.length > 1 ? environments : undefined),
    };
}

const verbs: Readonly<Record<PermissionAction, string>> = {
    view: "view",
    promote: "promote to",
    trigger: "trigger",
    retry: "retry releases in",
    resume: "resume releases in",
    terminate: "terminate releases in",
    approve: "approve or reject promotions to",
    rollback: "roll back",
    hold: "place or release holds on",
    "override-window": "override promotion windows of",
    "override-policy": "choose another action, pre-action or post-action than the policy's for",
    admin: "administer",
};

/** `environment "prod" of product "shop" in flow "seq"`, or for a trigger `flow "seq" of product "shop" …`. */
export function describeScope(
    action: PermissionAction,
    scope: PermissionScope,
    environments?: readonly string[],
): string {
    const env =
        environments !== undefined
            ? `environments ${environments.map((e) => `"${e}"`).join(", ")}`
            : scope.environment !== undefined
              ? `environment "${scope.environment}"`
              : undefined;
    const product = scope.product !== undefined ? ` of product "${scope.product}"` : "";
    if (action === "trigger" && scope.flow !== undefined) {
        return `flow "${scope.flow}"${product}${env !== undefined ? ` (it promotes to ${env})` : ""}`;
    }
    const where =
        env !== undefined
            ? `${env}${product}`
            : scope.product !== undefined
              ? `product "${scope.product}"`
              : "anything";
    return `${where}${scope.flow !== undefined ? ` in flow "${scope.flow}"` : ""}`;
}

function refusal(
    subject: Subject,
    action: PermissionAction,
    scope: PermissionScope,
    environments?: readonly string[],
): string {
    const groups = subject.groups.length > 0 ? `groups: ${subject.groups.join(", ")}` : "no groups";
    return (
        `no PromotionPermission allows user "${subject.user}" (${groups}) to ${verbs[action]} ${describeScope(action, scope, environments)}; ` +
        `add a rule with action ${action} covering it`
    );
}
