/**
 * A stress run for the two transients the release store was built to remove (issue 24): a release "not found"
 * right after it was created, and "failed to load checkpoint: EOF" beside another writer. The same scenario,
 * `runs` times in parallel: `promote trigger` of one product from separate processes at once (they take turns in
 * the queue), and as soon as each prints its release id, `promote release ID` from another process, while
 * `promote releases` lists beside them. Counts the releases not found, every "failed to load checkpoint" in
 * any output, and the triggers that did not succeed.
 *
 *   node dist/bench/transients.bench.js [runs]     (default 50)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ReleaseRecord } from "../engine/record/releaseRecord";
import type { CliResult } from "../test/support/cli";
import { runCli, startCli } from "../test/support/cli";
import { cliScenario } from "../test/support/scenario";

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 50);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-transients-"));
    try {
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
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "2.0.0"'));
        const started = Date.now();
        const outputs: string[] = [];
        let notFound = 0;
        let listings = 0;
        const lookups: Promise<void>[] = [];
        const triggers = Array.from({ length: runs }, (_, i) => {
            const cli = startCli(
                [...args, "trigger", "--product", "web", "--flow", "seq", "--as", `stress-${i}`, "--json"],
                {
                    env,
                },
            );
            lookups.push(
                cli
                    .waitFor(/release (r\S+) \(web/, 1_800_000)
                    .then(async () => {
                        const id = /release (r\S+) \(web/.exec(cli.output())![1];
                        const [shown, listed] = await Promise.all([
                            runCli([...args, "release", id, "--json"], { env }),
                            runCli([...args, "releases", "--product", "web", "--limit", "50", "--json"], {
                                env,
                            }),
                        ]);
                        listings++;
                        outputs.push(shown.stdout + shown.stderr, listed.stdout + listed.stderr);
                        if (shown.code !== 0 || (JSON.parse(shown.stdout) as ReleaseRecord).id !== id) {
                            notFound++;
                        }
                    })
                    .catch(() => undefined), // a trigger that never printed its id is counted below
            );
            return cli.done;
        });
        const results: CliResult[] = await Promise.all(triggers);
        await Promise.all(lookups);
        outputs.push(...results.map((r) => r.stdout + r.stderr));
        const eof = outputs.filter((o) => /failed to load checkpoint/.test(o)).length;
        const failed = results.filter((r) => r.code !== 0).length;
        console.log(
            `Transients: ${runs} releases of one product triggered at once (${((Date.now() - started) / 1000).toFixed(0)}s)`,
        );
        console.log(
            `  not found right after creation: ${notFound} of ${listings} looked up; "failed to load checkpoint": ${eof}; ` +
                `triggers that did not succeed: ${failed}` +
                (notFound + eof + failed === 0 ? " (none)" : ""),
        );
        if (failed > 0) {
            console.log(results.find((r) => r.code !== 0)?.stderr);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
