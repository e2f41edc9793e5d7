import * as assert from "assert";
import * as path from "path";
import { buildOptions, parseCommandLine } from "../../../cli/args";
import { settingsFrom } from "../../../cli/context";

function options(argv: string[]) {
    const line = parseCommandLine(argv, () => "FULL USAGE");
    assert.strictEqual(line.kind, "command");
    const c = line as Extract<typeof line, { kind: "command" }>;
    return buildOptions(
        c.command,
        c.values,
        c.positionals,
        settingsFrom({ noColor: false }, { PATH: "/bin", GITHUB_ACTOR: "ci-bot" }, "/work", false),
    );
}

describe("--policy-pack DIR", () => {
    it("is repeatable on trigger, promote and preview, resolved against the working directory", () => {
        const packs = ["--policy-pack", "packs/a", "--policy-pack", "/abs/b"];
        const want = [path.resolve("packs/a"), "/abs/b"];
        assert.deepStrictEqual(
            (
                options(["trigger", "--product", "web", "--flow", "seq", ...packs]) as {
                    policyPacks?: string[];
                }
            ).policyPacks,
            want,
        );
        assert.deepStrictEqual(
            (
                options(["promote", "--product", "web", "--from", "qa", "--to", "prod", ...packs]) as {
                    policyPacks?: string[];
                }
            ).policyPacks,
            want,
        );
        assert.deepStrictEqual(
            options(["trigger", "--product", "web", "--flow", "seq"]),
            { product: "web", flow: "seq", json: false, by: "ci-bot" },
            "absent unless given",
        );
    });

    it("makes preview run the engine's preview (policy packs run in the engine)", () => {
        const o = options(["preview", "--product", "web", "--flow", "seq", "--policy-pack", "/abs/p"]) as {
            engine: boolean;
            policyPacks?: string[];
        };
        assert.deepStrictEqual([o.engine, o.policyPacks], [true, ["/abs/p"]]);
        assert.strictEqual(
            (options(["preview", "--product", "web", "--flow", "seq"]) as { engine: boolean }).engine,
            false,
        );
    });
});

describe("--save-plan FILE and --plan FILE", () => {
    it("preview --save-plan runs the engine's preview; trigger --plan takes the file, both resolved", () => {
        const p = options(["preview", "--product", "web", "--flow", "seq", "--save-plan", "p.json"]) as {
            engine: boolean;
            savePlan?: string;
        };
        assert.deepStrictEqual([p.engine, p.savePlan], [true, path.resolve("p.json")]);
        const t = options(["trigger", "--product", "web", "--flow", "seq", "--plan", "p.json"]) as {
            planFile?: string;
        };
        assert.strictEqual(t.planFile, path.resolve("p.json"));
        assert.throws(() =>
            options(["promote", "--product", "web", "--from", "a", "--to", "b", "--plan", "p.json"]),
        );
    });
});
