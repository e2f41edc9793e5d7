import * as assert from "assert";
import type { ProductDefinition } from "../../../components/product";
import { globMatches, matchFlow } from "../../../components/product.triggers";

const product = (flows: ProductDefinition["promotionFlows"]): ProductDefinition => ({
    name: "p",
    promotionFlows: flows,
    concurrency: "queue",
    tags: [],
    applications: [],
});
const commit = (message: string, branch = "main", sha = "0123456789abcdef") => ({ message, branch, sha });

describe("trigger selectors", () => {
    it("globs: * is any run of characters, the rest is literal and whole", () => {
        assert.ok(globMatches("*deploy*", "please deploy now"));
        assert.ok(globMatches("feature/*", "feature/x"));
        assert.ok(!globMatches("hotfix", "hotfix-2"));
        assert.ok(globMatches("a.b", "a.b") && !globMatches("a.b", "axb"));
    });

    const flows = product([
        {
            name: "to-prod",
            gitTriggerSelectors: [{ key: "commitMessage", operator: "In", values: ["*deploy*"] }],
        },
        {
            name: "hotfix",
            gitTriggerSelectors: [{ key: "gitRevision", operator: "In", values: ["hotfix", "release-*"] }],
        },
    ]);
    const cases: [string, ReturnType<typeof commit>, string | undefined][] = [
        ["the first matching flow wins", commit("deploy it", "hotfix"), "to-prod"],
        ["a later flow when the first does not match", commit("fix", "release-2"), "hotfix"],
        ["nothing when no flow matches", commit("fix", "main"), undefined],
        ["gitRevision also matches the SHA", commit("x", "main", "abc"), undefined],
    ];
    for (const [name, c, expected] of cases) {
        it(name, () => assert.strictEqual(matchFlow(flows, c), expected));
    }

    it("several selectors AND, NotIn excludes, no selectors match everything", () => {
        const p = product([
            {
                name: "guarded",
                gitTriggerSelectors: [
                    { key: "gitRevision", operator: "In", values: ["main"] },
                    { key: "commitMessage", operator: "NotIn", values: ["*skip*"] },
                ],
            },
            { name: "fallback" },
        ]);
        assert.strictEqual(matchFlow(p, commit("ship", "main")), "guarded");
        assert.strictEqual(matchFlow(p, commit("ship [skip]", "main")), "fallback");
        assert.strictEqual(matchFlow(p, commit("ship", "dev")), "fallback");
        assert.strictEqual(
            matchFlow(
                product([
                    {
                        name: "sha",
                        gitTriggerSelectors: [{ key: "gitRevision", operator: "In", values: ["abc*"] }],
                    },
                ]),
                commit("x", "main", "abc123"),
            ),
            "sha",
        );
    });
});
