import * as assert from "assert";
import type { EnvironmentStatus } from "../../../model/status";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { supersededBy } from "../../../engine/release/supersede";

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
        plan: {
            trigger: "dev",
            timeoutMs: 1,
            concurrency: "queue",
            environments: Object.keys(envs).map((name) => ({
                name,
                dependsOn: [],
                action: "commit" as const,
                applications: [],
            })),
        },
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
            { release: "r2", version: "1.2.0", environments: ["qa", "staging", "prod"] },
        ]);
    });

    it("counts an environment the old release already finished: a retry would write it back", () => {
        const newer = release("r2", "2026-01-02T00:00:00Z", { qa: "Succeeded", staging: "Failed" }, "1.2.0");
        assert.deepStrictEqual(supersededBy(old, [newer, old]), [
            { release: "r2", version: "1.2.0", environments: ["qa"] },
        ]);
    });

    it("ignores older releases, failed environments, and environments it does not target", () => {
        const older = release("r0", "2025-12-31T00:00:00Z", { staging: "Succeeded" });
        const failed = release("r3", "2026-01-03T00:00:00Z", { staging: "Failed", prod: "Failed" });
        const elsewhere = release("r4", "2026-01-04T00:00:00Z", { eu: "Succeeded" });
        assert.deepStrictEqual(supersededBy(old, [older, failed, elsewhere, old]), []);
    });
});
