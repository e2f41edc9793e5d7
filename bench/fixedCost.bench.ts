/**
 * Benchmark P0 (issue "Speed and scale"): the fixed cost of one release. One application in one target
 * environment, no gates, through the real `promote trigger` as a user runs it, against a shell script's clone,
 * edit, commit and push of the same change, in the same run; and how many times the release runs the `pulumi`
 * CLI (a wrapper engine logs every invocation). Also `promote --help` against `node -e 0`.
 *
 *   npm run bench            (or: node dist/bench/fixedCost.bench.js [rounds])
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { git, gitEnv, median, writeWebToProdConfig } from "./support";
import { enginePath, locateEngine, packageRoot } from "../engine/pulumi/engineLocator";

const values = (env: string, tag: string) =>
    `# web in ${env}\nimage:\n  repository: ghcr.io/acme/web\n  tag: "${tag}"\n`;

function makeRepo(dir: string, tag: string): string {
    const bare = path.join(dir, "gitops.git");
    const work = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, work]);
    git(["checkout", "-q", "-b", "main"], work);
    for (const env of ["dev", "prod"]) {
        const file = path.join(work, "apps", "web", env, "values.yaml");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, values(env, env === "dev" ? tag : "1.0.0"));
    }
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", "seed"], work);
    git(["push", "-q", "origin", "main"], work);
    return bare;
}

function timed(fn: () => void): number {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

/** This checkout's shims, as scripts/provision-engine.sh installs them next to the engine. */
const shims = ["pulumi-resource-pulumi-nodejs"];

/**
 * An engine directory whose `pulumi` logs each invocation (its start and end, in ms since the epoch) and runs
 * the real one; the dynamic-provider shim is this checkout's (what the installer puts there).
 */
async function countingEngine(root: string, log: string): Promise<string> {
    const real = await locateEngine();
    const bin = path.join(root, "engine", real.version, "bin");
    fs.mkdirSync(bin, { recursive: true });
    for (const f of fs.readdirSync(path.dirname(real.pulumi))) {
        if (shims.includes(f)) {
            fs.copyFileSync(path.join(packageRoot, "scripts", f), path.join(bin, f));
            fs.chmodSync(path.join(bin, f), 0o755);
        } else if (f !== "pulumi") {
            fs.symlinkSync(path.join(path.dirname(real.pulumi), f), path.join(bin, f));
        }
    }
    fs.writeFileSync(
        path.join(bin, "pulumi"),
        [
            "#!/bin/sh",
            'case "$*" in *promotions-releases*) stack=records ;; *) stack=promote ;; esac',
            `echo "start $(date +%s%3N) $$ $stack $1 $2" >> "${log}"`,
            `"${real.pulumi}" "$@"`,
            "rc=$?",
            `echo "end $(date +%s%3N) $$ $stack $1 $2" >> "${log}"`,
            'exit "$rc"',
            "",
        ].join("\n"),
    );
    fs.chmodSync(path.join(bin, "pulumi"), 0o755);
    return root;
}

/** One `pulumi` invocation of a release, in ms from the start of `promote`. */
interface Invocation {
    readonly command: string;
    /** Whether it wrote to a records stack (`promotions-releases`), not the promote stack. */
    readonly records: boolean;
    readonly start: number;
    readonly end: number;
}

function invocationsOf(log: string, t0: number): Invocation[] {
    const started = new Map<string, { start: number; records: boolean; command: string }>();
    const done: Invocation[] = [];
    for (const line of fs.readFileSync(log, "utf8").split("\n").filter(Boolean)) {
        const [kind, at, pid, stack, ...rest] = line.split(" ");
        if (kind === "start") {
            started.set(pid, {
                start: Number(at) - t0,
                records: stack === "records",
                command: rest.join(" "),
            });
        } else {
            const s = started.get(pid);
            done.push({
                command: s?.command ?? rest.join(" "),
                records: s?.records ?? false,
                start: s?.start ?? 0,
                end: Number(at) - t0,
            });
        }
    }
    return done.sort((a, b) => a.start - b.start);
}

/**
 * Where the time of a release goes, as a timeline (start and end in ms from the start of `promote`): the
 * CLI's own start up to the promote stack's `up` (configuration, plan, fetch, the Running record), the `up`
 * (the release's actions, and its record in the stack's outputs), then the final record and the exit.
 */
