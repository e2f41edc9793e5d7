import * as assert from "assert";
import type { Catalog } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import type { PermissionScope } from "../../../components/promotionPermission.authorize";
import { authorize, authorizeAll } from "../../../components/promotionPermission.authorize";
import type { PermissionAction } from "../../../model/permissions";
import { permissionActions } from "../../../model/permissions";
import type { Subject } from "../../../model/subject";
import {
    admin,
    developer,
    permissionDefinitions,
    releaseManager,
    stranger,
} from "../../support/permissionRules";

function catalogWith(rules?: unknown[]): Catalog {
    const defs = permissionDefinitions();
    const { catalog, issues } = buildCatalog(
        rules === undefined ? defs : { ...defs, promotionPermissions: rules as never },
    );
    assert.deepStrictEqual(issues, []);
    return catalog;
}

describe("authorize: PromotionPermission rules", () => {
    const catalog = catalogWith();
    const qa = { product: "shop", environment: "qa" };
    const prod = { product: "shop", environment: "prod" };

    /** subject, action, scope → the rule that allows it, or false. */
    const table: [Subject, PermissionAction, PermissionScope, string | false][] = [
        [developer, "promote", qa, "developers-non-production"],
        [developer, "promote", prod, false],
        [developer, "retry", qa, "developers-non-production"],
        [developer, "terminate", qa, false],
        [developer, "approve", qa, false],
        [
            developer,
            "trigger",
            { product: "shop", flow: "to-qa", environment: "qa" },
            "developers-non-production",
        ],
        [developer, "trigger", { product: "shop", flow: "to-prod", environment: "prod" }, false],
        // view is implied by any other action on the same scope, and of a product by any action in it
        [developer, "view", { product: "shop" }, "developers-non-production"],
        [developer, "view", qa, "developers-non-production"],
        [developer, "view", prod, false],
        [releaseManager, "promote", prod, "release-managers"],
        [releaseManager, "approve", prod, "release-managers"],
        [releaseManager, "hold", prod, "release-managers"],
        [releaseManager, "rollback", qa, "release-managers"],
        [releaseManager, "terminate", prod, "release-managers"],
        [releaseManager, "trigger", { product: "shop", flow: "to-qa", environment: "qa" }, false],
        [releaseManager, "override-window", prod, false],
        [releaseManager, "resume", prod, false],
        [releaseManager, "view", { product: "other" }, false],
        [releaseManager, "promote", { product: "other", environment: "prod" }, false],
        ...permissionActions.map((a): [Subject, PermissionAction, PermissionScope, string | false] => [
            admin,
            a,
            prod,
            "admins",
        ]),
        [admin, "promote", { product: "anything", environment: "anywhere" }, "admins"],
        [stranger, "view", { product: "shop" }, false],
        [stranger, "promote", qa, false],
    ];
    for (const [subject, action, scope, want] of table) {
        it(`${subject.user} ${action} ${JSON.stringify(scope)} → ${want === false ? "refused" : want}`, () => {
            const a = authorize(catalog, subject, action, scope);
            assert.deepStrictEqual(a.allowed ? a.rule : false, want, a.allowed ? "" : a.reason);
        });
    }

    it("a refusal names the subject, groups, action, environment, product and the rule to add", () => {
        const a = authorize(catalog, developer, "promote", prod);
        assert.deepStrictEqual(a, {
            allowed: false,
            reason: 'no PromotionPermission allows user "dev1" (groups: developers) to promote to environment "prod" of product "shop"; add a rule with action promote covering it',
        });
        const t = authorize(catalog, stranger, "trigger", {
            product: "shop",
            flow: "to-prod",
            environment: "prod",
        });
        assert.strictEqual(
            t.allowed ? "" : t.reason,
            'no PromotionPermission allows user "guest" (groups: visitors) to trigger flow "to-prod" of product "shop" (it promotes to environment "prod"); add a rule with action trigger covering it',
        );
        const v = authorize(catalog, { user: "x", groups: [], via: "token" }, "view", { product: "shop" });
        assert.match(v.allowed ? "" : v.reason, /user "x" \(no groups\) to view product "shop"/);
    });

    it("no rules at all: everything is allowed, with no rule named", () => {
        for (const rules of [[], undefined]) {
            const c = { ...catalogWith(), permissions: rules };
            for (const action of permissionActions) {
                assert.deepStrictEqual(authorize(c, stranger, action, prod), { allowed: true });
            }
        }
    });

    it("users are matched by name, groups by membership; environment tags and kinds, product tags; every criterion must match", () => {
        const c = catalogWith([
            {
                name: "ann-prod",
                subjects: [{ user: "ann" }],
                actions: ["promote"],
                environments: { tags: ["customer-facing"] },
            },
            {
                name: "web-qa",
                subjects: [{ group: "qa" }],
                actions: ["promote"],
                environments: { names: ["qa"], kinds: ["production"] },
                products: { tags: ["web"] },
            },
            {
                name: "web-tagged",
                subjects: [{ group: "web" }],
                actions: ["hold"],
                products: { tags: ["web"] },
            },
        ]);
        const ann: Subject = { user: "ann", groups: [], via: "oidc" };
        assert.strictEqual(authorize(c, ann, "promote", prod).allowed, true);
        assert.strictEqual(authorize(c, ann, "promote", qa).allowed, false);
        assert.strictEqual(
            authorize(c, { user: "annie", groups: ["ann"], via: "oidc" }, "promote", prod).allowed,
            false,
        );
        // qa is non-production: names and kinds both given, both must match
        assert.strictEqual(
            authorize(c, { user: "q", groups: ["qa"], via: "token" }, "promote", qa).allowed,
            false,
        );
        assert.strictEqual(
            authorize(c, { user: "w", groups: ["web"], via: "token" }, "hold", prod).allowed,
            true,
        );
        // an environment the catalog does not know has no kind or tags
        assert.strictEqual(
            authorize(c, ann, "promote", { product: "shop", environment: "ghost" }).allowed,
            false,
        );
    });

    it("a flow-scoped rule covers only that flow: not other flows, nor a promotion outside any flow", () => {
        const c = catalogWith([
            {
                name: "qa-flow",
                subjects: [{ group: "developers" }],
                actions: ["trigger", "retry"],
                flows: { names: ["to-qa"] },
            },
        ]);
        const scope = (flow?: string): PermissionScope => ({
            product: "shop",
            environment: "qa",
            ...(flow ? { flow } : {}),
        });
        assert.strictEqual(authorize(c, developer, "trigger", scope("to-qa")).allowed, true);
        assert.strictEqual(authorize(c, developer, "trigger", scope("to-prod")).allowed, false);
        assert.strictEqual(authorize(c, developer, "retry", scope()).allowed, false);
        assert.match(
            (authorize(c, developer, "retry", scope("to-prod")) as { reason: string }).reason,
            /retry releases in environment "qa" of product "shop" in flow "to-prod"/,
        );
        // but seeing the product needs only some rule in it
        assert.strictEqual(authorize(c, developer, "view", { product: "shop" }).allowed, true);
    });

    it("an environment-scoped rule does not cover an action asked of the whole product", () => {
        assert.strictEqual(authorize(catalog, developer, "promote", { product: "shop" }).allowed, false);
        assert.strictEqual(authorize(catalog, releaseManager, "promote", { product: "shop" }).allowed, true);
    });

    it("authorizeAll: every scope must be allowed; the first refusal is the answer", () => {
        const flow = (f: string, envs: string[]) =>
            envs.map((environment) => ({ product: "shop", flow: f, environment }));
        assert.deepStrictEqual(authorizeAll(catalog, developer, "trigger", flow("to-qa", ["qa"])), {
            allowed: true,
            rule: "developers-non-production",
        });
        const refused = authorizeAll(catalog, developer, "trigger", flow("to-prod", ["qa", "prod"]));
        assert.match(
            refused.allowed ? "" : refused.reason,
            /trigger flow "to-prod" of product "shop" \(it promotes to environment "prod"\)/,
        );
        const both = authorizeAll(catalog, releaseManager, "trigger", flow("to-prod", ["qa", "prod"]));
        assert.match(
            both.allowed ? "" : both.reason,
            /to trigger flow "to-prod" of product "shop" \(it promotes to environments "qa", "prod"\); add a rule with action trigger/,
        );
        assert.deepStrictEqual(authorizeAll(catalog, developer, "trigger", []), { allowed: true });
    });
});
