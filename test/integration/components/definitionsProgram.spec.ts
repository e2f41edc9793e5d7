import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import { loadDefinitions } from "../../../components/config";
import { tokens } from "../../../model/tokens";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { openLocalStack } from "../../../engine/pulumi/workspace";
import { testEngine, testPassphrase } from "../../support/engine";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A copy of the repository's Pulumi.yaml whose main points back at the built program. */
function programDir(dir: string): string {
    const program = path.join(dir, "program");
    fs.mkdirSync(program);
    const yaml = fs
        .readFileSync(path.join(packageRoot, "Pulumi.yaml"), "utf8")
        .replace(/^main: .*$/m, `main: ${path.join(packageRoot, "dist", "program.js")}`);
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), yaml);
    fs.symlinkSync(path.join(packageRoot, "node_modules"), path.join(program, "node_modules"));
    return program;
}

describe("the definitions program (pulumi up at the repository root)", function () {
    this.timeout(240_000);
    after(removeTempDirs);
    const fixture = path.join(packageRoot, "test", "fixtures", "codefresh-published");

    it("registers one component per definition and exports the validated catalog", async () => {
        const dir = tempDir("definitions");
        const stack = await openLocalStack({
            engine: await testEngine(),
            backendUrl: `file://${path.join(dir, "state")}`,
            passphrase: testPassphrase,
            stackName: "dev",
            workDir: programDir(dir),
        });
        await stack.setConfig("promotions:definitions", { value: fixture });
        const up = await stack.up();
        assert.strictEqual(up.summary.result, "succeeded");
        const expected = buildCatalog(loadDefinitions(fixture).definitions).catalog;
        assert.deepStrictEqual(up.outputs.catalog.value, JSON.parse(JSON.stringify(expected)));

        const state = (await stack.exportStack()).deployment as { resources: { type: string }[] };
        const count = (type: string) => state.resources.filter((r) => r.type === type).length;
        assert.deepStrictEqual(
            [tokens.Environment, tokens.Product, tokens.PromotionFlow, tokens.PromotionWorkflow].map(count),
            [5, 2, 4, 11],
        );
    });

    it("fails the update listing every problem when the definitions are invalid", async () => {
        const dir = tempDir("definitions-bad");
        const defs = path.join(dir, "defs");
        fs.mkdirSync(defs);
        fs.writeFileSync(
            path.join(defs, "bad.yaml"),
            "apiVersion: promotions/v1alpha1\nkind: Environment\nmetadata: { name: dev }\nspec: { kind: staging }\n" +
                "---\napiVersion: codefresh.io/v1beta1\nkind: PromotionFlow\nmetadata: { name: f }\n" +
                "spec: { triggerEnvironment: dev, steps: [ { environment: qa, dependsOn: [dev] } ] }\n",
        );
        const stack = await openLocalStack({
            engine: await testEngine(),
            backendUrl: `file://${path.join(dir, "state")}`,
            passphrase: testPassphrase,
            stackName: "dev",
            workDir: programDir(dir),
        });
        await stack.setConfig("promotions:definitions", { value: defs });
        await assert.rejects(stack.up(), (e: Error) => {
            assert.match(e.message, /2 problems in the promotion definitions/);
            assert.match(e.message, /bad\.yaml:1: Environment "dev": kind: Invalid option/);
            assert.match(
                e.message,
                /bad\.yaml:6: PromotionFlow "f": steps\[0\]\.environment: unknown environment "qa"/,
            );
            assert.doesNotMatch(e.message, /at .*\.js:\d+/, "no stack trace for invalid input");
            return true;
        });
    });
});