function phasesOf(total: number, runs: readonly Invocation[]): [string, number, number][] {
    const ups = runs.filter((r) => r.command.startsWith("up"));
    if (ups.length !== 1 || runs.some((r) => r.records)) {
        return [[`(${ups.length} updates, not the one of a release: no breakdown)`, 0, total]];
    }
    const [update] = ups;
    return [
        ["CLI start, configuration, plan, fetch, the Running record", 0, update.start],
        ["`up` of the promote stack", update.start, update.end],
        ["the final record, to exit", update.end, total],
    ];
}

/**
 * The goal's yardstick, measured in the same run: `pulumi up --yes --skip-preview` (as the Automation API runs
 * it) of a Node.js program with one dynamic resource whose input changes each time, on a `file://` backend.
 * Returns the median of `rounds` updates (the first, which creates the stack and the resource, left out).
 */
async function oneResourceUp(root: string, rounds: number): Promise<number> {
    const engine = await locateEngine();
    const dir = path.join(root, "one-resource");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: one-resource\nruntime: nodejs\nmain: index.js\n");
    fs.writeFileSync(
        path.join(dir, "index.js"),
        [
            'const pulumi = require("@pulumi/pulumi");',
            "const provider = {",
            '    async create(inputs) { return { id: "one", outs: inputs }; },',
            "    async update(_id, _olds, news) { return { outs: news }; },",
            "};",
            'new pulumi.dynamic.Resource(provider, "one", { value: process.env.ONE_VALUE }, {});',
            "",
        ].join("\n"),
    );
    const env = {
        PATH: enginePath(engine, process.env.PATH ?? ""),
        HOME: process.env.HOME,
        NODE_PATH: path.join(packageRoot, "node_modules"),
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "bench",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    };
    fs.mkdirSync(path.join(dir, "state"));
    execFileSync(engine.pulumi, ["stack", "init", "one"], { cwd: dir, env, stdio: "pipe" });
    const times: number[] = [];
    for (let i = 0; i <= rounds; i++) {
        const ms = timed(() =>
            execFileSync(engine.pulumi, ["up", "--yes", "--skip-preview", "--stack", "one"], {
                cwd: dir,
                env: { ...env, ONE_VALUE: String(i) },
                stdio: "pipe",
            }),
        );
        if (i > 0) {
            times.push(ms);
        }
    }
    return median(times);
}

