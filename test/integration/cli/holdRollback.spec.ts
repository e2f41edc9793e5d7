import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Hold } from "../../../engine/governance/holds";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { expectRefused } from "../../support/badInput";
import { runCli } from "../../support/cli";
import { helmApp } from "../../support/gitops";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * Issue 17 (hold and rollback), through the real CLI, the real engine and a real repository: dev → qa → prod,
 * prod's pre-action a local gate that appends to a file.
 */
describe("promote rollback, hold, release-hold and holds", function () {
    this.timeout(900_000);
    after(removeTempDirs);

    it("rollback restores exactly an earlier candidate in prod through its gates, holds it; triggers skip it until released", async () => {
        const dir = tempDir("hold-rollback");
        const gateLog = path.join(dir, "gates.log");
        const { repo, args, env } = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
            policies: [
                {
                    name: "prod-gate",
                    priority: 1,
                    selector: { targetEnvironment: { types: ["PROD"] } },
                    policy: { action: "commit", preAction: "gate" },
                },
            ],
            workflows: [
                {
                    name: "gate",
                    kind: "local",
                    command: `echo "$ENVIRONMENT $VERSION $PROMOTION_FLOW_NAME" >> "${gateLog}"`,
                },
            ],
        });
        const ci = { ...env, GITHUB_ACTOR: "ci-bot" };
        const prodFiles = () =>
            ["Chart.yaml", "values.yaml"].map((f) => repo.read(`apps/web/prod/${f}`)).join("\n---\n");
        const gates = () =>
            fs.existsSync(gateLog) ? fs.readFileSync(gateLog, "utf8").trim().split("\n") : [];
        const release = async (version: string, extra: string[] = []): Promise<ReleaseRecord> => {
            repo.commit(
                Object.fromEntries(
                    Object.entries(helmApp("web", "dev", version)).map(([f, c]) => [`apps/web/dev/${f}`, c]),
                ),
                `web ${version}`,
            );
            const r = await runCli(
                [...args, "trigger", "--product", "web", "--flow", "seq", ...extra, "--json"],
                {
                    env: ci,
                },
            );
            assert.strictEqual(r.code, 0, r.stdout + r.stderr);
            return JSON.parse(r.stdout) as ReleaseRecord;
        };
        const envOf = (r: ReleaseRecord, name: string) => r.environments.find((e) => e.name === name)!;

        const r1 = await release("1.1.0");
        assert.deepStrictEqual(
            r1.environments.map((e) => e.status),
            ["Succeeded", "Succeeded"],
        );
        const prodAt110 = prodFiles();
        const r2 = await release("1.2.0");
        assert.strictEqual(envOf(r2, "prod").status, "Succeeded");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.2\.0"/);
        assert.deepStrictEqual(gates(), ["prod 1.1.0 seq", "prod 1.2.0 seq"]);

        // Rollback: the default target is the candidate prod had before 1.2.0, run through prod's gate.
        const rb = await runCli(
            [...args, "rollback", "--product", "web", "--environment", "prod", "--json"],
            {
                env: ci,
            },
        );
        assert.strictEqual(rb.code, 0, rb.stdout + rb.stderr);
        const rolled = JSON.parse(rb.stdout) as ReleaseRecord;
        assert.strictEqual(rolled.flow, "rollback");
        assert.strictEqual(rolled.rollbackOf, r1.id);
        assert.strictEqual(rolled.version, "1.1.0");
        assert.strictEqual(rolled.sourceCommit, r1.sourceCommit, "exactly the earlier candidate");
        assert.deepStrictEqual(
            rolled.environments.map((e) => [e.name, e.status, e.dependsOn]),
            [["prod", "Succeeded", []]],
        );
        assert.strictEqual(prodFiles(), prodAt110, "prod's files are exactly what 1.1.0 left there");
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.2\.0"/, "qa untouched");
        assert.deepStrictEqual(gates(), ["prod 1.1.0 seq", "prod 1.2.0 seq", "prod 1.1.0 rollback"]);

        const shown = await runCli([...args, "release", rolled.id], { env });
        assert.match(shown.stdout, new RegExp(`rollback of release ${r1.id}`));
        const summary = await runCli([...args, "releases", "--product", "web", "--json"], { env });
        assert.strictEqual(
            (JSON.parse(summary.stdout) as { id: string; rollbackOf?: string }[]).find(
                (s) => s.id === rolled.id,
            )?.rollbackOf,
            r1.id,
        );
        const held = await runCli([...args, "holds", "--product", "web", "--json"], { env });
        assert.strictEqual(held.code, 0, held.stderr);
        const holds = JSON.parse(held.stdout) as Hold[];
        assert.deepStrictEqual(
            holds.map((h) => [h.environment, h.by, h.reason]),
            [["prod", "ci-bot", `rolled back to 1.1.0 by release ${rolled.id}`]],
        );

        // 1.3.0 while prod is held: qa moves, prod is Skipped as held, nothing runs there, the release Succeeds.
        const r3 = await release("1.3.0");
        assert.strictEqual(r3.status, "Succeeded");
        assert.deepStrictEqual(r3.heldEnvironments, ["prod"]);
        assert.strictEqual(envOf(r3, "qa").status, "Succeeded");
        const prod3 = envOf(r3, "prod");
        assert.strictEqual(prod3.status, "Skipped");
        assert.strictEqual(prod3.reason, "held");
        assert.strictEqual(prod3.hold?.by, "ci-bot");
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.3\.0"/);
        assert.strictEqual(prodFiles(), prodAt110, "prod left alone");
        assert.strictEqual(gates().length, 3, "prod's gate did not run");
        const text = await runCli([...args, "release", r3.id], { env });
        assert.match(text.stdout, /held \(skipped with what follows them\): prod/);
        assert.match(text.stdout, /held by ci-bot at .*: rolled back to 1\.1\.0/);

        // A rollback to a release that never reached prod: refused, nothing written.
        const untouched = { repos: [repo.bare], dirs: [path.join(dir, "state")] };
        await expectRefused(
            {
                name: "rollback to a release that never reached prod",
                args: [...args, "rollback", "--product", "web", "--environment", "prod", "--to", r3.id],
                env,
                exitCode: 2,
                message: [
                    new RegExp(`release ${r3.id} \\(1\\.3\\.0\\) never reached "prod"`),
                    /nothing was written/,
                ],
            },
            untouched,
        );
        // A manual promotion to held prod: refused, naming the hold and who placed it.
        await expectRefused(
            {
                name: "promote to a held environment",
                args: [...args, "promote", "--product", "web", "--from", "qa", "--to", "prod"],
                env,
                exitCode: 2,
                message: [/environment "prod" of product "web" is held by ci-bot/, /--override-hold/],
            },
            untouched,
        );

        // release-hold, then a trigger moves prod to 1.3.0.
        const released = await runCli(
            [...args, "release-hold", "--product", "web", "--environment", "prod"],
            {
                env: { ...env, USER: "carol" },
            },
        );
        assert.strictEqual(released.code, 0, released.stderr);
        assert.match(released.stdout, /released the hold on prod of web \(placed by ci-bot\)/);
        const none = await runCli([...args, "holds", "--product", "web"], { env });
        assert.match(none.stdout, /no environment of web is held/);
        const again = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
            env,
        });
        assert.strictEqual(again.code, 0, again.stderr);
        const r4 = JSON.parse(again.stdout) as ReleaseRecord;
        assert.strictEqual(r4.heldEnvironments, undefined);
        assert.strictEqual(envOf(r4, "prod").status, "Succeeded");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.3\.0"/);
        assert.match(repo.read("apps/web/prod/Chart.yaml"), /appVersion: "1\.3\.0"/);

        // Hold by hand, move qa on, then promote to prod: refused, and with --override-hold it runs (recorded).
        const h = await runCli(
            [
                ...args,
                "hold",
                "--product",
                "web",
                "--environment",
                "prod",
                "--reason",
                "freeze",
                "--as",
                "alice",
            ],
            { env },
        );
        assert.strictEqual(h.code, 0, h.stderr);
        assert.match(h.stdout.trim(), /^prod {2}held by alice at \S+: freeze$/);
        const r5 = await release("1.4.0");
        assert.strictEqual(envOf(r5, "prod").reason, "held");
        const refused = await runCli(
            [...args, "promote", "--product", "web", "--from", "qa", "--to", "prod"],
            {
                env,
            },
        );
        assert.strictEqual(refused.code, 2);
        assert.match(refused.stderr, /is held by alice since \S+: freeze/);
        const forced = await runCli(
            [
                ...args,
                "promote",
                "--product",
                "web",
                "--from",
                "qa",
                "--to",
                "prod",
                "--override-hold",
                "--json",
            ],
            { env },
        );
        assert.strictEqual(forced.code, 0, forced.stderr);
        const r6 = JSON.parse(forced.stdout) as ReleaseRecord;
        assert.deepStrictEqual(
            r6.overriddenHolds?.map((o) => [o.environment, o.by, o.reason]),
            [["prod", "alice", "freeze"]],
        );
        assert.strictEqual(envOf(r6, "prod").status, "Succeeded");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.4\.0"/);
        assert.deepStrictEqual(gates().slice(3), ["prod 1.3.0 seq", "prod 1.4.0 manual"]);
    });

    it("rolling back qa while prod has the newer version: allowed, shown, prod left alone; qa held", async () => {
        const dir = tempDir("rollback-qa");
        const { repo, args, env } = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
        });
        const ids: string[] = [];
        for (const version of ["1.1.0", "1.2.0"]) {
            repo.commit(
                Object.fromEntries(
                    Object.entries(helmApp("web", "dev", version)).map(([f, c]) => [`apps/web/dev/${f}`, c]),
                ),
                `web ${version}`,
            );
            const r = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
                env,
            });
            assert.strictEqual(r.code, 0, r.stdout + r.stderr);
            ids.push((JSON.parse(r.stdout) as ReleaseRecord).id);
        }
        const prodBefore = repo.read("apps/web/prod/values.yaml");
        const rb = await runCli(
            [
                ...args,
                "rollback",
                "--product",
                "web",
                "--environment",
                "qa",
                "--to-version",
                "1.1.0",
                "--as",
                "bob",
            ],
            { env },
        );
        assert.strictEqual(rb.code, 0, rb.stdout + rb.stderr);
        assert.match(
            rb.stdout,
            new RegExp(
                `^warning: "prod" \\(after "qa"\\) has 1\\.2\\.0 from release ${ids[1]}, newer than the 1\\.1\\.0 rolled back to$`,
                "m",
            ),
        );
        assert.match(rb.stdout, new RegExp(`^rollback of release ${ids[0]}$`, "m"));
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.1\.0"/);
        assert.strictEqual(repo.read("apps/web/prod/values.yaml"), prodBefore, "prod left alone");
        const holds = await runCli([...args, "holds", "--product", "web"], { env });
        assert.match(holds.stdout, /^qa {2}held by bob at \S+: rolled back to 1\.1\.0 by release r\S+$/m);

        // A manual promotion through the hold: qa moves on, prod (after it in the flow) is left as it is.
        const forced = await runCli(
            [
                ...args,
                "promote",
                "--product",
                "web",
                "--from",
                "dev",
                "--to",
                "qa",
                "--override-hold",
                "--json",
            ],
            { env },
        );
        assert.strictEqual(forced.code, 0, forced.stdout + forced.stderr);
        assert.deepStrictEqual((JSON.parse(forced.stdout) as ReleaseRecord).overriddenHolds?.[0]?.by, "bob");
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.2\.0"/);
        assert.strictEqual(repo.read("apps/web/prod/values.yaml"), prodBefore, "prod left alone");
    });
});
