/**
 * Benchmark P3 (issue "Speed and scale"): `promote preview` of 100 environments x 20 applications (2,000
 * target applications and one source, one repository, YAML manifests), through the real CLI as a user runs it
 * with a warm clone cache, against `git cat-file --batch` reading the same files from the same repository in
 * the same run: cold (a definitions file changed since the last command, so they are parsed and checked
 * again) and warm (unchanged: the checked definitions kept in the cache are used). Also `promote validate` of
 * the same 2,000+ manifests, and `promote --help` against `node -e 0`.
 *
 *   npm run bench            (or: node dist/bench/preview.bench.js [rounds] [environments] [applications])
 *
 * BENCH_KEEP=1 keeps the generated repository and definitions (for profiling) and prints where they are.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { git, gitEnv, median } from "./support";
import { packageRoot } from "../engine/pulumi/engineLocator";

const rounds = Number(process.argv[2] ?? 3);
const ENVS = Number(process.argv[3] ?? 100);
const APPS = Number(process.argv[4] ?? 20);
const envs = Array.from({ length: ENVS }, (_, i) => `env${String(i + 1).padStart(3, "0")}`);
const apps = Array.from({ length: APPS }, (_, i) => `svc${String(i + 1).padStart(2, "0")}`);

const values = (app: string, env: string, tag: string) =>
    `# ${app} in ${env}\nreplicaCount: 2 # per environment\nimage:\n  repository: ghcr.io/acme/${app}\n  tag: "${tag}"\n`;

/** Every file preview reads: the source's and each target application's values.yaml. */
const files = [
    `apps/svc01/dev/values.yaml`,
    ...envs.flatMap((e) => apps.map((a) => `apps/${a}/${e}/values.yaml`)),
];

/** A bare repository with every target at 1.0.0 and the source (svc01 in dev) at 2.0.0. */
function makeRepo(dir: string): string {
    const bare = path.join(dir, "gitops.git");
    const work = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, work]);
    git(["checkout", "-q", "-b", "main"], work);
    for (const file of files) {
        const [, app, env] = file.split("/");
        fs.mkdirSync(path.join(work, path.dirname(file)), { recursive: true });
        fs.writeFileSync(path.join(work, file), values(app, env, env === "dev" ? "2.0.0" : "1.0.0"));
    }
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", "seed"], work);
    git(["push", "-q", "origin", "main"], work);
    return bare;
}

const doc = (apiVersion: string, kind: string, name: string, body: string) =>
    `---\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n    name: ${name}\n${body}`;

const application = (app: string, env: string, repoURL: string) =>
    doc(
        "argoproj.io/v1alpha1",
        "Application",
        `${app}-${env}`,
        `    namespace: argocd\n    annotations: { codefresh.io/product: fleet, promotions/environment: ${env} }\n` +
            `spec:\n    project: default\n` +
            `    source: { repoURL: "${repoURL}", path: apps/${app}/${env}, targetRevision: main }\n` +
            `    destination: { server: https://kubernetes.default.svc, namespace: ${app}-${env} }\n`,
    );

/** The definitions as YAML manifests: one file of environments, product and flow, one file per environment. */
function makeManifests(dir: string, repoURL: string): number {
    fs.mkdirSync(path.join(dir, "applications"), { recursive: true });
    const head = [
        ...["dev", ...envs].map((e) =>
            doc("promotions/v1alpha1", "Environment", e, "spec: { kind: non-production }\n"),
        ),
        doc(
            "codefresh.io/v1beta1",
            "Product",
            "fleet",
            "spec:\n    promotionTemplate:\n        promotion:\n            values.yaml: { jsonPaths: [$.image.tag] }\n" +
                "    promotionFlows: [{ name: fan-out }]\n",
        ),
        doc(
            "codefresh.io/v1beta1",
            "PromotionFlow",
            "fan-out",
            `spec:\n    triggerEnvironment: dev\n    steps:\n` +
                envs.map((e) => `        - { environment: ${e}, dependsOn: [dev] }\n`).join(""),
        ),
    ];
    fs.writeFileSync(path.join(dir, "promotions.yaml"), head.join(""));
    fs.writeFileSync(path.join(dir, "applications", "dev.yaml"), application("svc01", "dev", repoURL));
    for (const env of envs) {
        fs.writeFileSync(
            path.join(dir, "applications", `${env}.yaml`),
            apps.map((a) => application(a, env, repoURL)).join(""),
        );
    }
    return head.length + 1 + envs.length * apps.length;
}

