/**
 * Benchmark P4 (issue "Speed and scale"): many products released at once into one branch of one repository.
 * Each product has dev -> qa, staging, prod (three commits into the same branch); every release is a real
 * `promote trigger` process. Baseline: the same 10 releases one after another, in the same run. Prints how
 * many succeeded, the wall times, their ratio, every commit found on the branch, and the peak memory of the
 * whole process tree (sampled from /proc).
 *
 *   node dist/bench/contention.bench.js [products...]     (default: 10 20)
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { git, gitEnv } from "./support";
import { packageRoot } from "../engine/pulumi/engineLocator";

const targets = ["qa", "staging", "prod"];
const values = (product: string, tag: string) =>
    `image:\n  repository: ghcr.io/acme/${product}\n  tag: "${tag}"\n`;
const productName = (i: number) => `p${String(i + 1).padStart(2, "0")}`;

/** A bare repository with `count` products in dev (at `tag`) and their three targets (at 1.0.0). */
function makeRepo(dir: string, count: number, tag: string): string {
    const bare = path.join(dir, "gitops.git");
    const work = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, work]);
    git(["checkout", "-q", "-b", "main"], work);
    for (let i = 0; i < count; i++) {
        for (const env of ["dev", ...targets]) {
            const file = path.join(work, "apps", productName(i), env, "values.yaml");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, values(productName(i), env === "dev" ? tag : "1.0.0"));
        }
    }
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", "seed"], work);
    git(["push", "-q", "origin", "main"], work);
    return bare;
}

function writeConfig(dir: string, bare: string, count: number): string {
    const config = path.join(dir, "definitions.js");
    const products = Array.from({ length: count }, (_, i) => ({
        name: productName(i),
        promotionTemplate: { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } },
        promotionFlows: [{ name: "to-prod" }],
        applications: ["dev", ...targets].map((env) => ({
            name: `${productName(i)}-${env}`,
            environment: env,
            repoURL: `file://${bare}`,
            path: `apps/${productName(i)}/${env}`,
            targetRevision: "main",
        })),
    }));
    const definitions = {
        environments: ["dev", ...targets].map((name) => ({ name })),
        products,
        promotionFlows: [
            {
                name: "to-prod",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "staging", dependsOn: ["qa"] },
                    { environment: "prod", dependsOn: ["staging"] },
                ],
            },
        ],
    };
    fs.writeFileSync(config, `module.exports = ${JSON.stringify(definitions)};\n`);
    return config;
}

/** The resident memory (bytes) of every process below `root`, summed. */
function treeRss(root: number): number {
    const children = new Map<number, number[]>();
    const rss = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            const pid = Number(entry);
            const ppid = Number(fields[1]);
            rss.set(pid, Number(fields[21]) * 4096);
            children.set(ppid, [...(children.get(ppid) ?? []), pid]);
        } catch {
            // gone meanwhile
        }
    }
    let total = 0;
    const stack = [...(children.get(root) ?? [])];
    while (stack.length > 0) {
        const pid = stack.pop()!;
        total += rss.get(pid) ?? 0;
        stack.push(...(children.get(pid) ?? []));
    }
    return total;
}

function trigger(
    config: string,
    state: string,
    cache: string,
    product: string,
): Promise<{ code: number; err: string }> {
    return new Promise((resolve) => {
        const child = spawn(
            path.join(packageRoot, "bin", "promote"),
            [
                "--config",
                config,
                "--state",
                `file://${state}`,
                "trigger",
                "--product",
                product,
                "--flow",
                "to-prod",
                "--json",
            ],
            {
                env: {
                    ...process.env,
                    ...gitEnv,
                    PROMOTIONS_GIT_CACHE: cache,
                    PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
                    NO_COLOR: "1",
                },
                stdio: ["ignore", "ignore", "pipe"],
            },
        );
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("close", (code) => resolve({ code: code ?? 1, err }));
    });
}

interface Round {
    readonly ok: number;
    readonly ms: number;
    readonly peakRss: number;
    readonly commits: number;
    readonly promoted: number;
    readonly errors: string[];
}

async function round(count: number, parallel: boolean): Promise<Round> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p4-"));
    try {
        const tag = "2.0.0";
        const bare = makeRepo(dir, count, tag);
        const config = writeConfig(dir, bare, count);
        const state = path.join(dir, "state");
        const cache = path.join(dir, "git-cache");
        let peakRss = 0;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRss(process.pid))), 200);
        const started = process.hrtime.bigint();
        const results: { code: number; err: string }[] = [];
        if (parallel) {
            results.push(
                ...(await Promise.all(
                    Array.from({ length: count }, (_, i) => trigger(config, state, cache, productName(i))),
                )),
            );
        } else {
            for (let i = 0; i < count; i++) {
                results.push(await trigger(config, state, cache, productName(i)));
            }
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        clearInterval(sampler);
        const commits = Number(git(["rev-list", "--count", "main"], bare).trim()) - 1;
        let promoted = 0;
        for (let i = 0; i < count; i++) {
            for (const env of targets) {
                const text = git(["show", `main:apps/${productName(i)}/${env}/values.yaml`], bare);
                promoted += text.includes(`tag: "${tag}"`) ? 1 : 0;
            }
        }
        const errors = results
            .filter((r) => r.code !== 0)
            .map((r) => r.err.trim().split("\n").slice(-2).join(" "));
        return { ok: results.filter((r) => r.code === 0).length, ms, peakRss, commits, promoted, errors };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const show = (label: string, count: number, r: Round) =>
    `  ${label}: ${r.ok}/${count} succeeded in ${(r.ms / 1000).toFixed(1)}s, ` +
    `${r.commits} commits on main (${count * targets.length} expected), ${r.promoted}/${count * targets.length} files promoted, ` +
    `peak memory of the process tree ${(r.peakRss / 2 ** 20).toFixed(0)} MiB` +
    (r.errors.length ? `\n    failures: ${r.errors.join("\n    ")}` : "");

async function main(): Promise<void> {
    const counts = process.argv.slice(2).map(Number);
    const serial = await round(10, false);
    console.log(`P4: products released at once into one branch (dev -> qa -> staging -> prod each)`);
    console.log(show("10 one after another (baseline)", 10, serial));
    for (const count of counts.length ? counts : [10, 20]) {
        const parallel = await round(count, true);
        console.log(show(`${count} at once`, count, parallel));
        if (count === 10) {
            console.log(
                `  ratio, 10 at once against one after another: ${(parallel.ms / serial.ms).toFixed(2)}x`,
            );
        }
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
