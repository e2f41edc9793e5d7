import * as assert from "assert";
import type { EnvironmentStatus } from "../../../model/status";
import type { ReleaseRecord } from "../../../engine/releaseRecord";
import { supersededBy } from "../../../engine/supersede";

function release(
    id: string,
    createdAt: string,
    envs: Record<string, EnvironmentStatus>,
    version?: string,
): ReleaseRecord {
    return {
        id,
        product: "web",
        flow: "seq",
        status: "Failed",
        createdAt,
        sourceApplication: "web-dev",
        sourceCommit: "c",
        ...(version ? { version } : {}),
        environments: Object.entries(envs).map(([name, status]) => ({
            name,
            status,
            dependsOn: [],
            applications: [],
        })),
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: "r",
            sourcePath: ".",
            sourceCommit: "c",
            files: [],
        },
        plan: { trigger: "dev", timeoutMs: 1, concurrency: "queue", environments: [] },
        attempts: 1,
    };
}

describe("retrying a superseded release", () => {
    const old = release(
        "r1",
        "2026-01-01T00:00:00Z",
        { qa: "Succeeded", staging: "Pending", prod: "Pending" },
        "1.1.0",
    );

    it("names the newer release and the environments it would roll back", () => {
        const newer = release(
            "r2",
            "2026-01-02T00:00:00Z",
            { qa: "Succeeded", staging: "Succeeded", prod: "Succeeded" },
            "1.2.0",
        );
        assert.deepStrictEqual(supersededBy(old, [newer, old]), [
            { release: "r2", version: "1.2.0", environments: ["staging", "prod"] },
        ]);
    });

    it("ignores older releases, failures, and environments the old release already finished", () => {
        const older = release("r0", "2025-12-31T00:00:00Z", { staging: "Succeeded" });
        const failed = release("r3", "2026-01-03T00:00:00Z", { qa: "Succeeded", staging: "Failed" });
        assert.deepStrictEqual(supersededBy(old, [older, failed, old]), []);
    });
});