function timed(fn: () => void): number {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The user and system time of the shell's children, from the second line `times` prints (`0m1.9s 0m0.3s`). */
function childrenCpuSeconds(stderr: string): number {
    const lines = stderr.trimEnd().split("\n");
    const seconds = (t: string) => {
        const m = /^(\d+)m([\d.]+)s$/.exec(t);
        return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    };
    const [user, system] = (lines[lines.length - 1] ?? "").trim().split(/\s+/).map(seconds);
    return user + system;
}

/** The baseline: every file preview reads, through one `git cat-file --batch`. */
function catFileBatch(bare: string): number {
    const input = files.map((f) => `main:${f}\n`).join("");
    let out: Buffer | undefined;
    const ms = timed(() => {
        out = execFileSync("git", ["cat-file", "--batch"], { cwd: bare, input, maxBuffer: 1 << 28 });
    });
    if (!out || out.toString().split(" blob ").length - 1 !== files.length) {
        throw new Error("git cat-file --batch did not return every file");
    }
    return ms;
}

async function main(): Promise<void> {
    const promote = path.join(packageRoot, "bin", "promote");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p3-"));
    try {
        const bare = makeRepo(root);
        const config = path.join(root, "promotions");
        const manifests = makeManifests(config, `file://${bare}`);
        const env = {
            ...gitEnv,
            PROMOTIONS_GIT_CACHE: path.join(root, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
            NO_COLOR: "1",
        };
        /** Runs the CLI; `cpu` gets its CPU seconds (with its git processes), which a busy machine bends less. */
        const cli = (args: string[], cpu?: number[]) => {
            const r = spawnSync(
                "sh",
                [
                    "-c",
                    '"$@"; s=$?; times >&2; exit $s',
                    "sh",
                    promote,
                    ...["--config", config, "--state", `file://${path.join(root, "state")}`, ...args],
                ],
                { env, encoding: "utf8", maxBuffer: 1 << 28 },
            );
            if (r.status !== 0) {
                throw new Error(`promote ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
            }
            cpu?.push(childrenCpuSeconds(r.stderr));
            return r.stdout;
        };
        const previewArgs = ["preview", "--product", "fleet", "--flow", "fan-out", "--json"];
        let out = "";
        const first = timed(() => (out = cli(previewArgs)));
        const result = JSON.parse(out) as {
            environments: { applications: { changes: unknown[] }[] }[];
        };
        const changed = result.environments
            .flatMap((e) => e.applications)
            .filter((a) => a.changes.length > 0);
        if (changed.length !== ENVS * APPS) {
            throw new Error(`preview shows ${changed.length} changed applications, expected ${ENVS * APPS}`);
        }
        // Cold: the definitions changed since the last command (a comment added to a file), so they are parsed
        // and checked again; warm: unchanged, so the checked definitions kept in the cache are used.
        const edited = path.join(config, "promotions.yaml");
        const rows: { cold: number; warm: number; baseline: number; validate: number }[] = [];
        const cpu = { cold: [] as number[], warm: [] as number[] };
        for (let round = 1; round <= rounds; round++) {
            const baseline = catFileBatch(bare);
            fs.appendFileSync(edited, `# round ${round}\n`);
            const cold = timed(() => cli(previewArgs, cpu.cold));
            const warm = timed(() => cli(previewArgs, cpu.warm));
            const validate = timed(() => cli(["validate"]));
            rows.push({ cold, warm, baseline, validate });
            console.log(
                `round ${round}: git cat-file --batch ${(baseline / 1000).toFixed(3)}s, promote preview ` +
                    `cold ${(cold / 1000).toFixed(2)}s (${(cold / baseline).toFixed(1)}x; CPU ${cpu.cold[round - 1].toFixed(2)}s), ` +
                    `warm ${(warm / 1000).toFixed(2)}s (${(warm / baseline).toFixed(1)}x; CPU ${cpu.warm[round - 1].toFixed(2)}s), ` +
                    `promote validate ${(validate / 1000).toFixed(2)}s`,
            );
        }
        const help = median([1, 2, 3, 4, 5].map(() => timed(() => spawnSync(promote, ["--help"]))));
        const node = median([1, 2, 3, 4, 5].map(() => timed(() => spawnSync(process.execPath, ["-e", "0"]))));
        const c = median(rows.map((r) => r.cold));
        const w = median(rows.map((r) => r.warm));
        const b = median(rows.map((r) => r.baseline));
        const v = median(rows.map((r) => r.validate));
        console.log(
            `\nP3: promote preview of ${ENVS} environments x ${APPS} applications, one repository, ` +
                `${manifests} manifests (median of ${rounds}, warm clone cache; first run with an empty one ` +
                `${(first / 1000).toFixed(2)}s):\n` +
                `  git cat-file --batch of the same ${files.length} files ${(b / 1000).toFixed(3)}s\n` +
                `  promote preview, definitions changed (cold) ${(c / 1000).toFixed(2)}s   ratio ${(c / b).toFixed(1)}x   ` +
                `CPU ${median(cpu.cold).toFixed(2)}s\n` +
                `  promote preview, definitions unchanged (warm) ${(w / 1000).toFixed(2)}s   ratio ${(w / b).toFixed(1)}x   ` +
                `CPU ${median(cpu.warm).toFixed(2)}s\n` +
                `  promote validate (warm) ${(v / 1000).toFixed(2)}s   promote --help ${(help / 1000).toFixed(2)}s   ` +
                `node -e 0 ${(node / 1000).toFixed(2)}s`,
        );
    } finally {
        if (process.env.BENCH_KEEP) {
            console.log(`kept ${root} (definitions in promotions/, clone cache in git-cache/)`);
        } else {
            fs.rmSync(root, { recursive: true, force: true });
        }
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
