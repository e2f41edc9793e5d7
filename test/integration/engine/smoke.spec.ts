import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { openStack } from "../../../engine/pulumi/workspace";
import { testEngine, testPassphrase } from "../../support/engine";
import { removeTempDirs, tempDir } from "../../support/tmp";

interface MarkerInputs {
    file: string;
    content: string;
}

/** Writes a file on create: a side effect that proves the dynamic-provider host ran (and that preview did not). */
const markerProvider: pulumi.dynamic.ResourceProvider<MarkerInputs, MarkerInputs & { bytes: number }> = {
    async diff(_id, olds, news) {
        return { changes: olds.file !== news.file || olds.content !== news.content };
    },
    async create(inputs) {
        const nodeFs = require("fs") as typeof fs;
        nodeFs.writeFileSync(inputs.file, inputs.content);
        return { id: inputs.file, outs: { ...inputs, bytes: Buffer.byteLength(inputs.content) } };
    },
};

class Marker extends pulumi.dynamic.Resource {
    declare readonly bytes: pulumi.Output<number>;
    constructor(name: string, args: { file: string; content: string }, opts?: pulumi.CustomResourceOptions) {
        super(markerProvider, name, { ...args, bytes: undefined }, opts, "promotions-test", "Marker");
    }
}

describe("the Pulumi engine through the Automation API", function () {
    this.timeout(240_000);
    after(removeTempDirs);

    it("previews without writing, creates with a beforeCreate hook, then converges", async () => {
        const dir = tempDir("smoke");
        const marker = path.join(dir, "marker.txt");
        const hookLog = path.join(dir, "hook.log");
        const program = async () => {
            const hook = new pulumi.ResourceHook("record-before-create", (args) => {
                fs.appendFileSync(hookLog, `${args.name}:${String(args.newInputs?.content)}\n`);
            });
            const m = new Marker(
                "marker",
                { file: marker, content: "hello" },
                { hooks: { beforeCreate: [hook] } },
            );
            return { bytes: m.bytes, file: marker };
        };
        const stack = await openStack({
            engine: await testEngine(),
            backendUrl: `file://${path.join(dir, "state")}`,
            passphrase: testPassphrase,
            projectName: "smoke",
            stackName: "dev",
            program,
            workDir: path.join(dir, "work"),
            updateResults: true,
        });

        const previewEvents: EngineEvent[] = [];
        const preview = await stack.preview({ onEvent: (e) => previewEvents.push(e) });
        assert.strictEqual(preview.changeSummary.create, 2, "stack + marker planned for creation");
        assert.ok(!fs.existsSync(marker), "preview must not run create");
        assert.ok(!fs.existsSync(hookLog), "hooks must not run during preview");
        const planned = previewEvents
            .filter((e) => e.resourcePreEvent)
            .map((e) => e.resourcePreEvent!.metadata.type);
        assert.ok(planned.includes("pulumi-nodejs:dynamic/promotions-test:Marker"), planned.join(", "));

        const first = await stack.up();
        assert.strictEqual(first.summary.result, "succeeded");
        assert.strictEqual(first.summary.resourceChanges?.create, 2);
        assert.strictEqual(fs.readFileSync(marker, "utf8"), "hello");
        assert.strictEqual(fs.readFileSync(hookLog, "utf8"), "marker:hello\n");
        assert.strictEqual(first.outputs.bytes.value, 5);
        assert.strictEqual(first.outputs.file.value, marker);

        fs.rmSync(marker);
        const second = await stack.up();
        assert.strictEqual(second.summary.result, "succeeded");
        assert.deepStrictEqual(second.summary.resourceChanges, { same: 2 });
        assert.ok(!fs.existsSync(marker), "a converged stack must not call create again");
        assert.strictEqual(fs.readFileSync(hookLog, "utf8"), "marker:hello\n", "no hook on a same step");

        const history = await stack.history();
        assert.deepStrictEqual(
            history.map((h) => [h.kind, h.result]),
            [
                ["update", "succeeded"],
                ["update", "succeeded"],
            ],
        );
        const state = await stack.exportStack();
        const resources = (state.deployment as { resources: { type: string }[] }).resources;
        assert.ok(resources.some((r) => r.type === "pulumi-nodejs:dynamic/promotions-test:Marker"));
    });
});
