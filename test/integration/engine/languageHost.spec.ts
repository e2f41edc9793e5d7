import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { openLocalStack } from "../../../engine/pulumi/workspace";
import { testEngine, testPassphrase } from "../../support/engine";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("the Node.js language host", function () {
    this.timeout(240_000);
    after(removeTempDirs);

    it("runs a local program with config and secrets, as `pulumi up` in a directory does", async () => {
        const engine = await testEngine();
        const dir = tempDir("langhost");
        const program = path.join(dir, "program");
        fs.cpSync(path.join(packageRoot, "test", "fixtures", "local-program"), program, { recursive: true });
        fs.symlinkSync(path.join(packageRoot, "node_modules"), path.join(program, "node_modules"));

        const stack = await openLocalStack({
            engine,
            backendUrl: `file://${path.join(dir, "state")}`,
            passphrase: testPassphrase,
            stackName: "dev",
            workDir: program,
        });
        await stack.setConfig("who", { value: "promotions" });
        await stack.setConfig("token", { value: "s3cr3t-token", secret: true });

        const up = await stack.up();
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(up.outputs.greeting.value, "hello promotions");
        assert.strictEqual(up.outputs.secretLength.value, 12);
        assert.strictEqual(up.outputs.secretLength.secret, true);
        assert.strictEqual(up.outputs.stack.value, "dev");
        const state = fs.readFileSync(
            path.join(dir, "state", ".pulumi", "stacks", "local-program", "dev.json"),
            "utf8",
        );
        assert.ok(
            !state.includes("s3cr3t-token"),
            "a secret config value must not reach the state in plain text",
        );
    });
});
