/**
 * Benchmark P6 (issue "Speed and scale"): `promote releases --limit 50` and one record write with 0, 1,000
 * and 10,000 releases already stored, against the same at 0 in the same run; the size of what a write
 * rewrites and how much the state directory grows per write. Stored releases are generated directly as
 * archive pages in the `file://` backend (the layout the engine writes), not through 10,000 real releases.
 *
 *   node dist/bench/records.bench.js [counts...]      (default: 0 1000 10000)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { median, writeWebToProdConfig } from "./support";
import { locateEngine, packageRoot } from "../engine/engineLocator";
import type { ReleaseRecord } from "../engine/releaseRecord";
import { pageName, pageSize, recordsProject, ReleaseStore } from "../engine/releaseStore";

const passphrase = "bench-passphrase";

/** A finished release record of realistic size (three environments, two applications each). */
function record(n: number): ReleaseRecord {
    const at = new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString();
    const id = `r${at.slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}-${String(n).padStart(5, "0")}`;
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

/** Writes `records` as archive pages of {@link pageSize}, shaped after a page the engine wrote (`template`). */
function generatePages(
    stacksDir: string,
    template: string,
    templateName: string,
    records: ReleaseRecord[],
): void {
    const base = JSON.parse(template) as {
        checkpoint: {
            stack: string;
            latest: { resources: { urn: string; type: string; outputs?: unknown }[] };
        };
    };
    const [stackResource, sample] = base.checkpoint.latest.resources;
    for (let i = 0; i < records.length; i += pageSize) {
        const page = records.slice(i, i + pageSize);
        const name = pageName("web", page);
        const rename = (s: string) => s.split(templateName).join(name);
        const resources = [
            JSON.parse(rename(JSON.stringify(stackResource))) as object,
            ...page.map((r) => ({
                ...(JSON.parse(rename(JSON.stringify(sample))) as object),
                urn: `urn:pulumi:${name}::${recordsProject}::promotions:index:ReleaseRecord::${r.id}`,
                outputs: { record: r },
            })),
        ];
        const checkpoint = {
            ...base,
            checkpoint: {
                ...base.checkpoint,
                stack: rename(base.checkpoint.stack),
                latest: { ...base.checkpoint.latest, resources },
            },
        };
        fs.writeFileSync(path.join(stacksDir, `${name}.json`), JSON.stringify(checkpoint));
    }
}

function dirSize(dir: string): number {
    let total = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        total += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
    }
    return total;
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

interface Row {
    readonly stored: number;
    readonly list: number;
    readonly write: number;
    readonly rewritten: number;
    readonly growth: number;
    readonly listed: number;
}

async function measure(stored: number): Promise<Row> {
    const engine = await locateEngine();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p6-"));
    try {
        const state = path.join(dir, "state");
        const backendUrl = `file://${state}`;
        const store = new ReleaseStore({ engine, backendUrl, passphrase, product: "web" });
        // A real page to copy the layout from: two records through a store that archives at once.
        const seeding = new ReleaseStore({
            engine,
            backendUrl,
            passphrase,
            product: "web",
            archive: { liveFinishedMax: 1, pageSize: 1 },
        });
        await seeding.put(record(0));
        await seeding.put(record(1));
        const stacksDir = path.join(state, ".pulumi", "stacks", recordsProject);
        const templateFile = fs
            .readdirSync(stacksDir)
            .find((f) => f.startsWith("web.archive-") && f.endsWith(".json"))!;
        const templateName = templateFile.replace(/\.json$/, "");
        const template = fs.readFileSync(path.join(stacksDir, templateFile), "utf8");
        fs.rmSync(path.join(stacksDir, templateFile));
        generatePages(
            stacksDir,
            template,
            templateName,
            Array.from({ length: stored }, (_, i) => record(i + 10)),
        );
        // The product's stack as it usually is: a few dozen finished releases newer than the archive.
        for (let n = 0; n < 10; n++) {
            await store.put(record(stored + 20 + n));
        }

        const config = writeWebToProdConfig(dir, `file://${dir}/gitops.git`);
        const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: passphrase, NO_COLOR: "1" };
        const promote = path.join(packageRoot, "bin", "promote");
        const args = [
            "--config",
            config,
            "--state",
            backendUrl,
            "releases",
            "--product",
            "web",
            "--limit",
            "50",
            "--json",
        ];
        let listed = 0;
        const list = median(
            [1, 2, 3].map(() =>
                timed(() => {
                    const r = spawnSync(promote, args, { env, encoding: "utf8" });
                    if (r.status !== 0) {
                        throw new Error(`promote releases exited ${r.status}: ${r.stderr}`);
                    }
                    listed = (JSON.parse(r.stdout) as unknown[]).length;
                }),
            ),
        );
        const liveFile = path.join(stacksDir, "web.json");
        const rewritten = fs.statSync(liveFile).size;
        const before = dirSize(state);
        const writes: number[] = [];
        for (let n = 0; n < 3; n++) {
            writes.push(await timedAsync(() => store.put(record(stored + 40 + n))));
        }
        const growth = (dirSize(state) - before) / 3;
        return { stored, list, write: median(writes), rewritten, growth, listed };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const counts = process.argv.slice(2).map(Number);
    const rows: Row[] = [];
    for (const n of counts.length ? counts : [0, 1000, 10000]) {
        rows.push(await measure(n));
    }
    const base = rows[0];
    console.log("P6: release records at scale (file:// backend)");
    for (const r of rows) {
        console.log(
            `  ${String(r.stored).padStart(6)} stored: releases --limit 50 ${(r.list / 1000).toFixed(2)}s (${r.listed} listed, ${(r.list / base.list).toFixed(2)}x), ` +
                `one record write ${(r.write / 1000).toFixed(2)}s (${(r.write / base.write).toFixed(2)}x), ` +
                `rewrites ${(r.rewritten / 1024).toFixed(0)} KiB, state grows ${(r.growth / 1024).toFixed(0)} KiB per write`,
        );
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
