/**
 * Benchmark P6 (issue "A release is one engine run"): what a release adds to the state, and what 10,000 stored
 * releases cost the reads and writes people make.
 *
 * 1. Growth: `rounds` real releases (`promote trigger`, dev → prod of one application, file:// backend),
 *    counting everything in the state directory after each (Pulumi's history and backups included), per
 *    release in steady state (the product's first releases left out).
 * 2. Scale: `promote releases --limit 50` and one release's record writes (its Running write, a live write and
 *    its final write, through the release store) with 10,000 more records stored, against the same before
 *    they were added, in the same run. The 10,000 are written in the store's own format, through the store
 *    (never by writing a backend's private files).
 *
 *   node dist/bench/records.bench.js [rounds] [stored]      (default: 20 10000)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { git, gitEnv, median, writeWebToProdConfig } from "./support";
import { packageRoot } from "../engine/pulumi/engineLocator";
import type { ReleaseRecord } from "../engine/record/releaseRecord";
import { ReleaseStore } from "../engine/store/releaseStore";
import { FileKvStore, fileStoreRoot } from "../engine/store/file";

const passphrase = "bench-passphrase";

/** A finished release record of realistic size (three environments, two applications each). */
function record(n: number): ReleaseRecord {
    const at = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
    const id = `r${at.slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}-${(n % 65536).toString(16).padStart(4, "0")}`;
    const env = (name: string) => ({
        name,
        status: "Succeeded",
        startedAt: at,
        finishedAt: at,
        applications: ["api", "worker"].map((a) => ({
            name: `web-${a}-${name}`,
            status: "Succeeded",
            action: "commit",
            commitSha: "a".repeat(40),
            changes: [{ file: "values.yaml", path: "$.image.tag", from: "1.0.0", to: `1.0.${n}` }],
        })),
    });
    return {
        id,
        product: "web",
        flow: "to-prod",
        status: "Succeeded",
        createdAt: at,
        startedAt: at,
        finishedAt: at,
        sourceApplication: "web-api-dev",
        sourceCommit: "b".repeat(40),
        version: `1.0.${n}`,
        environments: ["qa", "staging", "prod"].map(env),
        candidate: { "web-api": { "values.yaml": { "$.image.tag": `1.0.${n}` } } },
        plan: { environments: [] },
        attempts: 1,
    } as unknown as ReleaseRecord;
}

/** Bytes and files under `dir`. */
function usage(dir: string): { bytes: number; files: number } {
    let bytes = 0;
    let files = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            const u = usage(p);
            bytes += u.bytes;
            files += u.files;
        } else {
            bytes += fs.statSync(p).size;
            files++;
        }
    }
    return { bytes, files };
}

