import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import { describeOverrides } from "../../../components/promotionPolicy.merge";
import { overridesOf, withPolicyOverrides } from "../../../engine/governance/policyOverrides";
import { newReleaseRecord, publicRecord } from "../../../engine/record/releaseRecord";
import { permissionDefinitions } from "../../support/permissionRules";

const catalog = (() => {
    const built = buildCatalog({
        ...permissionDefinitions(),
        promotionWorkflows: [
            { name: "qa-checks", kind: "local", command: ["true"] },
            { name: "noop", kind: "local", command: ["true"] },
        ],
        promotionPolicies: [
            {
                name: "qa-gate",
                priority: 10,
                selector: { targetEnvironment: { names: ["qa"] } },
                policy: { preAction: "qa-checks", action: "pr" },
            },
        ],
    });
    assert.deepStrictEqual(built.issues, []);
    return built.catalog;
})();

describe("policy overrides (override-policy)", () => {
    it("only the fields that differ from the resolved policy are overrides", () => {
        assert.deepStrictEqual(
            overridesOf(catalog, "shop", "qa", { preAction: "qa-checks", action: "pr" }),
            [],
        );
        assert.deepStrictEqual(overridesOf(catalog, "shop", "qa", {}), []);
        const o = overridesOf(catalog, "shop", "qa", { preAction: "noop", action: "pr", postAction: "noop" });
        assert.deepStrictEqual(o, [
            { field: "preAction", policy: "qa-checks", source: "qa-gate", chosen: "noop" },
            { field: "postAction", chosen: "noop" },
        ]);
        assert.strictEqual(
            describeOverrides(o),
            'preAction "noop" instead of "qa-checks" (policy "qa-gate"), postAction "noop" instead of none',
        );
        // prod has no policy: the default action is commit, so commit is none and pr is one.
        assert.deepStrictEqual(overridesOf(catalog, "shop", "prod", { action: "commit" }), []);
        assert.deepStrictEqual(overridesOf(catalog, "shop", "prod", { action: "pr" }), [
            { field: "action", policy: "commit", chosen: "pr" },
        ]);
        // Unknown product or environment: nothing to compare (planning refuses them).
        assert.deepStrictEqual(overridesOf(catalog, "nope", "qa", { preAction: "noop" }), []);
        assert.deepStrictEqual(overridesOf(catalog, "shop", "nope", { preAction: "noop" }), []);
    });

    it("a release records its overrides, and who chose them in its audit", () => {
        const now = new Date("2026-11-23T12:00:00Z");
        const record = newReleaseRecord(
            {
                product: { name: "shop" },
                flow: { name: "manual" },
                sourceApplication: { name: "shop-dev" },
                candidate: {
                    sourceApplication: "shop-dev",
                    sourceRepoURL: "file:///r",
                    sourcePath: "p",
                    sourceCommit: "a",
                    files: [],
                },
                plan: {
                    trigger: "dev",
                    timeoutMs: 1000,
                    concurrency: "queue",
                    environments: [{ name: "qa", dependsOn: ["dev"], action: "commit", applications: [] }],
                },
            },
            { host: "h", pid: 1 },
            now,
            { user: "keeper", via: "token" },
        );
        const overrides = overridesOf(catalog, "shop", "qa", { preAction: "noop" });
        const r = withPolicyOverrides(record, "qa", overrides, { user: "keeper", via: "token" });
        assert.deepStrictEqual(r.policyOverrides, [{ environment: "qa", overrides }]);
        assert.deepStrictEqual(r.audit, [
            { action: "promote", user: "keeper", via: "token", at: now.toISOString(), environment: "qa" },
            {
                action: "override-policy",
                user: "keeper",
                via: "token",
                at: now.toISOString(),
                environment: "qa",
                overrides,
            },
        ]);
        assert.deepStrictEqual(publicRecord(r).policyOverrides, r.policyOverrides);
        assert.strictEqual(withPolicyOverrides(record, "qa", [], { user: "keeper", via: "token" }), record);
    });
});
