/**
 * Benchmark: one product, 20 target environments fanned out from dev, 5 applications each, one repository,
 * no gates. The promote engine (real Pulumi engine, real git) against a shell script making the same commits
 * and pushes (one commit per environment) on the same machine, in the same run. Prints the ratio.
 *
 *   npm run bench            (or: node dist/bench/release.bench.js [rounds])
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCatalog } from "../components/catalog";
import { formatIssue } from "../components/issues";
import { fanOut, fanOutDefinitions, fanOutShell, git, makeFanOutRepo, median } from "./support";
import { locateEngine } from "../engine/engineLocator";
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

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const rows: { engine: number; shell: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-bench-"));
        try {
            const tag = `2.0.${round}`;
            const shellDir = path.join(root, "shell");
            fs.mkdirSync(shellDir);
            const shell = fanOutShell(shellDir, shape, makeFanOutRepo(shellDir, shape, tag), tag);
            const engineDir = path.join(root, "engine");
            fs.mkdirSync(engineDir);
            const bare = makeFanOutRepo(engineDir, shape, tag);
            const { ms, commits } = await engineRun(engineDir, bare);
            const pushed = Number(git(["rev-list", "--count", "main"], bare)) - 1;
            if (commits !== TARGETS || pushed !== TARGETS) {
                throw new Error(
                    `expected ${TARGETS} commits, the engine made ${commits} (${pushed} on main)`,
                );
            }
            rows.push({ engine: ms, shell });
            console.log(
                `round ${round}: engine ${(ms / 1000).toFixed(2)}s, shell ${(shell / 1000).toFixed(2)}s, ratio ${(ms / shell).toFixed(1)}x`,
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }
    const e = median(rows.map((r) => r.engine));
    const s = median(rows.map((r) => r.shell));
    console.log(
        `\n${TARGETS} environments x ${APPS} applications, one repository, no gates (median of ${rounds}):\n` +
            `  promote engine ${(e / 1000).toFixed(2)}s   shell script ${(s / 1000).toFixed(2)}s   ratio ${(e / s).toFixed(1)}x`,
    );
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
