import * as assert from "assert";
import type { EnvironmentStatus } from "../../../model/status";
import type { EnvironmentRecord, PlannedEnvironment } from "../../../engine/record/releaseRecord";
import type { ResourcePhase, ResourceState, StackEvent } from "../../../engine/release/releaseState";
import {
    applicationStatus,
    applyEvent,
    environmentRecord,
    environmentStatus,
    liveReleaseStatus,
    releaseOutcome,
    settleEnvironments,
    settleUnfinished,
} from "../../../engine/release/releaseState";

const group = (env: string, apps = ["a"]) => ({
    environment: env,
    name: `${env}.g`,
    repoURL: "file:///r",
    targetRevision: "main",
    applications: apps.map((name) => ({
        name,
        namespace: "argocd",
        repoURL: "file:///r",
        targetRevision: "main",
        path: name,
    })),
});

function state(phase: ResourcePhase, extra: Partial<ResourceState> = {}): ResourceState {
    return { group: group("qa"), role: "promotion", phase, ...extra };
}

const ctx = { releaseId: "r1", aborted: false, now: "2026-01-01T00:00:00Z" };

describe("release state: engine events", () => {
    const cases: {
        name: string;
        from: ResourcePhase;
        event: StackEvent;
        aborted?: boolean;
        to: ResourcePhase;
    }[] = [
        {
            name: "a step starts",
            from: "pending",
            event: { kind: "pre", urn: "u", op: "update" },
            to: "running",
        },
        {
            name: "create starts",
            from: "pending",
            event: { kind: "pre", urn: "u", op: "create" },
            to: "running",
        },
        {
            name: "same, done by another release",
            from: "pending",
            event: { kind: "pre", urn: "u", op: "same", oldOutputs: { releaseId: "r0" } },
            to: "same",
        },
        {
            name: "same, done by an earlier attempt of this release",
            from: "pending",
            event: { kind: "pre", urn: "u", op: "same", oldOutputs: { releaseId: "r1" } },
            to: "done",
        },
        {
            name: "outputs after running",
            from: "running",
            event: { kind: "outputs", urn: "u", outputs: {} },
            to: "done",
        },
        {
            name: "outputs without a step are ignored",
            from: "pending",
            event: { kind: "outputs", urn: "u" },
            to: "pending",
        },
        { name: "a failed step", from: "running", event: { kind: "failed", urn: "u" }, to: "failed" },
        {
            name: "an error diagnostic",
            from: "running",
            event: { kind: "diagnostic", urn: "u", severity: "error", message: "error: boom" },
            to: "failed",
        },
        {
            name: "a warning diagnostic changes nothing",
            from: "running",
            event: { kind: "diagnostic", urn: "u", severity: "warning", message: "hm" },
            to: "running",
        },
        {
            name: "a failure after a stop is not a failure",
            from: "running",
            event: { kind: "failed", urn: "u" },
            aborted: true,
            to: "pending",
        },
        {
            name: "an engine failure after the work was done (its state not saved) keeps it done",
            from: "done",
            event: {
                kind: "diagnostic",
                urn: "u",
                severity: "error",
                message: "error: failed to save snapshot",
            },
            to: "done",
        },
        {
            name: "a failed step event after the work was done keeps it done",
            from: "done",
            event: { kind: "failed", urn: "u" },
            to: "done",
        },
        {
            name: "a stop keeps what was done",
            from: "done",
            event: { kind: "failed", urn: "u" },
            aborted: true,
            to: "done",
        },
    ];
    for (const c of cases) {
        it(`${c.name}: ${c.from} → ${c.to}`, () => {
            const st = state(c.from);
            applyEvent(st, c.event, { ...ctx, aborted: c.aborted ?? false });
            assert.strictEqual(st.phase, c.to);
        });
    }

    it("keeps the engine's error message, cleaned", () => {
        const st = state("running");
        applyEvent(
            st,
            {
                kind: "diagnostic",
                urn: "u",
                severity: "error",
                message: "error: pre-action failed\n\n  log line\n",
            },
            ctx,
        );
        assert.strictEqual(st.error, "pre-action failed\n  log line");
    });

    it("says when done work could not be recorded in the state", () => {
        const st = state("done");
        applyEvent(
            st,
            {
                kind: "diagnostic",
                urn: "u",
                severity: "error",
                message: "error: failed to save snapshot: x: read-only file system",
            },
            ctx,
        );
        assert.strictEqual(
            st.error,
            "done, but not recorded in the state: failed to save snapshot: x: read-only file system",
        );
    });

    it("settles what was still running: pending after a stop, failed otherwise", () => {
        const a = state("running");
        const b = state("running");
        settleUnfinished([a], true);
        settleUnfinished([b], false);
        assert.strictEqual(a.phase, "pending");
        assert.strictEqual(b.phase, "failed");
        assert.match(b.error ?? "", /stopped before/);
    });
});

