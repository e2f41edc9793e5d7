import * as assert from "assert";
import type { ProgressEvent } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { ApprovalRefusedError } from "../../../engine/governance/approvals";
import type { Subject } from "../../../model/subject";
import type { GitopsRepo } from "../../support/gitops";
import { buildCatalog } from "../../../components/catalog";
import { runCli } from "../../support/cli";
import { testPassphrase } from "../../support/engine";
import { cliScenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const show = (r: ReleaseRecord) => JSON.stringify(publicRecord(r), null, 2);

function bump(repo: GitopsRepo, from: string, to: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(`tag: "${from}"`, `tag: "${to}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(`appVersion: "${from}"`, `appVersion: "${to}"`));
}

const person = (user: string, ...groups: string[]): Subject => ({ user, groups, via: "local" });
const alice = person("alice", "release-managers");
const bob = person("bob", "release-managers", "developers");
const carol = person("carol", "release-managers");
const dave = person("dave", "developers");

async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof ApprovalRefusedError, `an ApprovalRefusedError, got ${String(e)}`);
        assert.strictEqual(e.exitCode, 2);
        assert.match(e.message, message);
        return true;
    });
}

describe("approval gates (real engine, real git)", function () {
    // Alone it needs well under 90 s; the margin is for a machine shared with other test runs.
    this.timeout(360_000);
    after(removeTempDirs);

    it("prod waits for two release managers before any write; a rejection fails it and leaves it untouched", async () => {
        const dir = tempDir("approvals");
        // The definitions as a config module too: the first release goes through the real CLI.
        const cli = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        {
                            environment: "prod",
                            dependsOn: ["qa"],
                            policy: {
                                approval: { approvers: [{ group: "release-managers" }], minApprovals: 2 },
                            },
                        },
                    ],
                },
            ],
        });
        const { repo } = cli;
        const catalog = buildCatalog(cli.defs).catalog;
        // The release's own progress says when it waits (no polling of the records while it runs).
        const listeners: ((e: ProgressEvent) => void)[] = [];
        const engine = await testPromoteEngine(dir, catalog, {
            onProgress: (e) => listeners.forEach((l) => l(e)),
        });
        const released = (ok: (r: ReleaseRecord) => boolean) =>
            new Promise<ReleaseRecord>((resolve) =>
                listeners.push((e) => {
                    if (e.type === "release" && ok(e.release)) {
                        resolve(e.release);
                    }
                }),
            );

        // `trigger --no-wait`: qa is promoted, prod stops before anything is written, the release is left
        // Suspended and the command exits 4 saying what it waits for and how to go on.
        bump(repo, "1.0.0", "1.1.0");
        const trigger = await runCli(
            [...cli.args, "trigger", "--product", "web", "--flow", "seq", "--no-wait", "--json"],
            { env: { ...cli.env, PULUMI_CONFIG_PASSPHRASE: testPassphrase } },
        );
        assert.strictEqual(trigger.code, 4, trigger.stderr);
        const parked = JSON.parse(trigger.stdout) as ReleaseRecord;
        const id = parked.id;
        assert.deepStrictEqual(
            [parked.status, parked.waitKind, parked.finishedAt],
            ["Suspended", "approval", undefined],
            trigger.stdout,
        );
        assert.match(trigger.stderr, /^waiting: prod: approval 0\/2 by group release-managers$/m);
        assert.match(trigger.stderr, new RegExp(`promote approve ${id} --environment prod`));
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.1\.0"/, "qa promoted");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/, "prod untouched");
        const stored = await engine.find(id);
        assert.deepStrictEqual([stored.status, stored.owner], ["Suspended", undefined]);
        assert.strictEqual(stored.stale, undefined, "a waiting release is not dead");
        const prod = stored.environments.find((e) => e.name === "prod")!;
        assert.deepStrictEqual(
            [prod.status, prod.waitKind, prod.error, prod.approval?.approvers, prod.approval?.minApprovals],
            ["Suspended", "approval", undefined, [{ group: "release-managers" }], 2],
            show(stored),
        );
        assert.deepStrictEqual(prod.approval?.decisions, []);
        const diff = prod.approval?.changes?.find((c) => c.application === "web-prod")?.changes ?? [];
        assert.ok(
            diff.some((c) => c.file === "values.yaml" && c.from === "1.0.0" && c.to === "1.1.0"),
            `the diff to be applied: ${JSON.stringify(prod.approval?.changes)}`,
        );

        // A developer may not approve; one approval leaves it Suspended (and not ready to resume).
        await refused(
            engine.approve(id, "prod", { subject: dave }),
            /dave .*may not approve.*group release-managers/,
        );
        const once = await engine.approve(id, "prod", { subject: alice, comment: "looks good" });
        assert.strictEqual(once.status, "Suspended");
        assert.deepStrictEqual(await engine.resumeReady({ products: ["web"] }), [], "not ready with 1 of 2");

        // The second approval, then a resume: prod is committed, the record names both approvers.
        await engine.approve(id, "prod", { subject: bob });
        const resumed = await engine.resumeReady({ products: ["web"] });
        assert.deepStrictEqual(
            resumed.map((r) => [r.id, r.status]),
            [[id, "Succeeded"]],
            resumed.map(show).join("\n"),
        );
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.1\.0"/, "prod committed");
        const decided = resumed[0].environments.find((e) => e.name === "prod")!;
        assert.deepStrictEqual(
            [resumed[0].waitKind, decided.status, decided.waitKind],
            [undefined, "Succeeded", undefined],
        );
        assert.deepStrictEqual(
            decided.approval?.decisions.map((d) => [d.user, d.decision, d.groups, d.via, d.comment]),
            [
                ["alice", "approved", ["release-managers"], "local", "looks good"],
                ["bob", "approved", ["release-managers", "developers"], "local", undefined],
            ],
        );

        // A second release, held by this process while it waits: a rejection fails prod, left untouched.
        bump(repo, "1.1.0", "1.2.0");
        const suspended = released((r) => r.status === "Suspended" && r.waitKind === "approval");
        const running = engine.release({ product: "web", target: { flow: "seq" } });
        const second = (await suspended).id;
        // The progress event comes just before the record is written: decisions read the stored record.
        let waiting = await engine.find(second);
        for (let i = 0; i < 120 && waiting.waitKind !== "approval"; i++) {
            await new Promise((r) => setTimeout(r, 1000));
            waiting = await engine.find(second);
        }
        assert.strictEqual(waiting.environments.find((e) => e.name === "qa")!.status, "Succeeded");
        await engine.reject(second, "prod", { subject: carol, comment: "not on a Friday" });
        const rejected = await running;
        const failed = rejected.environments.find((e) => e.name === "prod")!;
        assert.deepStrictEqual([rejected.status, failed.status], ["Failed", "Failed"], show(rejected));
        assert.match(failed.error ?? "", /rejected by carol: not on a Friday/);
        assert.deepStrictEqual(
            failed.approval?.decisions.map((d) => [d.user, d.decision]),
            [["carol", "rejected"]],
        );
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.2\.0"/);
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.1\.0"/, "prod left untouched");
    });
});
