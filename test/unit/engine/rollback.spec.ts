import * as assert from "assert";
import type { EnvironmentStatus } from "../../../model/status";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { downstreamOf, newerDownstream, rollbackTarget } from "../../../engine/governance/rollback";
import { InvalidInputError } from "../../../model/errors";

/** A release at minute `n` with its environments' statuses (`Succeeded` ones with a commit). */
function release(
    id: string,
    n: number,
    version: string,
    envs: Record<string, EnvironmentStatus>,
    commit = `c-${version}`,
): ReleaseRecord {
    const deps: Record<string, string[]> = { qa: ["dev"], prod: ["qa"], dr: ["prod"] };
    return {
        id,
        product: "web",
        flow: "seq",
        status: "Succeeded",
        createdAt: new Date(Date.UTC(2026, 10, 23, 12, n)).toISOString(),
        sourceApplication: "web-dev",
        sourceCommit: commit,
        version,
        environments: Object.entries(envs).map(([name, status]) => ({
            name,
            status,
            dependsOn: deps[name] ?? [],
            applications: [
                {
                    name: `web-${name}`,
                    status,
                    action: "commit",
                    repoURL: "r",
                    ...(status === "Succeeded" ? { commitSha: `${id}-${name}` } : {}),
                    changes: [],
                },
            ],
        })),
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: "r",
            sourcePath: ".",
            sourceCommit: commit,
            files: [],
        },
        plan: {
            trigger: "dev",
            timeoutMs: 1,
            concurrency: "queue",
            environments: Object.keys(envs).map((name) => ({
                name,
                dependsOn: deps[name] ?? [],
                action: "commit",
                applications: [],
            })),
        },
        attempts: 1,
    };
}

const refused = (re: RegExp) => (e: unknown) => e instanceof InvalidInputError && re.test(e.message);

describe("rollback: the release an environment goes back to", () => {
    const r1 = release("r1", 1, "1.1.0", { qa: "Succeeded", prod: "Succeeded" });
    const r2 = release("r2", 2, "1.2.0", { qa: "Succeeded", prod: "Succeeded" });
    const r3 = release("r3", 3, "1.3.0", { qa: "Succeeded", prod: "Failed" });
    const newestFirst = [r3, r2, r1];

    it("by default: the candidate before the current one (a later failure there does not count)", () => {
        const { restored, current } = rollbackTarget(newestFirst, "web", "prod");
        assert.strictEqual(restored.id, "r1");
        assert.strictEqual(current?.id, "r2");
        assert.strictEqual(rollbackTarget(newestFirst, "web", "qa").restored.id, "r2");
    });

    it("after a rollback, the default goes back to what the rollback replaced", () => {
        const rb = { ...release("rb", 4, "1.1.0", { prod: "Succeeded" }, "c-1.1.0"), rollbackOf: "r1" };
        assert.strictEqual(rollbackTarget([rb, ...newestFirst], "web", "prod").restored.id, "r2");
    });

    it("skips earlier releases of the same candidate", () => {
        const again = release("r2b", 3, "1.2.0", { prod: "Succeeded" }, "c-1.2.0");
        assert.strictEqual(rollbackTarget([again, r2, r1], "web", "prod").restored.id, "r1");
    });

    it("--to RELEASE_ID and --to-version V", () => {
        assert.strictEqual(rollbackTarget(newestFirst, "web", "prod", { release: "r1" }).restored.id, "r1");
        assert.strictEqual(
            rollbackTarget(newestFirst, "web", "prod", { version: "1.1.0" }).restored.id,
            "r1",
        );
    });

    it("refuses a target that never reached the environment, an unknown one, or nothing to go back to", () => {
        assert.throws(
            () => rollbackTarget(newestFirst, "web", "prod", { release: "r3" }),
            refused(
                /release r3 \(1\.3\.0\) never reached "prod" \(it is Failed there\).*nothing was written/,
            ),
        );
        assert.throws(
            () => rollbackTarget(newestFirst, "web", "dr", { release: "r1" }),
            refused(/never reached "dr" \(not in its flow\)/),
        );
        assert.throws(
            () => rollbackTarget(newestFirst, "web", "prod", { version: "1.3.0" }),
            refused(/version 1\.3\.0 never reached "prod"/),
        );
        assert.throws(
            () => rollbackTarget(newestFirst, "web", "prod", { version: "9.9.9" }),
            refused(/no release of product "web" has version 9\.9\.9/),
        );
        assert.throws(
            () => rollbackTarget(newestFirst, "web", "prod", { release: "r-nope" }),
            refused(/no release "r-nope" of product "web"/),
        );
        assert.throws(() => rollbackTarget([r1], "web", "prod"), refused(/has had only r1 \(1\.1\.0\)/));
        assert.throws(() => rollbackTarget([], "web", "prod"), refused(/has reached "prod" yet/));
    });
});

describe("rollback: newer versions downstream", () => {
    const r1 = release("r1", 1, "1.1.0", { qa: "Succeeded", prod: "Succeeded", dr: "Succeeded" });
    const r2 = release("r2", 2, "1.2.0", { qa: "Succeeded", prod: "Succeeded", dr: "Succeeded" });

    it("names every environment after the one rolled back that has a newer release, transitively", () => {
        const w = newerDownstream([r2, r1], "qa", r1, r2);
        assert.strictEqual(w.length, 2);
        assert.match(
            w[0],
            /"dr" \(after "qa"\) has 1\.2\.0 from release r2, newer than the 1\.1\.0 rolled back to/,
        );
        assert.match(w[1], /"prod" \(after "qa"\) has 1\.2\.0/);
    });

    it("downstream: the environments after one, transitively, in plan order (left untargeted by the rollback)", () => {
        assert.deepStrictEqual(
            downstreamOf(r2.plan, "qa").map((e) => e.name),
            ["prod", "dr"],
        );
        assert.deepStrictEqual(downstreamOf(r2.plan, "dr"), []);
        const rollbackPlan = {
            ...r2.plan,
            environments: r2.plan.environments.filter((e) => e.name === "qa"),
            untargeted: r2.plan.environments.filter((e) => e.name !== "qa"),
        };
        assert.deepStrictEqual(
            downstreamOf(rollbackPlan, "qa").map((e) => e.name),
            ["prod", "dr"],
            "a rollback's plan carries them as untargeted",
        );
    });

    it("nothing when downstream still has the version restored, or for a leaf", () => {
        const qaOnly = release("r2", 2, "1.2.0", { qa: "Succeeded", prod: "Pending", dr: "Pending" });
        assert.deepStrictEqual(newerDownstream([qaOnly, r1], "qa", r1, qaOnly), []);
        assert.deepStrictEqual(newerDownstream([r2, r1], "dr", r1, r2), []);
    });
});