function timed(fn: () => void): number {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

/** A bare repository with `web` in dev and prod, and a clone to push new dev versions from. */
function makeRepo(dir: string): { bare: string; seed: string } {
    const bare = path.join(dir, "gitops.git");
    const seed = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, seed]);
    git(["checkout", "-q", "-b", "main"], seed);
    for (const env of ["dev", "prod"]) {
        const file = path.join(seed, "apps", "web", env, "values.yaml");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `image:\n  repository: ghcr.io/acme/web\n  tag: "1.0.0"\n`);
    }
    git(["add", "-A"], seed);
    git(["commit", "-q", "-m", "seed"], seed);
    git(["push", "-q", "origin", "main"], seed);
    return { bare, seed };
}

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 20);
    const extra = Number(process.argv[3] ?? 10_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p6-"));
    try {
        const state = path.join(dir, "state");
        const { bare, seed } = makeRepo(dir);
        const config = writeWebToProdConfig(dir, `file://${bare}`);
        const env: NodeJS.ProcessEnv = {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            ...(process.env.PULUMI_PROMOTIONS_CACHE
                ? { PULUMI_PROMOTIONS_CACHE: process.env.PULUMI_PROMOTIONS_CACHE }
                : {}),
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            NO_COLOR: "1",
            GIT_AUTHOR_NAME: gitEnv.GIT_AUTHOR_NAME,
            GIT_AUTHOR_EMAIL: gitEnv.GIT_AUTHOR_EMAIL,
            GIT_COMMITTER_NAME: gitEnv.GIT_COMMITTER_NAME,
            GIT_COMMITTER_EMAIL: gitEnv.GIT_COMMITTER_EMAIL,
        };
        const promote = path.join(packageRoot, "bin", "promote");
        const cli = (args: string[]) => {
            const r = spawnSync(promote, ["--config", config, "--state", `file://${state}`, ...args], {
                env,
                encoding: "utf8",
                maxBuffer: 1024 * 1024 * 1024,
            });
            if (r.status !== 0) {
                throw new Error(`promote ${args[0]} exited ${r.status}: ${r.stderr}`);
            }
            return r.stdout;
        };
        const release = (n: number) => {
            git(["pull", "-q", "--rebase", "origin", "main"], seed);
            fs.writeFileSync(
                path.join(seed, "apps", "web", "dev", "values.yaml"),
                `image:\n  repository: ghcr.io/acme/web\n  tag: "2.0.${n}"\n`,
            );
            git(["commit", "-q", "-am", `dev 2.0.${n}`], seed);
            git(["push", "-q", "origin", "main"], seed);
            return timed(() => cli(["trigger", "--product", "web", "--flow", "to-prod", "--json"]));
        };

        // 1. Growth per release, everything in the state directory counted.
        const warmup = 3;
        const sizes: { bytes: number; files: number }[] = [];
        const times: number[] = [];
        for (let n = 1; n <= rounds + warmup; n++) {
            times.push(release(n));
            sizes.push(usage(state));
        }
        const steady = sizes.slice(warmup - 1);
        const perRelease = {
            bytes: (steady[steady.length - 1].bytes - steady[0].bytes) / (steady.length - 1),
            files: (steady[steady.length - 1].files - steady[0].files) / (steady.length - 1),
        };
        const total = sizes[sizes.length - 1];

        // 2. Reads and writes before and after `extra` more records.
        const list = () =>
            median(
                [1, 2, 3, 4, 5].map(() =>
                    timed(() => cli(["releases", "--product", "web", "--limit", "50", "--json"])),
                ),
            );
        const store = new ReleaseStore(new FileKvStore(fileStoreRoot(state)), "web");
        let next = 1_000_000;
        const writes = async (): Promise<number> => {
            const samples: number[] = [];
            for (let i = 0; i < 7; i++) {
                const r = record(next++);
                const open = { ...r, status: "Running", finishedAt: undefined } as ReleaseRecord;
                samples.push(
                    await timedAsync(async () => {
                        await store.put(open);
                        await store.put({ ...open, status: "Suspended" });
                        await store.put(r);
                    }),
                );
            }
            return median(samples);
        };
        const listAt0 = list();
        const writeAt0 = await writes();
        const filled = await timedAsync(async () => {
            for (let i = 0; i < extra; i++) {
                await store.put(record(i));
            }
        });
        const listAtN = list();
        const writeAtN = await writes();
        const stored = (JSON.parse(cli(["releases", "--product", "web", "--json"])) as unknown[]).length;

        console.log(
            `P6: release records (file:// backend, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
        );
        console.log(
            `  growth per release (steady state, ${steady.length - 1} releases, everything under the state directory): ` +
                `${(perRelease.bytes / 1024).toFixed(1)} KiB, ${perRelease.files.toFixed(1)} files ` +
                `(after ${rounds + warmup} releases: ${(total.bytes / 1024).toFixed(0)} KiB in ${total.files} files; ` +
                `a release ${(median(times.slice(warmup)) / 1000).toFixed(2)}s)`,
        );
        console.log(
            `  at 10,000: ${((perRelease.bytes * 10_000) / 1024 / 1024).toFixed(0)} MiB and ${Math.round(perRelease.files * 10_000)} files (extrapolated)`,
        );
        console.log(
            `  releases --limit 50: ${(listAt0 / 1000).toFixed(2)}s with ${rounds + warmup} stored, ` +
                `${(listAtN / 1000).toFixed(2)}s with ${stored} stored: ${(listAtN / listAt0).toFixed(2)}x`,
        );
        console.log(
            `  one release's record writes (Running, Suspended, final): ${writeAt0.toFixed(1)} ms, then ${writeAtN.toFixed(1)} ms: ${(writeAtN / writeAt0).toFixed(2)}x ` +
                `(${extra} records written through the store in ${(filled / 1000).toFixed(1)}s)`,
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
