import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../components/catalog";

/** Git as the benchmarks' scripted users run it (a fixed identity). */
export const gitEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@x",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@x",
};

export const git = (args: string[], cwd?: string): string =>
    execFileSync("git", args, { cwd, env: gitEnv, stdio: "pipe" }).toString().trim();

export const median = (xs: readonly number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The fan-out shape of P1 and P5: `dev` (one source application) and `targets` environments of `apps` each. */
export interface FanOut {
    readonly envs: readonly string[];
    readonly apps: readonly string[];
}

export function fanOut(targets: number, apps: number): FanOut {
    return {
        envs: ["dev", ...Array.from({ length: targets }, (_, i) => `env${String(i + 1).padStart(3, "0")}`)],
        apps: Array.from({ length: apps }, (_, i) => `svc${i + 1}`),
    };
}

const values = (app: string, env: string, tag: string) =>
    `# ${app} in ${env}\nreplicaCount: 2 # per environment\nimage:\n  repository: ghcr.io/acme/${app}\n  tag: "${tag}"\n`;

/** A bare repository with every app in every environment at 1.0.0, and dev already at `tag`. */
export function makeFanOutRepo(dir: string, shape: FanOut, tag: string): string {
    const bare = path.join(dir, "gitops.git");
    const work = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, work]);
    git(["checkout", "-q", "-b", "main"], work);
    for (const env of shape.envs) {
        for (const app of shape.apps) {
            const file = path.join(work, "apps", app, env, "values.yaml");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, values(app, env, env === "dev" ? tag : "1.0.0"));
        }
    }
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", "seed"], work);
    git(["push", "-q", "origin", "main"], work);
    return bare;
}

/** The baseline: the same promotion as a shell script (clone, sed, one commit and push per environment). Ms. */
export function fanOutShell(dir: string, shape: FanOut, bare: string, tag: string): number {
    const script = path.join(dir, "promote.sh");
    fs.writeFileSync(
        script,
        `#!/bin/sh
set -e
git clone -q "$1" "$2"
cd "$2"
for env in ${shape.envs.slice(1).join(" ")}; do
  for app in ${shape.apps.join(" ")}; do
    sed -i 's/tag: "[^"]*"/tag: "${tag}"/' "apps/$app/$env/values.yaml"
  done
  git commit -q -am "promote to $env"
  git push -q origin main
done
`,
    );
    const started = process.hrtime.bigint();
    execFileSync("sh", [script, bare, path.join(dir, "baseline-work")], { env: gitEnv, stdio: "pipe" });
    return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The definitions of the fan-out product `fleet` (flow `fan-out`: every target depends on dev alone). */
export function fanOutDefinitions(shape: FanOut, repoURL: string): Definitions {
    return {
        environments: shape.envs.map((name) => ({ name })),
        products: [
            {
                name: "fleet",
                promotionTemplate: { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } },
                promotionFlows: [{ name: "fan-out" }],
                applications: shape.envs.flatMap((env) =>
                    // The source is one application in dev; targets have every application.
                    (env === "dev" ? shape.apps.slice(0, 1) : shape.apps).map((app) => ({
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
                steps: shape.envs.slice(1).map((environment) => ({ environment, dependsOn: ["dev"] })),
            },
        ],
    };
}

/** One process of a sampled tree. */
export interface ProcessSample {
    readonly pid: number;
    readonly name: string;
    readonly rss: number;
}

/** Every process below `root` (not `root` itself) with its resident memory in bytes, read from /proc. */
export function processTree(root: number): ProcessSample[] {
    const children = new Map<number, number[]>();
    const rss = new Map<number, number>();
    const names = new Map<number, string>();
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
            names.set(pid, stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
            children.set(ppid, [...(children.get(ppid) ?? []), pid]);
        } catch {
            // gone meanwhile
        }
    }
    const out: ProcessSample[] = [];
    const stack = [...(children.get(root) ?? [])];
    while (stack.length > 0) {
        const pid = stack.pop()!;
        out.push({ pid, name: names.get(pid) ?? "?", rss: rss.get(pid) ?? 0 });
        stack.push(...(children.get(pid) ?? []));
    }
    return out;
}

/** What a process is, for a memory report: its command line, shortened. */
export function describeProcess(pid: number, name: string): string {
    try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        const script = argv.slice(1).find((a) => a.endsWith(".js") || !a.startsWith("-"));
        return script ? `${name} ${path.basename(script)}` : name;
    } catch {
        return name;
    }
}

/**
 * Samples the memory of the process tree below `root` every `everyMs`: the peak of the per-sample sum, and
 * the processes of the peak sample. Stop it to read them.
 */
export function sampleTreeMemory(root: number, everyMs = 100): () => { peak: number; top: ProcessSample[] } {
    let peak = 0;
    let top: ProcessSample[] = [];
    const sample = () => {
        const tree = processTree(root);
        const sum = tree.reduce((s, p) => s + p.rss, 0);
        if (sum > peak) {
            peak = sum;
            top = tree.map((p) => ({ ...p, name: describeProcess(p.pid, p.name) }));
        }
    };
    const timer = setInterval(sample, everyMs);
    return () => {
        clearInterval(timer);
        return { peak, top: top.sort((a, b) => b.rss - a.rss) };
    };
}

/**
 * Writes `<dir>/definitions.js`: one product `web` whose values.yaml image tag is promoted from dev to prod by
 * the flow `to-prod`, its applications in `repoURL` (`apps/web/<env>`). Returns the file's path.
 */
export function writeWebToProdConfig(dir: string, repoURL: string): string {
    const config = path.join(dir, "definitions.js");
    const definitions = {
        environments: [{ name: "dev" }, { name: "prod" }],
        products: [
            {
                name: "web",
                promotionTemplate: { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } },
                promotionFlows: [{ name: "to-prod" }],
                applications: ["dev", "prod"].map((env) => ({
                    name: `web-${env}`,
                    environment: env,
                    repoURL,
                    path: `apps/web/${env}`,
                    targetRevision: "main",
                })),
            },
        ],
        promotionFlows: [
            {
                name: "to-prod",
                triggerEnvironment: "dev",
                steps: [{ environment: "prod", dependsOn: ["dev"] }],
            },
        ],
    };
    fs.writeFileSync(config, `module.exports = ${JSON.stringify(definitions)};\n`);
    return config;
}
