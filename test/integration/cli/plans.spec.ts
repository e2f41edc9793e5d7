import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { SavedPlan } from "../../../engine/governance/plans";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli } from "../../support/cli";
import { helmApp } from "../../support/gitops";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** Issue 18, update plans: `preview --save-plan` then `trigger --plan`, through the real CLI and engine. */
describe("promote preview --save-plan and promote trigger --plan", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("refuses a plan whose files changed since (nothing written); applies one after an unrelated push", async () => {
        const dir = tempDir("plans");
        const { repo, args, env } = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        });
        repo.commit(
            Object.fromEntries(
                Object.entries(helmApp("web", "dev", "1.3.0")).map(([f, c]) => [`apps/web/dev/${f}`, c]),
            ),
            "dev: 1.3.0",
        );
        const save = async (file: string): Promise<SavedPlan> => {
            const r = await runCli(
                [...args, "preview", "--product", "web", "--flow", "seq", "--save-plan", file],
                { env },
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, /qa/);
            assert.match(
                r.stdout,
                /plan saved to .*PULUMI_EXPERIMENTAL is set for the promote stack's commands only/s,
            );
            return JSON.parse(fs.readFileSync(file, "utf8")) as SavedPlan;
        };
        const trigger = (file: string) =>
            runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--plan", file, "--json"], {
                env,
            });
        const refs = () => repo.tip();

        // A plan, then someone pushes a change to a file it would change: refused, nothing written.
        const planA = path.join(dir, "a.plan.json");
        const a = await save(planA);
        assert.strictEqual(a.sourceCommit, repo.tip(), "the plan fixes the source commit");
        assert.match(a.releaseId, /^r\d{8}-\d{6}-[0-9a-f]+$/);
        assert.deepStrictEqual(
            a.files.map((f) => f.file),
            ["apps/web/qa/Chart.yaml", "apps/web/qa/values.yaml"],
        );
        repo.edit("apps/web/qa/values.yaml", (t) => t.replace("replicaCount: 1", "replicaCount: 2"));
        const tipAfterEdit = refs();
        const refused = await trigger(planA);
        assert.strictEqual(refused.code, 2, refused.stdout + refused.stderr);
        assert.match(
            refused.stderr,
            /plan .*a\.plan\.json no longer holds \(nothing was written\):\s+apps\/web\/qa\/values\.yaml on main .* changed since the preview/,
        );
        assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
        assert.strictEqual(refs(), tipAfterEdit, "nothing pushed");
        const none = await runCli([...args, "releases", "--product", "web", "--json"], { env });
        assert.deepStrictEqual(JSON.parse(none.stdout || "[]"), [], "no release recorded");

        // A new plan; an unrelated push to the same branch leaves the planned files alone: applied exactly.
        const planB = path.join(dir, "b.plan.json");
        const b = await save(planB);
        const before = {
            chart: repo.read("apps/web/qa/Chart.yaml"),
            values: repo.read("apps/web/qa/values.yaml"),
        };
        repo.commit({ "docs/notes.md": "unrelated\n" }, "docs: notes");
        assert.notStrictEqual(repo.tip(), b.sourceCommit);
        const applied = await trigger(planB);
        assert.strictEqual(applied.code, 0, applied.stdout + applied.stderr);
        const record = JSON.parse(applied.stdout) as ReleaseRecord;
        assert.strictEqual(record.status, "Succeeded");
        assert.strictEqual(record.id, b.releaseId, "the plan's release id");
        assert.strictEqual(record.sourceCommit, b.sourceCommit, "the plan's source commit, not the new tip");
        assert.deepStrictEqual(record.updatePlan, {
            sha256: createHash("sha256").update(fs.readFileSync(planB)).digest("hex"),
        });
        const changedLines = (from: string, to: string) => {
            const [x, y] = [from.split("\n"), to.split("\n")];
            assert.strictEqual(x.length, y.length);
            return y.filter((l, i) => l !== x[i]);
        };
        assert.deepStrictEqual(changedLines(before.chart, repo.read("apps/web/qa/Chart.yaml")), [
            'appVersion: "1.3.0"',
        ]);
        assert.deepStrictEqual(changedLines(before.values, repo.read("apps/web/qa/values.yaml")), [
            '  tag: "1.3.0"',
        ]);
        assert.strictEqual(repo.read("docs/notes.md"), "unrelated", "the unrelated commit stays");
        assert.strictEqual((await trigger(planB)).code, 2, "a plan is applied once");
    });
});
