import * as assert from "assert";
import type { PromotionFlowDefinition } from "../../../components/promotionFlow";
import { findCycle, flowGraph, toDot, toMermaid } from "../../../components/promotionFlow.graph";

const flow = (steps: [string, string[]][]): PromotionFlowDefinition => ({
    name: "f",
    triggerEnvironment: "dev",
    steps: steps.map(([environment, dependsOn]) => ({ environment, dependsOn })),
});

describe("flowGraph", () => {
    it("sequential: one environment per layer", () => {
        const g = flowGraph(
            flow([
                ["prod", ["qa"]],
                ["qa", ["dev"]],
            ]),
        );
        assert.deepStrictEqual(g.layers, [["dev"], ["qa"], ["prod"]]);
        assert.deepStrictEqual(g.order, ["qa", "prod"]);
        assert.deepStrictEqual(g.criticalPath, ["dev", "qa", "prod"]);
    });

    it("parallel fan-out and fan-in", () => {
        const g = flowGraph(
            flow([
                ["global", ["prod-us", "prod-eu"]],
                ["prod-eu", ["qa"]],
                ["prod-us", ["qa"]],
                ["qa", ["dev"]],
            ]),
        );
        assert.deepStrictEqual(g.layers, [["dev"], ["qa"], ["prod-eu", "prod-us"], ["global"]]);
        assert.deepStrictEqual(g.dependsOn.global, ["prod-eu", "prod-us"]);
        assert.deepStrictEqual(g.criticalPath, ["dev", "qa", "prod-eu", "global"]);
    });

    it("extra dependencies: prod waits for qa and staging; the critical path follows the deepest branch", () => {
        const g = flowGraph(
            flow([
                ["qa", ["dev"]],
                ["prod", ["qa", "staging"]],
                ["staging", ["dev"]],
                ["perf", ["staging"]],
                ["prod2", ["prod", "perf"]],
            ]),
        );
        assert.deepStrictEqual(g.layers, [["dev"], ["qa", "staging"], ["perf", "prod"], ["prod2"]]);
        assert.deepStrictEqual(g.criticalPath, ["dev", "staging", "perf", "prod2"]); // ties: first by name
    });

    it("finds cycles", () => {
        assert.deepStrictEqual(findCycle({ qa: ["prod"], prod: ["qa"] }), ["prod", "qa", "prod"]);
        assert.strictEqual(findCycle({ qa: ["dev"], prod: ["qa"] }), undefined);
    });

    it("renders Mermaid and DOT", () => {
        const g = flowGraph(
            flow([
                ["qa", ["dev"]],
                ["prod-us", ["qa"]],
            ]),
        );
        assert.strictEqual(
            toMermaid(g),
            [
                "flowchart LR",
                '    dev(["dev"])',
                '    qa["qa"]',
                '    prod_us["prod-us"]',
                "    dev --> qa",
                "    qa --> prod_us",
            ].join("\n"),
        );
        assert.ok(toDot(g).includes('"qa" -> "prod-us";'));
    });
});