describe("release state: application and environment status", () => {
    const table: {
        name: string;
        promotion: ResourcePhase;
        merge?: ResourcePhase;
        gate?: ResourcePhase;
        pr?: "open";
        changed?: boolean;
        outputStatus?: "Succeeded" | "Skipped";
        before?: EnvironmentStatus;
        expect: EnvironmentStatus;
    }[] = [
        { name: "nothing started", promotion: "pending", expect: "Pending" },
        { name: "promotion running", promotion: "running", expect: "Running" },
        {
            name: "committed",
            promotion: "done",
            changed: true,
            outputStatus: "Succeeded",
            expect: "Succeeded",
        },
        {
            name: "nothing to change",
            promotion: "done",
            changed: false,
            outputStatus: "Skipped",
            expect: "Skipped",
        },
        { name: "failed", promotion: "failed", expect: "Failed" },
        {
            name: "committed, post-action running",
            promotion: "done",
            gate: "running",
            changed: true,
            expect: "Running",
        },
        {
            name: "committed, post-action failed",
            promotion: "done",
            gate: "failed",
            changed: true,
            expect: "Failed",
        },
        {
            name: "committed, post-action not reached",
            promotion: "done",
            gate: "pending",
            changed: true,
            expect: "Running",
        },
        {
            name: "pull request open",
            promotion: "done",
            merge: "running",
            pr: "open",
            changed: true,
            expect: "Suspended",
        },
        { name: "pull request closed", promotion: "done", merge: "failed", changed: true, expect: "Failed" },
        { name: "untouched by this release", promotion: "same", expect: "Skipped" },
        {
            name: "untouched, earlier attempt succeeded",
            promotion: "same",
            before: "Succeeded",
            expect: "Succeeded",
        },
        { name: "untouched, gate pending", promotion: "same", gate: "pending", expect: "Pending" },
    ];
    for (const c of table) {
        it(c.name, () => {
            const promotion = state(c.promotion, {
                outputs: {
                    ...(c.outputStatus ? { status: c.outputStatus } : {}),
                    ...(c.pr ? { pullRequest: { url: "u", number: 1, state: "open", head: "h" } } : {}),
                },
            });
            const merge = c.merge ? state(c.merge, { role: "merge" }) : undefined;
            const gate = c.gate ? state(c.gate, { role: "gate", gateFor: "a" }) : undefined;
            const before = c.before
                ? { name: "a", status: c.before, action: "commit" as const, repoURL: "r", changes: [] }
                : undefined;
            assert.strictEqual(
                applicationStatus("commit", promotion, merge, gate, c.changed, before),
                c.expect,
            );
        });
    }

    it("action none is Succeeded even with no value changed", () => {
        assert.strictEqual(
            applicationStatus(
                "none",
                state("done", { outputs: { status: "Succeeded" } }),
                undefined,
                undefined,
                false,
                undefined,
            ),
            "Succeeded",
        );
    });

    it("an environment takes its worst application's status", () => {
        const s = (...st: EnvironmentStatus[]) =>
            environmentStatus(
                st.map((status) => ({ status })),
                false,
            );
        assert.strictEqual(s("Succeeded", "Failed"), "Failed");
        assert.strictEqual(s("Succeeded", "Running"), "Running");
        assert.strictEqual(s("Succeeded", "Suspended"), "Suspended");
        assert.strictEqual(s("Succeeded", "Pending"), "Pending");
        assert.strictEqual(s("Skipped", "Skipped"), "Skipped");
        assert.strictEqual(s("Skipped", "Succeeded"), "Succeeded");
        assert.strictEqual(environmentStatus([{ status: "Succeeded" }], true), "Failed");
    });

    it("builds an environment record with commit, changes, runs and times", () => {
        const env: PlannedEnvironment = {
            name: "qa",
            dependsOn: ["dev"],
            action: "commit",
            postAction: "verify",
            applications: group("qa").applications,
        };
        const rec = environmentRecord(
            env,
            [
                state("done", {
                    startedAt: "t1",
                    finishedAt: "t2",
                    outputs: {
                        status: "Succeeded",
                        commitSha: "abc",
                        branch: "main",
                        attempts: 2,
                        results: [{ name: "a", changes: [{ file: "f", path: "$.x", from: 1, to: 2 }] }],
                    },
                }),
                state("done", { role: "gate", gateFor: "a", startedAt: "t2", finishedAt: "t3" }),
            ],
            undefined,
            { runs: new Map([["qa/a/post", { workflow: "verify", status: "Succeeded" as const }]]) },
        );
        assert.strictEqual(rec.status, "Succeeded");
        assert.strictEqual(rec.startedAt, "t1");
        assert.strictEqual(rec.finishedAt, "t3");
        const app = rec.applications[0];
        assert.strictEqual(app.commitSha, "abc");
        assert.strictEqual(app.pushAttempts, 2);
        assert.deepStrictEqual(app.changes, [{ file: "f", path: "$.x", from: 1, to: 2 }]);
        assert.strictEqual(app.postAction?.workflow, "verify");
    });
});

