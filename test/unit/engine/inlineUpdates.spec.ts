import * as assert from "assert";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { afterGate } from "../../../engine/inlineUpdates";
import type { PlannedEnvironment, ReleaseRecord } from "../../../engine/releaseRecord";
import { writesAfterRecord } from "../../../engine/releaseRun";

// The Automation API's language server: what the engine calls to run an inline program.
const { LanguageServer } = require("@pulumi/pulumi/automation/server") as {
    LanguageServer: new (program: PulumiFn) => {
        run(call: unknown, callback: (err?: Error, resp?: unknown) => void): unknown;
    };
};

/** A run request from the engine that notes when the server reads it (the first thing its run does). */
function fakeCall() {
    const seen = { read: false };
    const call = {
        get request(): unknown {
            seen.read = true;
            return {}; // not a real request: the server's run fails on it, before it touches the runtime
        },
    };
    return { call, seen };
}

function runOn(program: PulumiFn, call: unknown): Promise<Error | undefined> {
    return new Promise((resolve) => {
        let answered = false;
        new LanguageServer(program).run(call, (err) => {
            if (!answered) {
                answered = true;
                resolve(err);
            }
        });
    });
}

const tick = () => new Promise((r) => setImmediate(r));

describe("engine: afterGate (an inline program that runs once something else is done)", () => {
    it("the engine's run request waits for the gate, then reaches the language server", async () => {
        let open!: () => void;
        const gate = new Promise<void>((r) => (open = r));
        const { call, seen } = fakeCall();
        const answered = runOn(
            afterGate(
                async () => ({}),
                () => gate,
            ),
            call,
        );
        await tick();
        await tick();
        assert.strictEqual(seen.read, false, "the run went ahead before the gate opened");
        open();
        const err = await answered;
        assert.strictEqual(seen.read, true);
        // The fake request fails the real run: the server's own error, not the gate's.
        assert.ok(err && !/gate/.test(err.message));
    });

    it("a gate that fails answers the run with its error: the program never runs", async () => {
        let ran = false;
        const { call, seen } = fakeCall();
        const err = await runOn(
            afterGate(
                async () => {
                    ran = true;
                    return {};
                },
                () => Promise.reject(new Error("the record could not be written")),
            ),
            call,
        );
        assert.strictEqual(err?.message, "the record could not be written");
        assert.strictEqual(seen.read, false);
        assert.strictEqual(ran, false);
    });

    it("a program without a gate runs as before", async () => {
        const { call, seen } = fakeCall();
        const answered = runOn(async () => ({}), call);
        assert.strictEqual(seen.read, true, "an ungated run reads its request at once");
        await answered;
    });
});

describe("engine: writesAfterRecord (the Running record written while the update starts)", () => {
    const env = (more: Partial<PlannedEnvironment> = {}): PlannedEnvironment =>
        ({ name: "prod", dependsOn: [], action: "commit", applications: [], ...more }) as PlannedEnvironment;
    const record = (plan: Partial<ReleaseRecord["plan"]>, environments = [env()]): ReleaseRecord =>
        ({
            id: "r1",
            attempts: 0,
            plan: { trigger: "dev", timeoutMs: 1000, concurrency: "queue", environments, ...plan },
        }) as unknown as ReleaseRecord;

    it("yes when everything the release runs is in the update's program (actions, gates, waits)", () => {
        assert.strictEqual(writesAfterRecord(record({})), true);
        assert.strictEqual(
            writesAfterRecord(
                record({}, [
                    env({ preAction: "check", postAction: "smoke", soakTimeMs: 1000, action: "pr" }),
                ]),
            ),
            true,
        );
    });

    it("no when something runs before the update: start hooks, the trigger workflow, policy packs", () => {
        assert.strictEqual(writesAfterRecord(record({ hooks: { onStart: "announce" } })), false);
        assert.strictEqual(writesAfterRecord(record({ triggerWorkflow: "build" })), false);
        assert.strictEqual(writesAfterRecord(record({}, [env(), env({ policyPacks: ["./packs"] })])), false);
    });
});
