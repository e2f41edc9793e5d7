import * as assert from "assert";
import type { ReleasePlan } from "../../../engine/record/releaseRecord";
import {
    audited,
    newReleaseRecord,
    publicRecord,
    withStoredAudit,
} from "../../../engine/record/releaseRecord";

const now = new Date("2026-11-23T12:00:00Z");
const plan = (envs: string[]): ReleasePlan => ({
    trigger: "dev",
    timeoutMs: 1000,
    concurrency: "queue",
    environments: envs.map((name) => ({ name, dependsOn: ["dev"], action: "commit", applications: [] })),
});
const planned = (flow: string, envs: string[]) => ({
    product: { name: "web" },
    flow: { name: flow },
    sourceApplication: { name: "web-dev" },
    candidate: {
        sourceApplication: "web-dev",
        sourceRepoURL: "file:///r",
        sourcePath: "p",
        sourceCommit: "a",
        files: [],
    },
    plan: plan(envs),
});
const owner = { host: "h", pid: 1 };

describe("release records: initiator and audit", () => {
    it("a new release records who started it: trigger for a flow, promote or rollback naming the environment", () => {
        const flow = newReleaseRecord(planned("seq", ["qa", "prod"]), owner, now, {
            user: "alice",
            via: "token",
        });
        assert.deepStrictEqual(flow.initiator, { user: "alice", via: "token" });
        assert.deepStrictEqual(flow.audit, [
            { action: "trigger", user: "alice", via: "token", at: "2026-11-23T12:00:00.000Z" },
        ]);
        const manual = newReleaseRecord(planned("manual", ["qa"]), owner, now, { user: "bob", via: "local" });
        assert.deepStrictEqual(manual.audit?.[0], {
            action: "promote",
            user: "bob",
            via: "local",
            at: "2026-11-23T12:00:00.000Z",
            environment: "qa",
        });
        const back = newReleaseRecord(planned("rollback", ["prod"]), owner, now, {
            user: "carol",
            via: "oidc",
        });
        assert.strictEqual(back.audit?.[0].action, "rollback");
        assert.strictEqual(back.audit?.[0].environment, "prod");
        const watcher = newReleaseRecord(planned("seq", ["qa"]), owner, now);
        assert.strictEqual(watcher.initiator, undefined);
        assert.strictEqual(watcher.audit, undefined);
        assert.ok(!("initiator" in publicRecord(watcher)) && !("audit" in publicRecord(watcher)));
        assert.deepStrictEqual(publicRecord(flow).initiator, { user: "alice", via: "token" });
    });

    it("retry and terminate append; a final write keeps what another process added to the stored record", () => {
        const r = newReleaseRecord(planned("seq", ["qa"]), owner, now, { user: "alice", via: "token" });
        const later = new Date("2026-11-23T12:05:00Z");
        const retried = audited(r, "retry", { user: "bob", via: "proxy" }, {}, later);
        assert.deepStrictEqual(
            retried.audit?.map((e) => `${e.action} ${e.user} ${e.via}`),
            ["trigger alice token", "retry bob proxy"],
        );
        const terminated = audited(
            retried,
            "terminate",
            { user: "carol", via: "local" },
            {},
            new Date("2026-11-23T12:06:00Z"),
        );
        // The running process writes its own copy (without the terminate) last: the stored entry is kept.
        const merged = withStoredAudit(retried, terminated);
        assert.deepStrictEqual(
            merged.audit?.map((e) => e.action),
            ["trigger", "retry", "terminate"],
        );
        assert.strictEqual(withStoredAudit(retried, undefined), retried);
        assert.strictEqual(withStoredAudit(terminated, retried), terminated);
    });
});
