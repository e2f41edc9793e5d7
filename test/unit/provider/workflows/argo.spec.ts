import * as assert from "assert";
import { getEventListeners } from "events";
import type { WorkflowOfKind } from "../../../../components/promotionWorkflow";
import { secrets } from "../../../../model/redact";
import { argoRunner } from "../../../../provider/workflows/argo";
import { ArgoServerStandIn } from "../../../support/argoServer";

const workflow: WorkflowOfKind<"argo"> = { name: "smoke", kind: "argo", parameters: ["APP_NAME"] };

describe("Argo gates, against the stand-in Argo Server", function () {
    this.timeout(20_000);
    let argo: ArgoServerStandIn;
    beforeEach(async () => {
        argo = await ArgoServerStandIn.start({ token: "argo-token", templates: { smoke: ["APP_NAME"] } });
    });
    afterEach(() => argo.stop());

    const run = (pollIntervalMs: number, signal?: AbortSignal, wf = workflow) =>
        argoRunner({ url: argo.url, namespace: "argo", token: "argo-token", pollIntervalMs }).run({
            workflow: wf,
            parameters: { APP_NAME: "web-qa" },
            labels: {},
            cwd: process.cwd(),
            ...(signal ? { signal } : {}),
        });

    it("an abort ends the wait between polls at once: the workflow is terminated, and no listener is left", async () => {
        argo.outcomes.set("smoke", "Running");
        const abort = new AbortController();
        // An hour between polls: the run ends only because the sleep honours the signal.
        const result = run(3_600_000, abort.signal);
        while (argo.workflows.length === 0) {
            await new Promise((r) => setTimeout(r, 20));
        }
        abort.abort();
        const r = await result;
        assert.deepStrictEqual([r.status, r.message], ["Terminated", "terminated"]);
        assert.strictEqual(argo.workflows[0].terminated, true);
        assert.strictEqual(getEventListeners(abort.signal, "abort").length, 0);
    });

    it("polling leaves no listener on the signal", async () => {
        const abort = new AbortController();
        const r = await run(10, abort.signal);
        assert.strictEqual(r.status, "Succeeded");
        assert.ok(argo.workflows[0].polls >= 2, "it polled more than once");
        assert.strictEqual(getEventListeners(abort.signal, "abort").length, 0);
    });

    it("the timeout terminates the workflow: Failed", async () => {
        argo.outcomes.set("smoke", "Running");
        const r = await run(50, undefined, { ...workflow, timeout: "300ms" });
        assert.deepStrictEqual([r.status, r.message], ["Failed", "timed out after 300ms"]);
        assert.strictEqual(argo.workflows[0].terminated, true);
    });

    it("a workflow's message is redacted", async () => {
        argo.outcomes.set("smoke", "Failed");
        secrets.add("child 'main'");
        try {
            const r = await run(10);
            assert.deepStrictEqual([r.status, r.message], ["Failed", "*** failed"]);
        } finally {
            secrets.forget("child 'main'"); // the registry is process-wide: later tests read this message
        }
    });

    it("an error from the Argo Server is redacted", async () => {
        secrets.add("no-such-template");
        try {
            await assert.rejects(
                run(10, undefined, { ...workflow, name: "no-such-template" }),
                (e: Error) => {
                    assert.strictEqual(e.name, "EnvironmentError");
                    assert.match(e.message, /workflowtemplates.argoproj.io "\*\*\*" not found/);
                    assert.ok(!e.message.includes("no-such-template"));
                    return true;
                },
            );
        } finally {
            secrets.forget("no-such-template");
        }
    });
});
