import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import type { StackDescription } from "../../../cli/commands/stack";
import type { PreviewResult } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli } from "../../support/cli";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const run = promisify(execFile);

/** Runs one of the commands `promote stack` printed, in a shell, with the environment it printed. */
async function shell(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
    try {
        const { stdout } = await run("sh", ["-c", command], { env, cwd, maxBuffer: 16 << 20 });
        return stdout;
    } catch (e) {
        const x = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${command} failed: ${x.message}\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
    }
}

describe("the plain Pulumi CLI on the promote stack (promote stack)", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    it("stack output, stack history and preview --diff of the shipped program, with the printed environment", async () => {
        const dir = tempDir("pulumi-cli");
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
        const ship = (version: string) => {
            repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
            repo.edit("apps/web/dev/Chart.yaml", (t) =>
                t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`),
            );
        };
        const trigger = async () => {
            const r = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
                env,
            });
            assert.strictEqual(r.code, 0, r.stdout + r.stderr);
            return JSON.parse(r.stdout) as ReleaseRecord;
        };
        const unknown = await runCli([...args, "stack", "--product", "nope"], { env });
        assert.strictEqual(unknown.code, 2, unknown.stderr);
        assert.match(unknown.stderr, /unknown product "nope"/);
        assert.ok(!fs.existsSync(path.join(dir, "state", ".pulumi", "stacks", "promotions", "nope.json")));

        ship("2.0.0");
        const first = await trigger();

        const printed = await runCli([...args, "stack", "--product", "web", "--json"], { env });
        assert.strictEqual(printed.code, 0, printed.stderr);
        const d = JSON.parse(printed.stdout) as StackDescription;
        assert.strictEqual(d.project, "promotions");
        assert.strictEqual(d.stack, "web");
        assert.strictEqual(d.backendUrl, `file://${path.join(dir, "state")}`);
        assert.ok(fs.existsSync(d.settingsFile), d.settingsFile);
        assert.ok(!printed.stdout.includes(env.PULUMI_CONFIG_PASSPHRASE), "the passphrase was printed");
        // A terminal of the user's: only what `promote stack` printed, and the passphrase they know.
        const terminal: NodeJS.ProcessEnv = {
            HOME: process.env.HOME,
            ...d.env,
            [d.passphraseVariable]: env.PULUMI_CONFIG_PASSPHRASE,
        };
        const elsewhere = tempDir("pulumi-cli-cwd");

        const outputs = JSON.parse(await shell(d.commands.output, terminal, elsewhere)) as Record<
            string,
            unknown
        >;
        // The release's record as its update left it: what it wrote where (the whole record is in the store).
        const commitOf = (env: string) =>
            first.environments.find((e) => e.name === env)?.applications[0].commitSha;
        const release = outputs.release as {
            promoted: { environment: string; status: string; commitSha?: string }[];
        };
        assert.deepStrictEqual(
            { ...outputs, release: undefined },
            {
                releaseId: first.id,
                flow: "seq",
                sourceCommit: first.sourceCommit,
                version: "2.0.0",
                release: undefined,
            },
        );
        assert.deepStrictEqual(
            release.promoted.map((p) => [p.environment, p.status, p.commitSha]),
            ["qa", "prod"].map((e) => [e, "Succeeded", commitOf(e)]),
        );
        const history = () =>
            shell(d.commands.history, terminal, elsewhere).then(
                (s) => JSON.parse(s) as { kind: string; result: string; message: string }[],
            );
        assert.deepStrictEqual(
            (await history()).map((u) => [u.kind, u.result, u.message]),
            [["update", "succeeded", `release ${first.id} (seq)`]],
        );

        // A new version in dev: the shipped program's plain `pulumi preview --diff` shows what `promote preview` does.
        ship("3.0.0");
        const preview = await runCli([...args, "preview", "--product", "web", "--flow", "seq", "--json"], {
            env,
        });
        assert.strictEqual(preview.code, 0, preview.stderr);
        const expected = JSON.parse(preview.stdout) as PreviewResult;
        const checkpoint = path.join(dir, "state", ".pulumi", "stacks", "promotions", "web.json");
        const before = fs.readFileSync(checkpoint, "utf8");
        const diff = await shell(d.commands.preview, terminal, elsewhere);
        assert.strictEqual(
            fs.readFileSync(checkpoint, "utf8"),
            before,
            "pulumi preview wrote the checkpoint",
        );
        assert.ok(
            !fs.existsSync(path.join(d.program, "Pulumi.web.yaml")),
            "the program's directory was written",
        );
        const updated = [
            ...diff.matchAll(
                /~ pulumi-nodejs:dynamic\/promotions:EnvironmentPromotion: \(update\)\n(?:\s*\[id=[^\n]*\n)?\s*\[urn=[^\]]*::(\w+)\./g,
            ),
        ]
            .map((m) => m[1])
            .sort();
        assert.deepStrictEqual(
            updated,
            expected.environments
                .filter((e) => e.wouldChange)
                .map((e) => e.name)
                .sort(),
            diff,
        );
        assert.deepStrictEqual(updated, ["prod", "qa"], diff);
        assert.match(diff, /version\s*: "2\.0\.0" => "3\.0\.0"/, diff);

        const second = await trigger();
        assert.deepStrictEqual(
            (await history()).map((u) => u.message),
            [`release ${second.id} (seq)`, `release ${first.id} (seq)`],
        );
        assert.strictEqual(
            (JSON.parse(await shell(d.commands.output, terminal, elsewhere)) as { version: string }).version,
            "3.0.0",
        );

        // The shipped program previews only: an update outside `promote trigger` would write without a record.
        ship("4.0.0");
        const tip = repo.tip();
        const up = d.commands.preview.replace("pulumi preview --diff", "pulumi up --yes --skip-preview");
        await assert.rejects(shell(up, terminal, elsewhere), /this program only previews/);
        assert.strictEqual(repo.tip(), tip, "pulumi up wrote to the repository");
    });
});
