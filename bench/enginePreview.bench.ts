/**
 * Benchmark: the engine's preview (`promote preview --engine`: a real `pulumi preview` of the release's
 * program on the promote stack) against the in-process preview (the default), on one product fanned out from
 * dev to N target environments with M applications each in one repository. Both read the same live branches
 * and must give the same answer; prints the ratio.
 *
 *   node dist/bench/enginePreview.bench.js [rounds=3] [environments=20] [applications=5]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import type { Definitions } from "../components/catalog";
import { buildCatalog } from "../components/catalog";
import { formatIssue } from "../components/issues";
import { locateEngine } from "../engine/pulumi/engineLocator";
import { PromoteEngine } from "../engine/promoteEngine";
import { git, median } from "./support";

const [rounds, TARGETS, APPS] = [3, 20, 5].map((d, i) => Number(process.argv[2 + i] ?? d));
const envs = ["dev", ...Array.from({ length: TARGETS }, (_, i) => `env${String(i + 1).padStart(3, "0")}`)];
const apps = Array.from({ length: APPS }, (_, i) => `svc${i + 1}`);

function makeRepo(dir: string): string {
    const bare = path.join(dir, "gitops.git");
    const work = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, work]);
    git(["checkout", "-q", "-b", "main"], work);
    for (const env of envs) {
        for (const app of apps) {
            const file = path.join(work, "apps", app, env, "values.yaml");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            const tag = env === "dev" ? "2.0.0" : "1.0.0";
            fs.writeFileSync(file, `image:\n  repository: ghcr.io/acme/${app}\n  tag: "${tag}"\n`);
        }
    }
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", "seed"], work);
    git(["push", "-q", "origin", "main"], work);
    return bare;
}

function definitions(repoURL: string): Definitions {
    return {
        environments: envs.map((name) => ({ name })),
        products: [
            {
                name: "fleet",
                promotionTemplate: { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } },
                promotionFlows: [{ name: "fan-out" }],
                applications: envs.flatMap((env) =>
                    (env === "dev" ? apps.slice(0, 1) : apps).map((app) => ({
                        name: `${app}-${env}`,
                        environment: env,
                        repoURL,
                        path: `apps/${app}/${env}`,
                        targetRevision: "main",
                    })),
                ),
            },
        ],
        promotionFlows: [
            {
                name: "fan-out",
                triggerEnvironment: "dev",
                steps: envs.slice(1).map((environment) => ({ environment, dependsOn: ["dev"] })),
            },
        ],
    };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
    const started = process.hrtime.bigint();
    const result = await fn();
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

async function main(): Promise<void> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-preview-bench-"));
    try {
        const { catalog, issues } = buildCatalog(definitions(`file://${makeRepo(root)}`));
        if (issues.length > 0) {
            throw new Error(issues.map(formatIssue).join("\n"));
        }
        const engine = PromoteEngine.create({
            catalog,
            engine: await locateEngine(),
            backendUrl: `file://${path.join(root, "state")}`,
            passphrase: "bench-passphrase",
            gitCacheDir: path.join(root, "git-cache"),
        });
        const request = { product: "fleet", target: { flow: "fan-out" } };
        // Warm up both (clones, the promote stack's creation), then measure.
        await engine.preview(request);
        await engine.previewWithEngine(request);
        const rows: { inProcess: number; engine: number }[] = [];
        for (let round = 1; round <= rounds; round++) {
            const a = await timed(() => engine.preview(request));
            const b = await timed(() => engine.previewWithEngine(request));
            if (!isDeepStrictEqual(a.result, b.result)) {
                throw new Error("the engine's preview and the in-process preview differ");
            }
            rows.push({ inProcess: a.ms, engine: b.ms });
            console.log(
                `round ${round}: in-process ${(a.ms / 1000).toFixed(2)}s, engine ${(b.ms / 1000).toFixed(2)}s, ratio ${(b.ms / a.ms).toFixed(1)}x`,
            );
        }
        const i = median(rows.map((r) => r.inProcess));
        const e = median(rows.map((r) => r.engine));
        console.log(
            `\npreview, ${TARGETS} environments x ${APPS} applications, one repository (median of ${rounds}):\n` +
                `  in-process ${(i / 1000).toFixed(2)}s   engine (pulumi preview) ${(e / 1000).toFixed(2)}s   ratio ${(e / i).toFixed(1)}x`,
        );
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
