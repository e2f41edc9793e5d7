import * as assert from "assert";
import type { EnvironmentDefinition } from "../../../components/environment";
import type { PromotionPolicyDefinition } from "../../../components/promotionPolicy";
import { matchingPolicies, resolvePolicy } from "../../../components/promotionPolicy.merge";

const env = (name: string, kind: "production" | "non-production" = "non-production", tags: string[] = []) =>
    ({ name, kind, clusters: [], tags }) as EnvironmentDefinition;
const policy = (
    name: string,
    priority: number,
    fields: PromotionPolicyDefinition["policy"],
    selector: PromotionPolicyDefinition["selector"] = {},
): PromotionPolicyDefinition => ({ name, priority, selector, policy: fields });
const product = { name: "trioapp", tags: ["web"] };

describe("resolvePolicy", () => {
    it("merges the reference's worked example: pre and action from pp-demo (20), post from pp-notify (300)", () => {
        const policies = [
            policy("pp-notify", 300, { postAction: "send-slack-success-fail" }),
            policy("pp-demo", 20, { preAction: "send-slack-alert", action: "commit" }),
        ];
        const r = resolvePolicy(policies, { product, environment: env("staging") });
        assert.deepStrictEqual(r, {
            action: "commit",
            preAction: "send-slack-alert",
            postAction: "send-slack-success-fail",
            sources: {
                action: { policy: "pp-demo" },
                preAction: { policy: "pp-demo" },
                postAction: { policy: "pp-notify" },
            },
        });
    });

    const cases: {
        name: string;
        policies: PromotionPolicyDefinition[];
        environment?: EnvironmentDefinition;
        inline?: PromotionPolicyDefinition["policy"];
        expect: Partial<Record<"action" | "preAction" | "postAction", string>>;
    }[] = [
        { name: "no policy: commit, no workflows", policies: [], expect: { action: "commit" } },
        {
            name: "lower priority number wins, negative included",
            policies: [policy("a", 10, { action: "pr" }), policy("b", -100, { action: "commit" })],
            expect: { action: "commit" },
        },
        {
            name: "ties are broken by name",
            policies: [
                policy("zeta", 1, { action: "pr" }),
                policy("alpha", 1, { action: "none", preAction: "x" }),
            ],
            expect: { action: "none", preAction: "x" },
        },
        {
            name: "inline step values override field by field",
            policies: [policy("g", 1, { action: "pr", preAction: "smoke", postAction: "notify" })],
            inline: { action: "commit" },
            expect: { action: "commit", preAction: "smoke", postAction: "notify" },
        },
        {
            name: "a type selector matches production environments only",
            policies: [policy("prod-pr", 1, { action: "pr" }, { targetEnvironment: { types: ["PROD"] } })],
            environment: env("prod", "production"),
            expect: { action: "pr" },
        },
        {
            name: "a type selector does not match other kinds",
            policies: [policy("prod-pr", 1, { action: "pr" }, { targetEnvironment: { types: ["PROD"] } })],
            environment: env("qa"),
            expect: { action: "commit" },
        },
        {
            name: "every criterion must match (product name and environment name)",
            policies: [
                policy(
                    "both",
                    1,
                    { action: "pr" },
                    { product: { names: ["other"] }, targetEnvironment: { names: ["qa"] } },
                ),
            ],
            environment: env("qa"),
            expect: { action: "commit" },
        },
        {
            name: "values in one criterion OR, tags included",
            policies: [
                policy(
                    "t",
                    1,
                    { postAction: "soak" },
                    { product: { tags: ["api", "web"] }, targetEnvironment: { tags: ["eu"] } },
                ),
            ],
            environment: env("prod-eu", "production", ["eu"]),
            expect: { action: "commit", postAction: "soak" },
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const r = resolvePolicy(
                c.policies,
                { product, environment: c.environment ?? env("qa") },
                c.inline,
            );
            const { sources: _s, ...fields } = r;
            assert.deepStrictEqual(fields, c.expect);
        });
    }

    it("orders matching policies by precedence", () => {
        const ps = [policy("c", 5, {}), policy("a", 5, {}), policy("b", -1, {})];
        assert.deepStrictEqual(
            matchingPolicies(ps, { product, environment: env("qa") }).map((p) => p.name),
            ["b", "a", "c"],
        );
    });
});