/** The CLI's environment: this engine only (no `pulumi` from node_modules/.bin on PATH). */
function cliEnv(cacheRoot: string, dir: string): NodeJS.ProcessEnv {
    const pathDirs = (process.env.PATH ?? "").split(":").filter((d) => !d.includes("node_modules"));
    return {
        ...process.env,
        PATH: pathDirs.join(":"),
        PULUMI_PROMOTIONS_CACHE: cacheRoot,
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
        NO_COLOR: "1",
    };
}

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const promote = path.join(packageRoot, "bin", "promote");
    const rows: {
        engine: number;
        shell: number;
        pulumi: number;
        first: number;
        phases: [string, number, number][];
    }[] = [];
    for (let round = 1; round <= rounds; round++) {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p0-"));
        try {
            const tag = `2.0.${round}`;
            // The baseline: what a shell script does for the same promotion.
            const shellDir = path.join(root, "shell");
            fs.mkdirSync(shellDir);
            const shellBare = makeRepo(shellDir, tag);
            const shell = timed(() =>
                execFileSync(
                    "sh",
                    [
                        "-c",
                        `set -e; git clone -q "$1" "$2"; cd "$2"; sed -i 's/tag: "[^"]*"/tag: "${tag}"/' apps/web/prod/values.yaml; git commit -q -am promote; git push -q origin main`,
                        "sh",
                        shellBare,
                        path.join(shellDir, "work"),
                    ],
                    { env: gitEnv, stdio: "pipe" },
                ),
            );
            const dir = path.join(root, "engine");
            fs.mkdirSync(dir);
            const bare = makeRepo(dir, tag);
            const config = writeWebToProdConfig(dir, `file://${bare}`);
            const log = path.join(root, "pulumi.log");
            const env = cliEnv(await countingEngine(path.join(root, "cache"), log), dir);
            const trigger = (): { ms: number; invocations: Invocation[] } => {
                fs.writeFileSync(log, "");
                let result: ReturnType<typeof spawnSync> | undefined;
                const t0 = Date.now();
                const ms = timed(() => {
                    result = spawnSync(
                        promote,
                        [
                            "--config",
                            config,
                            "--state",
                            `file://${path.join(dir, "state")}`,
                            "trigger",
                            "--product",
                            "web",
                            "--flow",
                            "to-prod",
                            "--json",
                        ],
                        { env, encoding: "utf8" },
                    );
                });
                if (result?.status !== 0) {
                    throw new Error(`promote trigger exited ${result?.status}: ${String(result?.stderr)}`);
                }
                return { ms, invocations: invocationsOf(log, t0) };
            };
            // The product's first release creates its stacks; the next one is what every later release costs.
            const first = trigger();
            const seed = path.join(dir, "seed");
            git(["pull", "-q", "--rebase", "origin", "main"], seed);
            fs.writeFileSync(
                path.join(seed, "apps", "web", "dev", "values.yaml"),
                values("dev", `${tag}-next`),
            );
            git(["commit", "-q", "-am", "next"], seed);
            git(["push", "-q", "origin", "main"], seed);
            const next = trigger();
            rows.push({
                engine: next.ms,
                shell,
                pulumi: next.invocations.length,
                first: first.ms,
                phases: phasesOf(next.ms, next.invocations),
            });
            console.log(
                `round ${round}: promote trigger ${(next.ms / 1000).toFixed(2)}s (${next.invocations.length} pulumi invocations; ` +
                    `the product's first release ${(first.ms / 1000).toFixed(2)}s, ${first.invocations.length}), shell ${(shell / 1000).toFixed(2)}s`,
            );
            if (round === 1) {
                for (const [name, run] of [
                    ["first release", first],
                    ["next release", next],
                ] as const) {
                    const kinds = new Map<string, number>();
                    for (const i of run.invocations) {
                        kinds.set(i.command, (kinds.get(i.command) ?? 0) + 1);
                    }
                    console.log(`  ${name}: pulumi ${[...kinds].map(([k, n]) => `${k} ${n}x`).join(", ")}`);
                }
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }
    const yardstickRoot = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p0-one-"));
    let yardstick: number;
    try {
        yardstick = await oneResourceUp(yardstickRoot, Math.max(3, rounds));
    } finally {
        fs.rmSync(yardstickRoot, { recursive: true, force: true });
    }
    const help = median([1, 2, 3, 4, 5].map(() => timed(() => spawnSync(promote, ["--help"]))));
    const node = median([1, 2, 3, 4, 5].map(() => timed(() => spawnSync(process.execPath, ["-e", "0"]))));
    const e = median(rows.map((r) => r.engine));
    const s = median(rows.map((r) => r.shell));
    console.log(
        `\nP0: 1 environment x 1 application, no gates (median of ${rounds}):\n` +
            `  promote trigger ${(e / 1000).toFixed(2)}s   shell script ${(s / 1000).toFixed(2)}s   ` +
            `fixed cost ${((e - s) / 1000).toFixed(2)}s   pulumi invocations ${median(rows.map((r) => r.pulumi))}   ` +
            `(a product's first release ${(median(rows.map((r) => r.first)) / 1000).toFixed(2)}s)\n` +
            `  a one-resource \`pulumi up\` ${(yardstick / 1000).toFixed(2)}s: the release is ${(e / yardstick).toFixed(2)}x it (goal <= 3x)\n` +
            `  promote --help ${(help / 1000).toFixed(2)}s   node -e 0 ${(node / 1000).toFixed(2)}s   ratio ${(help / node).toFixed(1)}x`,
    );
    // The breakdown of the median round (the phases of one round add up to its total).
    const mid = rows.find((r) => r.engine === e) ?? rows[0];
    console.log(`  where the next release's ${(mid.engine / 1000).toFixed(2)}s go (median round):`);
    for (const [phase, from, to] of mid.phases) {
        const span = `${(from / 1000).toFixed(2)}-${(to / 1000).toFixed(2)}s`;
        console.log(`    ${span.padStart(12)}  ${((to - from) / 1000).toFixed(2)}s  ${phase}`);
    }
    console.log(`  machine load (1 min average) ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
