import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { approvalTimeoutWarnings } from "../../../components/promotionFlow.limit";
import { scenarioDefinitions } from "../../support/scenario";

function catalogWith(limit: string, stepTimeout: string | undefined, policyTimeout?: string) {
    const defs = scenarioDefinitions({
        product: "web",
        repoURL: "file:///nowhere",
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
        flows: [
            {
                name: "seq",
                triggerEnvironment: "dev",
                promotionTimeoutLimit: limit,
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    {
                        environment: "prod",
                        dependsOn: ["qa"],
                        ...(stepTimeout
                            ? { policy: { approval: { approvers: [{ user: "a" }], timeout: stepTimeout } } }
                            : {}),
                    },
                ],
            },
        ],
        policies: policyTimeout
            ? [
                  {
                      name: "prod-approval",
                      priority: 1,
                      selector: { targetEnvironment: { types: ["PROD"] } },
                      policy: { approval: { approvers: [{ user: "a" }], timeout: policyTimeout } },
                  },
              ]
            : [],
    });
    const { catalog, issues } = buildCatalog(defs);
    assert.deepStrictEqual(issues, []);
    return catalog;
}

describe("approvalTimeoutWarnings", () => {
    it("warns when an approval's timeout outlasts the flow's promotionTimeoutLimit, naming both and where it is set", () => {
        assert.deepStrictEqual(approvalTimeoutWarnings(catalogWith("24h", "48h")).map(formatIssue), [
            'PromotionFlow "seq": steps[1]: the approval of environment "prod" (steps[1].policy.approval) has timeout 2d, longer than the flow\'s promotionTimeoutLimit 1d: the release ends Terminated at the limit before the approval can expire; shorten the approval\'s timeout or raise promotionTimeoutLimit',
        ]);
        const fromPolicy = approvalTimeoutWarnings(catalogWith("30m", undefined, "1h")).map(formatIssue);
        assert.strictEqual(fromPolicy.length, 1);
        assert.match(
            fromPolicy[0],
            /\(PromotionPolicy "prod-approval"\) has timeout 1h, longer than the flow's promotionTimeoutLimit 30m/,
        );
    });

    it("says nothing when the approval ends first, or has no timeout", () => {
        assert.deepStrictEqual(approvalTimeoutWarnings(catalogWith("24h", "24h")), []);
        assert.deepStrictEqual(approvalTimeoutWarnings(catalogWith("24h", undefined)), []);
    });
});
