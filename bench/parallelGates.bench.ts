/**
 * Benchmark P2 (issue "Speed and scale"): ten parallel environments, each behind a 2 s local gate (a
 * pre-action running `sleep 2`), one application each, all depending only on the trigger environment, against
 * one such environment with the same gate, through the real `promote trigger`, in the same run. Goal: ≤ 1.1×.
 * Also where the time goes: the spread of the gates' start times, read from the release record's runs.
 *
 *   npm run bench            (or: node dist/bench/parallelGates.bench.js [rounds])
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { git, gitEnv, median } from "./support";
import { packageRoot } from "../engine/pulumi/engineLocator";

const gateSeconds = 2;

const values = (env: string, tag: string) =>
    `# web in ${env}\nimage:\n  repository: ghcr.io/acme/web\n  tag: "${tag}"\n`;

/** One product whose flow fans out from dev to `targets` environments, each gated by `sleep 2`. */
interface Setup {
    readonly targets: number;
    readonly dir: string;
    readonly seed: string;
    readonly config: string;
    tag: number;
}

function setup(root: string, targets: number): Setup {
    const dir = path.join(root, `fan-${targets}`);
    fs.mkdirSync(dir, { recursive: true });
    const bare = path.join(dir, "gitops.git");
    const seed = path.join(dir, "seed");
    const envs = ["dev", ...Array.from({ length: targets }, (_, i) => `t${i + 1}`)];
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, seed]);
    git(["checkout", "-q", "-b", "main"], seed);
    for (const env of envs) {
        const file = path.join(seed, "apps", "web", env, "values.yaml");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, values(env, env === "dev" ? "2.0.0" : "1.0.0"));
    }
    git(["add", "-A"], seed);
    git(["commit", "-q", "-m", "seed"], seed);
    git(["push", "-q", "origin", "main"], seed);
    const config = path.join(dir, "definitions.js");
    fs.writeFileSync(
        config,
        `module.exports = ${JSON.stringify({
            environments: envs.map((name) => ({ name })),
            products: [
                {
                    name: "web",
                    promotionTemplate: { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } },
                    promotionFlows: [{ name: "fan-out" }],
                    applications: envs.map((env) => ({
                        name: `web-${env}`,
                        environment: env,
                        repoURL: `file://${bare}`,
                        path: `apps/web/${env}`,
                        targetRevision: "main",
                    })),
                },
            ],
            promotionFlows: [
                {
                    name: "fan-out",
                    triggerEnvironment: "dev",
                    steps: envs.slice(1).map((environment) => ({
                        environment,
                        dependsOn: ["dev"],
                        policy: { preAction: "gate" },
                    })),
                },
            ],
            promotionWorkflows: [
                { name: "gate", kind: "local", command: ["sleep", String(gateSeconds)], timeout: "1m" },
            ],
        })};\n`,
    );
    return { targets, dir, seed, config, tag: 0 };
}

interface RunRecord {
    readonly status: string;
    readonly environments: readonly {
        readonly name: string;
        readonly status: string;
        readonly finishedAt?: string;
        readonly applications: readonly {
            readonly preAction?: { startedAt?: string; finishedAt?: string };
        }[];
    }[];
}

interface Measured {
    readonly ms: number;
    /** Gate start times, ms after the first gate started. */
    readonly starts: number[];
    /** The first gate's start, ms after the process started. */
    readonly firstGate: number;
    /** From the last gate's end to the last environment's end (the writes). */
    readonly writes: number;
    /** From the last environment's end to the process's exit (the record, the exit). */
    readonly afterEnvs: number;
}

/** A new commit in dev, then `promote trigger` of the fan-out: its wall time and its gates' start times. */
function release(s: Setup, root: string): Measured {
    s.tag++;
    git(["pull", "-q", "--rebase", "origin", "main"], s.seed);
    fs.writeFileSync(path.join(s.seed, "apps", "web", "dev", "values.yaml"), values("dev", `2.0.${s.tag}`));
    git(["commit", "-q", "-am", `dev 2.0.${s.tag}`], s.seed);
    git(["push", "-q", "origin", "main"], s.seed);
    const pathDirs = (process.env.PATH ?? "").split(":").filter((d) => !d.includes("node_modules"));
    const started = Date.now();
    const t0 = process.hrtime.bigint();
    const result = spawnSync(
        path.join(packageRoot, "bin", "promote"),
        [
            "--config",
            s.config,
            "--state",
            `file://${path.join(s.dir, "state")}`,
            "trigger",
            "--product",
            "web",
            "--flow",
            "fan-out",
            "--json",
        ],
        {
            env: {
                ...gitEnv,
                PATH: pathDirs.join(":"),
                PROMOTIONS_GIT_CACHE: path.join(root, "git-cache"),
                PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
                NO_COLOR: "1",
            },
            encoding: "utf8",
        },
    );
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (result.status !== 0) {
        throw new Error(`promote trigger exited ${result.status}: ${result.stderr}`);
    }
    const record = JSON.parse(result.stdout) as RunRecord;
    const targets = record.environments.filter((e) => e.name !== "dev");
    if (record.status !== "Succeeded" || targets.length !== s.targets) {
        throw new Error(`release ${record.status}: ${result.stdout.slice(0, 2000)}`);
    }
    const runs = targets.flatMap((e) => e.applications.map((a) => a.preAction));
    const startTimes = runs.map((r) => Date.parse(r?.startedAt ?? "")).sort((a, b) => a - b);
    const endTimes = runs.map((r) => Date.parse(r?.finishedAt ?? ""));
    const lastEnv = Math.max(...targets.map((e) => Date.parse(e.finishedAt ?? "")));
    if (startTimes.some(Number.isNaN) || startTimes.length !== s.targets) {
        throw new Error(`gate runs missing in the record: ${JSON.stringify(runs)}`);
    }
    return {
        ms,
        starts: startTimes.map((t) => t - startTimes[0]),
        firstGate: startTimes[0] - started,
        writes: lastEnv - Math.max(...endTimes),
        afterEnvs: started + ms - lastEnv,
    };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p2-"));
    try {
        const one = setup(root, 1);
        const ten = setup(root, 10);
        // A product's first release creates its stacks: not what is measured.
        release(one, root);
        release(ten, root);
        const rows: { one: Measured; ten: Measured }[] = [];
        for (let round = 1; round <= rounds; round++) {
            const a = release(one, root);
            const b = release(ten, root);
            rows.push({ one: a, ten: b });
            console.log(
                `round ${round}: 1 environment ${sec(a.ms)}, 10 environments ${sec(b.ms)} ` +
                    `(ratio ${(b.ms / a.ms).toFixed(2)}x); 10 gates started over ${sec(b.starts[b.starts.length - 1])} ` +
                    `[${b.starts.map((t) => (t / 1000).toFixed(2)).join(" ")}]; first gate at ${sec(b.firstGate)} ` +
                    `(1 env: ${sec(a.firstGate)}); writes ${sec(b.writes)} after the last gate ` +
                    `(1 env: ${sec(a.writes)}); exit ${sec(b.afterEnvs)} after the last environment (1 env: ${sec(a.afterEnvs)})`,
            );
        }
        const o = median(rows.map((r) => r.one.ms));
        const t = median(rows.map((r) => r.ten.ms));
        const spread = median(rows.map((r) => r.ten.starts[r.ten.starts.length - 1]));
        console.log(
            `\nP2: 10 parallel environments, each with a ${gateSeconds} s local gate (median of ${rounds}):\n` +
                `  10 environments ${sec(t)}   1 environment ${sec(o)}   ratio ${(t / o).toFixed(2)}x (goal 1.1x; median of the rounds' ratios ` +
                `${median(rows.map((r) => r.ten.ms / r.one.ms)).toFixed(2)}x)   ` +
                `gate starts spread over ${sec(spread)}   load ${os
                    .loadavg()
                    .map((l) => l.toFixed(2))
                    .join(" ")}`,
        );
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
