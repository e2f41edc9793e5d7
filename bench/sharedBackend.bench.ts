/**
 * Benchmark P8 (issue "Speed and scale"): 4 runners × 3 products on one PostgreSQL backend, and on one
 * S3-compatible server (versitygw: Pulumi's state and the release store in one bucket). Each runner is a
 * separate `promote` process with its own clone cache and identity; 3 products (dev -> qa -> prod, one
 * repository) get two releases each, the second started by another runner while the first runs, so each
 * product's queue holds across runners. Baseline: the same on a `file://` backend, in the same run
 * (rounds alternate). Prints the wall times, their ratio, and what was lost: commits missing from the branch
 * or made twice, records missing or listed twice.
 *
 *   node dist/bench/sharedBackend.bench.js [rounds]     (default: 2 per backend)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ReleaseRecord } from "../engine/record/releaseRecord";
import { runCli, startCli } from "../test/support/cli";
import { startPostgres } from "../test/support/postgres";
import { startS3Server } from "../test/support/s3Server";
import { productsInOneRepository, writeConfigModule } from "../test/support/scenario";
import { median } from "./support";

const products = ["web", "api", "worker"];

interface Round {
    readonly ms: number;
    readonly failed: number;
    readonly missingCommits: number;
    readonly duplicateCommits: number;
    readonly recordProblems: number;
}

async function round(stateUrl: string, backendEnv: Readonly<Record<string, string>> = {}): Promise<Round> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p8-"));
    try {
        const { repo, defs } = productsInOneRepository(dir, products);
        const config = writeConfigModule(dir, defs);
        const runner = (n: number) => ({
            args: ["--config", config, "--state", stateUrl],
            env: {
                ...backendEnv,
                PROMOTIONS_GIT_CACHE: path.join(dir, `runner-${n}`, "git-cache"),
                PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
            },
        });
        const setVersion = (product: string, version: string) => {
            repo.edit(`apps/${product}/dev/values.yaml`, (t) =>
                t.replace(/tag: "[^"]+"/, `tag: "${version}"`),
            );
            repo.edit(`apps/${product}/dev/Chart.yaml`, (t) =>
                t.replace(/appVersion: "[^"]+"/, `appVersion: "${version}"`),
            );
        };
        const started = Date.now();
        const clis: { product: string; version: string; cli: ReturnType<typeof startCli> }[] = [];
        const trigger = (product: string, version: string, n: number) => {
            const r = runner(n);
            const cli = startCli(
                [
                    ...r.args,
                    "trigger",
                    "--product",
                    product,
                    "--flow",
                    "seq",
                    "--as",
                    `runner-${n}`,
                    "--json",
                ],
                { env: r.env },
            );
            clis.push({ product, version, cli });
            return cli;
        };
        await Promise.all(
            products.map((product, i) => {
                setVersion(product, "2.0.0");
                return trigger(product, "2.0.0", i + 1).waitFor(new RegExp(`release r\\S+ \\(${product}`));
            }),
        );
        products.forEach((product, i) => {
            setVersion(product, "3.0.0");
            trigger(product, "3.0.0", ((i + 3) % 4) + 1);
        });
        const results = await Promise.all(clis.map((c) => c.cli.done));
        const ms = Date.now() - started;

        const log = repo.log();
        let missingCommits = 0;
        let duplicateCommits = 0;
        const ids: { product: string; id: string }[] = [];
        for (const [i, r] of results.entries()) {
            if (r.code !== 0) {
                continue;
            }
            const { id } = JSON.parse(r.stdout) as ReleaseRecord;
            ids.push({ product: clis[i].product, id });
            for (const env of ["qa", "prod"]) {
                const subject = `promote ${clis[i].product} ${clis[i].version} to ${env}`;
                const n = log.filter((c) => c.subject === subject && c.body.includes(id)).length;
                missingCommits += n === 0 ? 1 : 0;
                duplicateCommits += Math.max(0, n - 1);
            }
        }
        let recordProblems = 0;
        for (const product of products) {
            const list = await runCli([...runner(4).args, "releases", "--product", product, "--json"], {
                env: runner(4).env,
            });
            const listed = (JSON.parse(list.stdout) as ReleaseRecord[]).map((r) => r.id);
            const mine = ids.filter((r) => r.product === product).map((r) => r.id);
            recordProblems += mine.filter((id) => listed.filter((l) => l === id).length !== 1).length;
            recordProblems += listed.filter((l) => !mine.includes(l)).length;
        }
        return {
            ms,
            failed: results.filter((r) => r.code !== 0).length,
            missingCommits,
            duplicateCommits,
            recordProblems,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const show = (label: string, rounds: readonly Round[]) => {
    const lost = rounds.reduce(
        (n, r) => n + r.failed + r.missingCommits + r.duplicateCommits + r.recordProblems,
        0,
    );
    return (
        `  ${label}: ${rounds.map((r) => `${(r.ms / 1000).toFixed(1)}s`).join(", ")} ` +
        `(median ${(median(rounds.map((r) => r.ms)) / 1000).toFixed(1)}s); ` +
        `${rounds.reduce((n, r) => n + r.failed, 0)} failed releases, ` +
        `${rounds.reduce((n, r) => n + r.missingCommits, 0)} missing and ` +
        `${rounds.reduce((n, r) => n + r.duplicateCommits, 0)} duplicate commits, ` +
        `${rounds.reduce((n, r) => n + r.recordProblems, 0)} missing or duplicate records` +
        (lost === 0 ? " (nothing lost)" : "")
    );
};

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 2);
    const pg = await startPostgres("p8");
    const s3 = await startS3Server("p8-bench");
    const file: Round[] = [];
    const postgres: Round[] = [];
    const objects: Round[] = [];
    try {
        for (let i = 0; i < rounds; i++) {
            const state = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p8-state-"));
            try {
                file.push(await round(`file://${state}`));
            } finally {
                fs.rmSync(state, { recursive: true, force: true });
            }
            postgres.push(await round(await pg.createDatabase(`round${i}`)));
            objects.push(await round(s3.backendUrl({ prefix: `round${i}` }), s3.env));
        }
    } finally {
        await pg.stop();
        await s3.stop();
    }
    console.log("P8: 4 runners × 3 products (6 releases, 12 commits into one branch) on one shared backend");
    console.log(show("file:// (baseline)", file));
    console.log(show("postgres://", postgres));
    console.log(show("s3:// (versitygw)", objects));
    const base = median(file.map((r) => r.ms));
    console.log(
        `  ratio, postgres:// against file://: ${(median(postgres.map((r) => r.ms)) / base).toFixed(2)}x`,
    );
    console.log(`  ratio, s3:// against file://: ${(median(objects.map((r) => r.ms)) / base).toFixed(2)}x`);
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
