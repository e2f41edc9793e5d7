import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import { loadDefinitions } from "../../../components/config";
import type { EnvironmentDefinition } from "../../../components/environment";
import { formatIssue } from "../../../components/issues";
import type { PromotionPolicyDefinition } from "../../../components/promotionPolicy";
import { resolvePolicy } from "../../../components/promotionPolicy.merge";
import { removeTempDirs, tempDir } from "../../support/tmp";

const prod = { name: "prod", kind: "production", clusters: [], tags: [] } as unknown as EnvironmentDefinition;
const product = { name: "web", tags: [] };

describe("approval in policies", () => {
    after(removeTempDirs);

    it("merges as one field: the highest-precedence policy's approval, a step's own overriding it", () => {
        const policies: PromotionPolicyDefinition[] = [
            {
                name: "prod-approval",
                priority: 10,
                selector: { targetEnvironment: { types: ["PROD"] } },
                policy: { approval: { approvers: [{ group: "release-managers" }], minApprovals: 2 } },
            },
            {
                name: "fallback",
                priority: 100,
                selector: {},
                policy: { approval: { approvers: [{ user: "ops" }] }, action: "commit" },
            },
        ];
        const r = resolvePolicy(policies, { product, environment: prod });
        assert.deepStrictEqual(r.approval, { approvers: [{ group: "release-managers" }], minApprovals: 2 });
        assert.deepStrictEqual(r.sources.approval, { policy: "prod-approval" });
        const inline = resolvePolicy(
            policies,
            { product, environment: prod },
            { approval: { approvers: [{ user: "cto" }], timeout: "24h" } },
        );
        assert.deepStrictEqual(inline.approval, { approvers: [{ user: "cto" }], timeout: "24h" });
        assert.deepStrictEqual(inline.sources.approval, { inline: true });
        assert.strictEqual(resolvePolicy([], { product, environment: prod }).approval, undefined);
    });

    it("YAML: a valid approval loads; each mistake is named with its entity, field and the fix", () => {
        const dir = tempDir("approval-yaml");
        const policy = (name: string, approval: string) => `---
apiVersion: codefresh.io/v1beta1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  priority: 1
  policy:
    approval: ${approval}
`;
        fs.writeFileSync(
            path.join(dir, "policies.yaml"),
            [
                policy(
                    "good",
                    "{ approvers: [ { group: release-managers }, { user: alice } ], minApprovals: 2, allowSelfApproval: false, timeout: 24h }",
                ),
                policy("none", "{ approvers: [] }"),
                policy("both", "{ approvers: [ { user: a, group: b } ] }"),
                policy("zero", "{ approvers: [ { user: a } ], minApprovals: 0 }"),
                policy("toomany", "{ approvers: [ { user: a } ], minApprovals: 2 }"),
                policy("slow", "{ approvers: [ { user: a } ], timeout: soon }"),
                policy("typo", "{ approver: [ { user: a } ] }"),
            ].join(""),
        );
        const { definitions, issues } = loadDefinitions(dir);
        const all = [...issues, ...buildCatalog(definitions).issues].map(formatIssue);
        const expected = [
            /PromotionPolicy "none": policy\.approval\.approvers: must name at least one approver \(\{ user: NAME \} or \{ group: NAME \}\)/,
            /PromotionPolicy "both": policy\.approval\.approvers\[0\]: must be \{ user: NAME \} or \{ group: NAME \}, one of the two/,
            /PromotionPolicy "zero": policy\.approval\.minApprovals: must be at least 1/,
            /PromotionPolicy "toomany": policy\.approval\.minApprovals: is 2 but only 1 user is listed as approvers \(and no group\): lower minApprovals or add approvers/,
            /PromotionPolicy "slow": policy\.approval\.timeout: must be a positive duration/,
            /PromotionPolicy "typo": policy\.approval: unknown field "approver": remove it or check the spelling/,
        ];
        for (const re of expected) {
            assert.ok(
                all.some((l) => re.test(l)),
                `missing ${re}\nin:\n${all.join("\n")}`,
            );
        }
        assert.ok(!all.some((l) => l.includes('"good"')), all.join("\n"));
        const good = buildCatalog(definitions).catalog.promotionPolicies.find((p) => p.name === "good");
        assert.deepStrictEqual(good?.policy.approval, {
            approvers: [{ group: "release-managers" }, { user: "alice" }],
            minApprovals: 2,
            allowSelfApproval: false,
            timeout: "24h",
        });
    });
});
