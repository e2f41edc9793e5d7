import * as assert from "assert";
import type { EnvironmentRecord, ReleaseRecord } from "../../../engine/record/releaseRecord";
import { ServiceMetrics } from "../../../server/metrics";
import { parsePrometheusText, valueOf } from "../../support/promText";

function release(over: Partial<ReleaseRecord> & { environments?: EnvironmentRecord[] }): ReleaseRecord {
    return {
        id: "r-1",
        product: "shop",
        flow: "to-qa",
        status: "Running",
        createdAt: "2026-12-01T10:00:00Z",
        startedAt: "2026-12-01T10:00:00Z",
        sourceApplication: "shop-dev",
        sourceCommit: "a".repeat(40),
        environments: [],
        candidate: {
            sourceApplication: "shop-dev",
            sourceRepoURL: "file:///nowhere",
            sourcePath: "apps/shop/dev",
            sourceCommit: "a".repeat(40),
            files: [],
        },
        plan: { trigger: "dev", timeoutMs: 60_000, concurrency: "queue", environments: [] },
        attempts: 1,
        ...over,
    };
}

const qa = (over: Partial<EnvironmentRecord>): EnvironmentRecord => ({
    name: "qa",
    status: "Running",
    dependsOn: [],
    startedAt: "2026-12-01T10:00:10Z",
    applications: [
        {
            name: "shop-qa",
            status: "Running",
            action: "commit",
            repoURL: "file:///nowhere",
            changes: [],
            preAction: {
                workflow: "checks",
                status: "Succeeded",
                runId: "local-1",
                startedAt: "2026-12-01T10:00:10Z",
                finishedAt: "2026-12-01T10:00:13Z",
            },
        },
    ],
    ...over,
});

async function scrape(m: ServiceMetrics) {
    return parsePrometheusText((await m.scrape()).body);
}

describe("ServiceMetrics", () => {
    it("counts each transition once however often an event repeats it, with durations from the records", async () => {
        const m = new ServiceMetrics();
        const running = release({ environments: [qa({})] });
        m.progress({ type: "release", release: running });
        m.progress({ type: "release", release: running });
        m.progress({ type: "environment", releaseId: "r-1", environment: qa({}) });
        const doneQa = qa({
            status: "Succeeded",
            finishedAt: "2026-12-01T10:00:40Z",
            applications: [
                {
                    ...qa({}).applications[0],
                    status: "Succeeded",
                    commitSha: "b".repeat(40),
                    pushAttempts: 3,
                },
            ],
        });
        const done = release({
            status: "Succeeded",
            finishedAt: "2026-12-01T10:01:00Z",
            environments: [doneQa],
        });
        m.progress({ type: "environment", releaseId: "r-1", environment: doneQa });
        m.progress({ type: "release", release: done });
        m.progress({ type: "release", release: done });

        const f = await scrape(m);
        const labels = { product: "shop", flow: "to-qa" };
        assert.strictEqual(valueOf(f, "promotions_releases_total", { ...labels, status: "Running" }), 1);
        assert.strictEqual(valueOf(f, "promotions_releases_total", { ...labels, status: "Succeeded" }), 1);
        assert.strictEqual(
            valueOf(f, "promotions_release_duration_seconds_sum", { ...labels, status: "Succeeded" }),
            60,
        );
        const env = { product: "shop", environment: "qa", status: "Succeeded" };
        assert.strictEqual(valueOf(f, "promotions_environment_duration_seconds_count", env), 1);
        assert.strictEqual(valueOf(f, "promotions_environment_duration_seconds_sum", env), 30);
        const gate = { kind: "preAction", workflow: "checks", result: "Succeeded" };
        assert.strictEqual(valueOf(f, "promotions_gate_runs_total", gate), 1);
        assert.strictEqual(valueOf(f, "promotions_gate_run_duration_seconds_sum", gate), 3);
        assert.strictEqual(valueOf(f, "promotions_git_push_retries_total", { product: "shop" }), 2);
    });

    it("gauges: releases queued and suspended by wait kind, seeded from the store, gone once they end", async () => {
        const m = new ServiceMetrics();
        m.seed([
            release({ id: "r-a", status: "Suspended", waitKind: "approval" }),
            release({ id: "r-b", status: "Queued", waitKind: "queue" }),
        ]);
        let f = await scrape(m);
        assert.strictEqual(
            valueOf(f, "promotions_releases_waiting", { product: "shop", wait_kind: "approval" }),
            1,
        );
        assert.strictEqual(valueOf(f, "promotions_releases_queued", { product: "shop" }), 1);
        assert.strictEqual(
            valueOf(f, "promotions_releases_total", { product: "shop", flow: "to-qa", status: "Suspended" }),
            0,
            "seeding is not a transition",
        );
        m.progress({
            type: "release",
            release: release({ id: "r-a", status: "Failed", finishedAt: "2026-12-01T11:00:00Z" }),
        });
        f = await scrape(m);
        assert.strictEqual(
            valueOf(f, "promotions_releases_waiting", { product: "shop", wait_kind: "approval" }),
            0,
        );
    });

    it("a push given up because the branch kept moving counts as a conflict; the sink counts webhooks and notifications", async () => {
        const m = new ServiceMetrics();
        m.progress({ type: "release", release: release({}) });
        const failed = qa({
            status: "Failed",
            finishedAt: "2026-12-01T10:00:20Z",
            error: "file:///nowhere main: push rejected 5 times (the branch keeps moving); retry the release",
        });
        m.progress({ type: "environment", releaseId: "r-1", environment: failed });
        m.progress({ type: "environment", releaseId: "r-1", environment: failed });
        m.webhookDelivery("bad_signature");
        m.notification("delivered");
        m.notification("failed");
        m.notification("failed");
        const f = await scrape(m);
        assert.strictEqual(valueOf(f, "promotions_git_push_conflicts_total", { product: "shop" }), 1);
        assert.strictEqual(valueOf(f, "promotions_webhook_deliveries_total", { result: "bad_signature" }), 1);
        assert.strictEqual(valueOf(f, "promotions_notification_deliveries_total", { result: "failed" }), 2);
    });
});

describe("the Prometheus text parser (test support)", () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
    it("accepts a well-formed exposition and refuses what a Prometheus server would", () => {
        assert.strictEqual(valueOf(parsePrometheusText(ok), "a_total", { x: "1" }), 2);
        for (const [bad, why] of [
            ["a_total 1\n", /before its family's TYPE/],
            [ok + 'a_total{x="1"} 3\n', /twice/],
            ["# TYPE a_total counter\na_total{x=1} 1\n", /not quoted/],
            ["# TYPE a_total counter\na_total one\n", /not a number/],
            ["# TYPE a_total counter\na_total 1", /newline/],
            [
                '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
                /not cumulative/,
            ],
            ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf bucket/],
        ] as const) {
            assert.throws(() => parsePrometheusText(bad), why);
        }
    });
});
