/**
 * Benchmark P5 (issue "Speed and scale"): one release of 2,000 application promotions: 100 target environments,
 * each depending only on the trigger environment (dev), 20 applications each, one repository. A real
 * `promote trigger` process against a shell script making the same 100 commits and pushes, in the same run.
 * Prints the wall-time ratio, how many environments succeeded, the commits found, how the environments'
 * starts spread, and the peak memory of the whole process tree below this process (every process's resident
 * memory read from /proc every 100 ms, summed per sample) with the largest processes of that peak sample.
 *
 *   node dist/bench/bigRelease.bench.js [rounds] [targets] [apps]     (default: 3 100 20)
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "../engine/pulumi/engineLocator";
import type { FanOut, ProcessSample } from "./support";
import {
    fanOut,
    fanOutDefinitions,
    fanOutShell,
    git,
    gitEnv,
    makeFanOutRepo,
    median,
    sampleTreeMemory,
} from "./support";

interface EnvironmentOutcome {
    readonly name: string;
    readonly status: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
}

interface Run {
    readonly ms: number;
    readonly code: number;
    readonly environments: EnvironmentOutcome[];
    readonly error: string;
    readonly peak: number;
    readonly top: ProcessSample[];
}

function trigger(dir: string, bare: string, shape: FanOut): Promise<Run> {
    const config = path.join(dir, "definitions.js");
    fs.writeFileSync(
        config,
        `module.exports = ${JSON.stringify(fanOutDefinitions(shape, `file://${bare}`))};\n`,
    );
    return new Promise((resolve) => {
        const started = process.hrtime.bigint();
        const child = spawn(
            path.join(packageRoot, "bin", "promote"),
            [
                "--config",
                config,
                "--state",
                `file://${path.join(dir, "state")}`,
                "trigger",
                "--product",
                "fleet",
                "--flow",
                "fan-out",
                "--json",
            ],
            {
                // The user's environment, as a user runs the CLI (gitEnv is it, with a fixed git identity).
                env: {
                    ...gitEnv,
                    PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                    PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
                    NO_COLOR: "1",
                },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        // The tree below this process: the CLI (and the shell that starts it), Pulumi, the program, git.
        const stop = sampleTreeMemory(process.pid, 100);
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("close", (code) => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            const { peak, top } = stop();
            let environments: EnvironmentOutcome[] = [];
            try {
                environments = (JSON.parse(out) as { environments: EnvironmentOutcome[] }).environments;
            } catch {
                // no record printed: the error says why
            }
            resolve({
                ms,
                code: code ?? 1,
                environments,
                error: err.trim().split("\n").slice(-3).join(" "),
                peak,
                top,
            });
        });
    });
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const shape = fanOut(Number(process.argv[3] ?? 100), Number(process.argv[4] ?? 20));
    const targets = shape.envs.length - 1;
    const rows: { engine: number; shell: number; peak: number; ok: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p5-"));
        try {
            const tag = `2.0.${round}`;
            const shellDir = path.join(root, "shell");
            fs.mkdirSync(shellDir);
            const shell = fanOutShell(shellDir, shape, makeFanOutRepo(shellDir, shape, tag), tag);
            const engineDir = path.join(root, "engine");
            fs.mkdirSync(engineDir);
            const bare = makeFanOutRepo(engineDir, shape, tag);
            const run = await trigger(engineDir, bare, shape);
            const ok = run.environments.filter((e) => e.name !== "dev" && e.status === "Succeeded").length;
            const pushed = Number(git(["rev-list", "--count", "main"], bare)) - 1;
            const starts = run.environments.map((e) => Date.parse(e.startedAt ?? "")).filter((t) => t > 0);
            const ends = run.environments.map((e) => Date.parse(e.finishedAt ?? "")).filter((t) => t > 0);
            rows.push({ engine: run.ms, shell, peak: run.peak, ok });
            console.log(
                `round ${round}: promote ${(run.ms / 1000).toFixed(1)}s (exit ${run.code}), shell ${(shell / 1000).toFixed(2)}s, ` +
                    `ratio ${(run.ms / shell).toFixed(1)}x; ${ok}/${targets} environments succeeded, ${pushed} commits on main; ` +
                    `environment starts spread over ${((Math.max(...starts) - Math.min(...starts)) / 1000).toFixed(1)}s, ` +
                    `first start to last finish ${((Math.max(...ends) - Math.min(...starts)) / 1000).toFixed(1)}s`,
            );
            console.log(
                `  peak memory of the process tree ${mib(run.peak)}: ` +
                    run.top
                        .slice(0, 6)
                        .map((p) => `${p.name} ${mib(p.rss)}`)
                        .join(", ") +
                    (run.top.length > 6
                        ? `, ${run.top.length - 6} more ${mib(run.top.slice(6).reduce((s, p) => s + p.rss, 0))}`
                        : ""),
            );
            if (run.code !== 0) {
                console.log(`  failed: ${run.error}`);
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }
    const e = median(rows.map((r) => r.engine));
    const s = median(rows.map((r) => r.shell));
    console.log(
        `\nP5: one release of ${targets} environments x ${shape.apps.length} applications (${targets * shape.apps.length} promotions), ` +
            `one repository (median of ${rounds}):\n` +
            `  promote ${(e / 1000).toFixed(1)}s   shell script ${(s / 1000).toFixed(2)}s   ratio ${(e / s).toFixed(1)}x   ` +
            `peak memory ${mib(median(rows.map((r) => r.peak)))}   environments succeeded ${median(rows.map((r) => r.ok))}/${targets}`,
    );
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
