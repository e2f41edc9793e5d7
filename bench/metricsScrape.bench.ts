/**
 * The cost of one `/api/v1/metrics` scrape (issue 27) after `promote serve` has seen 1,000 releases: 10
 * products, 3 flows, 3 environments each with a gated application, every status. The metrics are kept in
 * memory from the progress events, so a scrape reads no store; its cost grows with the label combinations,
 * not the releases. Prints the mean time of a scrape, its size and this process's resident memory.
 *
 *   node dist/bench/metricsScrape.bench.js [releases] [scrapes]     (default: 1000 50)
 */
import type { EnvironmentRecord, ReleaseRecord } from "../engine/record/releaseRecord";
import { ServiceMetrics } from "../server/metrics";

const releases = Number(process.argv[2] ?? 1000);
const scrapes = Number(process.argv[3] ?? 50);
const statuses = ["Succeeded", "Failed", "Terminated", "Suspended", "Queued"] as const;
type Status = (typeof statuses)[number];

function environment(i: number, name: string, status: Status): EnvironmentRecord {
    return {
        name,
        status: status === "Suspended" || status === "Queued" ? "Pending" : status,
        dependsOn: [],
        startedAt: "2026-12-01T10:00:00Z",
        finishedAt: "2026-12-01T10:05:00Z",
        applications: [
            {
                name: `app-${name}`,
                status: "Succeeded",
                action: "commit",
                repoURL: "file:///gitops.git",
                changes: [],
                commitSha: "b".repeat(40),
                pushAttempts: 1 + (i % 3),
                preAction: {
                    workflow: "checks",
                    status: "Succeeded",
                    runId: `run-${i}-${name}`,
                    startedAt: "2026-12-01T10:00:00Z",
                    finishedAt: "2026-12-01T10:00:30Z",
                },
            },
        ],
    };
}

async function main(): Promise<void> {
    const m = new ServiceMetrics();
    for (let i = 0; i < releases; i++) {
        const status = statuses[i % statuses.length];
        const record = {
            id: `r-${i}`,
            product: `product-${i % 10}`,
            flow: `flow-${i % 3}`,
            status,
            ...(status === "Suspended" ? { waitKind: "approval" as const } : {}),
            createdAt: "2026-12-01T10:00:00Z",
            startedAt: "2026-12-01T10:00:00Z",
            finishedAt: "2026-12-01T10:10:00Z",
            environments: ["dev", "qa", "prod"].map((n) => environment(i, n, status)),
            attempts: 1,
        } as unknown as ReleaseRecord;
        m.progress({ type: "release", release: record });
    }
    await m.scrape();
    let size = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < scrapes; i++) {
        size = (await m.scrape()).body.length;
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / scrapes;
    console.log(
        `metrics scrape after ${releases} releases: ${ms.toFixed(2)} ms each (mean of ${scrapes}), ` +
            `${(size / 1024).toFixed(0)} KiB, resident memory ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
    );
}

void main();
