/**
 * Benchmark: one product, 20 target environments fanned out from dev, 5 applications each, one repository,
 * no gates. The promote engine (real Pulumi engine, real git) against a shell script making the same commits
 * and pushes (one commit per environment) on the same machine, in the same run: a product's first release
 * (its stacks are created) and its next one. Prints the ratios.
 *
 *   npm run bench            (or: node dist/bench/release.bench.js [rounds])
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCatalog } from "../components/catalog";
import { formatIssue } from "../components/issues";
import { fanOut, fanOutDefinitions, fanOutShell, git, makeFanOutRepo, median } from "./support";
import { locateEngine } from "../engine/pulumi/engineLocator";
import { PromoteEngine } from "../engine/promoteEngine";

const TARGETS = 20;
const APPS = 5;
const shape = fanOut(TARGETS, APPS);

async function engineRun(dir: string, bare: string): Promise<{ ms: number; commits: number }> {
    const { catalog, issues } = buildCatalog(fanOutDefinitions(shape, `file://${bare}`));
    if (issues.length > 0) {
        throw new Error(issues.map(formatIssue).join("\n"));
    }
    const engine = PromoteEngine.create({
        catalog,
        engine: await locateEngine(),
        backendUrl: `file://${path.join(dir, "state")}`,
        passphrase: "bench",
        gitCacheDir: path.join(dir, "git-cache"),
    });
    const started = process.hrtime.bigint();
    const wallStart = Date.now();
    const record = await engine.release({ product: "fleet", target: { flow: "fan-out" } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (record.status !== "Succeeded") {
        throw new Error(`release ${record.status}: ${record.error}`);
    }
    const commits = record.environments.filter((e) => e.applications.some((a) => a.commitSha)).length;
    if (process.env.BENCH_BREAKDOWN) {
        const t = (s?: string) => (s ? Date.parse(s) : NaN);
        const starts = record.environments.map((e) => t(e.startedAt));
        const ends = record.environments.map((e) => t(e.finishedAt));
        console.log(
            `  planning ${t(record.startedAt) - wallStart}ms, record + engine start ${Math.min(...starts) - t(record.startedAt)}ms, ` +
                `environments ${Math.max(...ends) - Math.min(...starts)}ms, finish + record ${t(record.finishedAt) - Math.max(...ends)}ms`,
        );
    }
    return { ms, commits };
}

/** A new version in dev (the source of the next release): its one application's tag set to `tag`. */
function bumpSource(dir: string, bare: string, tag: string): void {
    const work = path.join(dir, "bump");
    git(["clone", "-q", bare, work]);
    const file = path.join(work, "apps", shape.apps[0], "dev", "values.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/tag: "[^"]*"/, `tag: "${tag}"`));
    git(["commit", "-q", "-am", `dev at ${tag}`], work);
    git(["push", "-q", "origin", "main"], work);
    fs.rmSync(work, { recursive: true, force: true });
}

interface Row {
    readonly engine: number;
    readonly shell: number;
}

/**
 * The medians of each side's times, and the median of the rounds' own ratios: each round runs both back to back,
 * so its ratio is what the machine's drift (the shell script's time swings 2x with the load here) leaves alone.
 */
const show = (label: string, rows: readonly Row[], rounds: number) => {
    const e = median(rows.map((r) => r.engine));
    const s = median(rows.map((r) => r.shell));
    const ratio = median(rows.map((r) => r.engine / r.shell));
    return `  ${label}: promote engine ${(e / 1000).toFixed(2)}s   shell script ${(s / 1000).toFixed(2)}s   ratio ${ratio.toFixed(1)}x (medians of ${rounds} rounds)`;
};

/**
 * Each round: the product's first release (its stacks are created) and its next release (a new version in dev,
 * the stacks there), each against the shell script making the same 20 commits into a repository of its own.
 */
async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const first: Row[] = [];
    const next: Row[] = [];
    for (let round = 1; round <= rounds; round++) {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-bench-"));
        try {
            const engineDir = path.join(root, "engine");
            fs.mkdirSync(engineDir);
            const bare = makeFanOutRepo(engineDir, shape, `2.0.${round}`);
            for (const [i, rows] of [first, next].entries()) {
                const tag = `2.${i}.${round}`;
                const shellDir = path.join(root, `shell-${i}`);
                fs.mkdirSync(shellDir);
                const shell = fanOutShell(shellDir, shape, makeFanOutRepo(shellDir, shape, tag), tag);
                if (i > 0) {
                    bumpSource(engineDir, bare, tag);
                }
                const before = Number(git(["rev-list", "--count", "main"], bare));
                const { ms, commits } = await engineRun(engineDir, bare);
                const pushed = Number(git(["rev-list", "--count", "main"], bare)) - before;
                if (commits !== TARGETS || pushed !== TARGETS) {
                    throw new Error(
                        `expected ${TARGETS} commits, the engine made ${commits} (${pushed} on main)`,
                    );
                }
                rows.push({ engine: ms, shell });
                console.log(
                    `round ${round}, ${i === 0 ? "first" : "next"} release: engine ${(ms / 1000).toFixed(2)}s, shell ${(shell / 1000).toFixed(2)}s, ratio ${(ms / shell).toFixed(1)}x`,
                );
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }
    console.log(
        `\n${TARGETS} environments x ${APPS} applications, one repository, no gates:\n` +
            `${show("a product's first release", first, rounds)}\n${show("its next release", next, rounds)}`,
    );
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
