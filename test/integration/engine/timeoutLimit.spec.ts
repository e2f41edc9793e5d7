import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { publicRecord } from "../../../engine/record/releaseRecord";
import type { Clock } from "../../../engine/release/waits";
import { realClock } from "../../../engine/release/waits";
import type { Subject } from "../../../model/subject";
import { runCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const show = (r: ReleaseRecord) => JSON.stringify(publicRecord(r), null, 2);
const person = (user: string): Subject => ({ user, groups: ["release-managers"], via: "local" });

function bump(repo: GitopsRepo, from: string, to: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(`tag: "${from}"`, `tag: "${to}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(`appVersion: "${from}"`, `appVersion: "${to}"`));
}

/**
 * `promotionTimeoutLimit` bounds the whole release, its waits included, whoever resumes it (DESIGN 2.5 and
 * 3a.6): a release left waiting by `--no-wait` and resumed past its limit ends Terminated, nothing written.
 * Time is the engine's injectable clock moved forward, so the test does not wait the limit out.
 */
describe("promotionTimeoutLimit across waits and resumes (real engine, real git)", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    it("a release resumed past its limit ends Terminated, prod untouched; serve's resumer ends one too; a retry gets a new limit", async () => {
        const dir = tempDir("timeout-limit");
        const cli = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    promotionTimeoutLimit: "10m",
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
        let skew = 0;
        const clock: Clock = { now: () => Date.now() + skew, sleep: realClock.sleep };
        const engine = await testPromoteEngine(dir, buildCatalog(cli.defs).catalog, { clock });
        const limit = 10 * 60_000;

        // Left waiting for prod's approval (`--no-wait`), with its limit on the record.
        bump(repo, "1.0.0", "1.1.0");
        const parked = await engine.release({ product: "web", target: { flow: "seq" }, noWait: true });
        assert.strictEqual(parked.status, "Suspended", show(parked));
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.1\.0"/);
        const started = Date.parse(parked.startedAt!);
        const limitAt = Date.parse(parked.timeoutAt ?? "");
        assert.ok(
            limitAt >= started + limit && limitAt < started + limit + 60_000,
            `timeoutAt ${parked.timeoutAt}, started ${parked.startedAt}`,
        );

        // Approved in time, resumed after the limit: Terminated, prod untouched, the limit named.
        await engine.approve(parked.id, "prod", { subject: person("alice") });
        await engine.approve(parked.id, "prod", { subject: person("bob") });
        skew = limit + 1000;
        const late = await engine.resume(parked.id);
        assert.strictEqual(late.status, "Terminated", show(late));
        assert.match(late.error ?? "", /flow timeout exceeded \(promotionTimeoutLimit 600s, reached at /);
        assert.deepStrictEqual(
            late.environments.map((e) => [e.name, e.status]),
            [
                ["qa", "Succeeded"],
                ["prod", "Pending"],
            ],
            show(late),
        );
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/, "prod untouched");

        // A retry of the Terminated release starts a new limit: its approvals stand, prod is promoted.
        const retried = await engine.retry(parked.id);
        assert.strictEqual(retried.status, "Succeeded", show(retried));
        assert.ok(Date.parse(retried.timeoutAt!) > limitAt, `a new limit: ${retried.timeoutAt}`);
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.1\.0"/);

        // Never approved, past its limit: what serve and watch run (resumeReady) ends it rather than leaving it.
        bump(repo, "1.1.0", "1.2.0");
        const waiting = await engine.release({ product: "web", target: { flow: "seq" }, noWait: true });
        assert.strictEqual(waiting.status, "Suspended", show(waiting));
        assert.deepStrictEqual(
            await engine.resumeReady({ products: ["web"] }),
            [],
            "within its limit it waits",
        );
        skew += limit + 1000;
        const ended = await engine.resumeReady({ products: ["web"] });
        assert.deepStrictEqual(
            ended.map((r) => [r.id, r.status]),
            [[waiting.id, "Terminated"]],
            ended.map(show).join("\n"),
        );
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.1\.0"/, "prod untouched");
    });

    it("the CLI: `trigger --no-wait`, approvals, then `promote resume` after the limit: exit 1, Terminated, prod untouched", async () => {
        const dir = tempDir("timeout-limit-cli");
        const cli = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "gate",
                    triggerEnvironment: "dev",
                    promotionTimeoutLimit: "40s",
                    steps: [
                        {
                            environment: "prod",
                            dependsOn: ["dev"],
                            policy: {
                                approval: { approvers: [{ group: "release-managers" }], minApprovals: 2 },
                            },
                        },
                    ],
                },
            ],
        });
        const run = (...rest: string[]) => runCli([...cli.args, ...rest], { env: cli.env });
        bump(cli.repo, "1.0.0", "1.1.0");
        const trigger = await run("trigger", "--product", "web", "--flow", "gate", "--no-wait", "--json");
        assert.strictEqual(trigger.code, 4, trigger.stderr);
        const parked = JSON.parse(trigger.stdout) as ReleaseRecord;
        for (const who of ["alice", "bob"]) {
            const approved = await run(
                "approve",
                parked.id,
                "--environment",
                "prod",
                "--as",
                who,
                "--group",
                "release-managers",
            );
            assert.strictEqual(approved.code, 0, approved.stderr);
        }
        // Real time, as users meet it: the 40 s limit runs out while the approved release waits for a resume.
        const limitAt = Date.parse(parked.startedAt!) + 40_000;
        await new Promise((r) => setTimeout(r, Math.max(0, limitAt - Date.now()) + 1000));
        const resumed = await run("resume", parked.id, "--json");
        assert.strictEqual(resumed.code, 1, `${resumed.stdout}\n${resumed.stderr}`);
        const ended = JSON.parse(resumed.stdout) as ReleaseRecord;
        assert.deepStrictEqual(
            [ended.status, ended.environments.map((e) => [e.name, e.status])],
            ["Terminated", [["prod", "Pending"]]],
            resumed.stdout,
        );
        assert.match(ended.error ?? "", /flow timeout exceeded \(promotionTimeoutLimit 40s, reached at /);
        assert.match(cli.repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/, "prod untouched");
    });
});