describe("release state: settling an attempt", () => {
    const env = (
        name: string,
        status: EnvironmentStatus,
        dependsOn: string[],
        commit?: string,
    ): EnvironmentRecord => ({
        name,
        status,
        dependsOn,
        applications: [
            {
                name: `${name}-a`,
                status,
                action: "commit",
                repoURL: "r",
                changes: [],
                ...(commit ? { commitSha: commit } : {}),
            },
        ],
    });

    it("dependents of a failure stay Pending, whatever the engine reported (trust issue, item 4)", () => {
        const out = settleEnvironments(
            [
                env("qa", "Failed", ["dev"]),
                env("staging", "Succeeded", ["qa"], "old"),
                env("prod", "Skipped", ["staging"]),
            ],
            false,
        );
        assert.deepStrictEqual(
            out.map((e) => e.status),
            ["Failed", "Pending", "Pending"],
        );
        assert.strictEqual(out[1].applications[0].commitSha, undefined);
        assert.strictEqual(out[1].applications[0].status, "Pending");
    });

    it("independent branches keep their outcome", () => {
        const out = settleEnvironments(
            [env("a", "Failed", ["dev"]), env("b", "Succeeded", ["dev"]), env("c", "Succeeded", ["b"])],
            false,
        );
        assert.deepStrictEqual(
            out.map((e) => e.status),
            ["Failed", "Succeeded", "Succeeded"],
        );
    });

    it("a dependent an earlier attempt already promoted keeps that record", () => {
        const before = env("prod", "Succeeded", ["qa"], "c1");
        const out = settleEnvironments(
            [env("qa", "Failed", ["dev"]), env("prod", "Skipped", ["qa"])],
            false,
            [before],
        );
        assert.strictEqual(out[1], before);
    });

    it("an environment left Running ends Terminated after a stop, Failed otherwise", () => {
        assert.strictEqual(settleEnvironments([env("qa", "Running", ["dev"])], true)[0].status, "Terminated");
        assert.strictEqual(settleEnvironments([env("qa", "Running", ["dev"])], false)[0].status, "Failed");
    });

    it("skipped environments let their dependents run", () => {
        const out = settleEnvironments(
            [env("qa", "Skipped", ["dev"]), env("prod", "Succeeded", ["qa"])],
            false,
        );
        assert.deepStrictEqual(
            out.map((e) => e.status),
            ["Skipped", "Succeeded"],
        );
    });
});

describe("release state: the release's status", () => {
    const e = (status: EnvironmentStatus, error?: string) =>
        ({
            name: "qa",
            status,
            dependsOn: [],
            applications: [],
            ...(error ? { error } : {}),
        }) as EnvironmentRecord;
    const table: { name: string; o: Parameters<typeof releaseOutcome>[0]; status: string; error?: RegExp }[] =
        [
            {
                name: "all succeeded",
                o: { environments: [e("Succeeded"), e("Skipped")], aborted: false },
                status: "Succeeded",
            },
            {
                name: "one failed",
                o: { environments: [e("Failed", "boom")], aborted: false },
                status: "Failed",
                error: /qa: boom/,
            },
            {
                name: "stopped",
                o: { environments: [e("Pending")], aborted: true, abortReason: "terminated by user" },
                status: "Terminated",
                error: /terminated by user/,
            },
            {
                name: "stopped during a start hook",
                o: { environments: [], aborted: true, abortReason: "flow timeout", gateError: "x" },
                status: "Terminated",
                error: /flow timeout/,
            },
            {
                name: "a start hook failed",
                o: { environments: [e("Pending")], aborted: false, gateError: "onStart failed" },
                status: "Failed",
                error: /onStart failed/,
            },
            {
                name: "the update failed as a whole",
                o: { environments: [e("Succeeded")], aborted: false, updateError: "lock" },
                status: "Failed",
                error: /lock/,
            },
            {
                name: "held and upstream held environments: everything allowed succeeded",
                o: {
                    environments: [
                        e("Succeeded"),
                        { ...e("Skipped"), name: "prod", reason: "held", hold: { by: "a", at: "t" } },
                        { ...e("Skipped"), name: "dr", reason: "upstream held" },
                    ],
                    aborted: false,
                },
                status: "Succeeded",
            },
            {
                name: "held, and another environment failed",
                o: {
                    environments: [
                        e("Failed", "boom"),
                        { ...e("Skipped"), name: "prod", reason: "held", hold: { by: "a", at: "t" } },
                    ],
                    aborted: false,
                },
                status: "Failed",
                error: /qa: boom/,
            },
            {
                name: "something never ran",
                o: { environments: [e("Pending")], aborted: false },
                status: "Failed",
                error: /did not run: qa/,
            },
        ];
    for (const c of table) {
        it(c.name, () => {
            const out = releaseOutcome(c.o);
            assert.strictEqual(out.status, c.status);
            if (c.error) {
                assert.match(out.error ?? "", c.error);
            } else {
                assert.strictEqual(out.error, undefined);
            }
        });
    }

    it("is Suspended while an environment waits", () => {
        assert.strictEqual(liveReleaseStatus([e("Succeeded"), e("Suspended")]), "Suspended");
        assert.strictEqual(liveReleaseStatus([e("Running")]), "Running");
    });
});
