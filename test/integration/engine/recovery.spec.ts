import * as assert from "assert";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { slowPushes } from "../../support/gitops";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

function setup(name: string, timeout?: string) {
    const dir = tempDir(name);
    const { repo, args, env } = cliScenario(dir, {
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod" }],
        flows: [
            {
                name: "seq",
                triggerEnvironment: "dev",
                ...(timeout ? { promotionTimeoutLimit: timeout } : {}),
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "prod", dependsOn: ["qa"] },
                ],
            },
        ],
    });
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "6.0.0"'));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "6.0.0"'));
    return { dir, repo, args, env, slow: slowPushes(repo, dir) };
}

const promotionCommits = (repo: GitopsRepo, id: string) =>
    repo.log().filter((c) => c.body.includes(`Promotion-Release: ${id}`));

describe("a release that stops part-way", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("times out as Terminated; retry finishes it with the same id without redoing what succeeded", async () => {
        const { repo, args, env, slow } = setup("timeout", "8s");
        slow.once(12);
        const first = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
            env,
        });
        assert.strictEqual(first.code, 1, first.stderr);
        const terminated = JSON.parse(first.stdout) as ReleaseRecord;
        assert.strictEqual(terminated.status, "Terminated");
        assert.match(terminated.error ?? "", /flow timeout exceeded/);
        assert.deepStrictEqual(
            terminated.environments.map((e) => [e.name, e.status]),
            [
                ["qa", "Succeeded"],
                ["prod", "Pending"],
            ],
        );
        const qaCommit = terminated.environments[0].applications[0].commitSha!;

        const retried = await runCli([...args, "retry", terminated.id, "--json"], { env });
        assert.strictEqual(retried.code, 0, retried.stderr);
        const done = JSON.parse(retried.stdout) as ReleaseRecord;
        assert.strictEqual(done.id, terminated.id);
        assert.strictEqual(done.status, "Succeeded");
        assert.deepStrictEqual(
            done.environments.map((e) => [e.name, e.status]),
            [
                ["qa", "Succeeded"],
                ["prod", "Succeeded"],
            ],
        );
        assert.strictEqual(done.environments[0].applications[0].commitSha, qaCommit, "qa keeps its commit");
        assert.deepStrictEqual(
            promotionCommits(repo, done.id).map((c) => c.subject),
            ["promote web 6.0.0 to prod", "promote web 6.0.0 to qa"],
            "one commit per environment: nothing redone",
        );
    });

    it("survives SIGKILL mid-release: retry converges with no duplicate commit and no manual lock cleanup", async () => {
        const { repo, args, env, slow } = setup("sigkill");
        slow.once(6);
        const cli = startCli([...args, "trigger", "--product", "web", "--flow", "seq"], { env });
        try {
            await cli.waitFor(/qa Running/);
            const id = /release (r\S+) \(web/.exec(cli.output())![1];
            cli.child.kill("SIGKILL");
            await cli.done;
            // Let the orphaned pulumi process notice its program is gone (its push still lands).
            await new Promise((r) => setTimeout(r, 8000));

            // The record reads Running, and readers say its process is gone and how to resume it.
            const shown = JSON.parse(
                (await runCli([...args, "release", id, "--json"], { env })).stdout,
            ) as ReleaseRecord;
            assert.strictEqual(shown.status, "Running");
            assert.match(shown.stale ?? "", new RegExp(`is gone: 'promote retry ${id}' resumes it`));

            const retried = await runCli([...args, "retry", id, "--json"], { env });
            assert.strictEqual(retried.code, 0, retried.stdout + retried.stderr);
            const done = JSON.parse(retried.stdout) as ReleaseRecord;
            assert.strictEqual(done.status, "Succeeded");
            assert.deepStrictEqual(
                done.environments.map((e) => e.status),
                ["Succeeded", "Succeeded"],
            );
            assert.deepStrictEqual(
                promotionCommits(repo, id).map((c) => c.subject),
                ["promote web 6.0.0 to prod", "promote web 6.0.0 to qa"],
                "exactly one commit per environment",
            );

            // A new trigger afterwards works too (no lock left behind).
            const again = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
                env,
            });
            assert.strictEqual(again.code, 0, again.stderr);
        } finally {
            cli.killGroup(); // what is left of the killed CLI: its orphaned pulumi and plugin processes
        }
    });
});
