/**
 * Benchmark P7 (issue "Speed and scale"): promotion latency, from a `git push` to the trigger environment's
 * branch to the first promotion commit in the next environment's branch, (a) through `promote serve`'s
 * webhook (a signed GitHub-style push delivery posted right after the push, as a code host does), (b) through
 * `promote watch --interval 1s`, against a shell poller at 1 s that makes the same commit (fetch, edit, commit,
 * push) when it sees the new one, in the same run. Goal: webhook ≤ 3 s; watch about the interval plus that.
 *
 *   npm run bench            (or: node dist/bench/latency.bench.js [rounds])
 */
import { spawn } from "child_process";
import type { ChildProcess } from "child_process";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { git, gitEnv, median, writeWebToProdConfig } from "./support";
import { packageRoot } from "../engine/pulumi/engineLocator";

const secret = "bench-webhook-secret-value";

const values = (env: string, tag: string) =>
    `# web in ${env}\nimage:\n  repository: ghcr.io/acme/web\n  tag: "${tag}"\n`;

interface Repo {
    readonly dir: string;
    readonly bare: string;
    readonly seed: string;
    tag: number;
}

function makeRepo(dir: string): Repo {
    fs.mkdirSync(dir, { recursive: true });
    const bare = path.join(dir, "gitops.git");
    const seed = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, seed]);
    git(["checkout", "-q", "-b", "main"], seed);
    for (const env of ["dev", "prod"]) {
        const file = path.join(seed, "apps", "web", env, "values.yaml");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, values(env, env === "dev" ? "2.0.0" : "1.0.0"));
    }
    git(["add", "-A"], seed);
    git(["commit", "-q", "-m", "seed"], seed);
    git(["push", "-q", "origin", "main"], seed);
    return { dir, bare, seed, tag: 0 };
}

function writeConfig(repo: Repo): string {
    return writeWebToProdConfig(repo.dir, `file://${repo.bare}`);
}

/** The branch's tip as the bare repository has it (its loose ref, as pushes write it). */
function tipOf(bare: string): string {
    try {
        return fs.readFileSync(path.join(bare, "refs", "heads", "main"), "utf8").trim();
    } catch {
        return git(["rev-parse", "refs/heads/main"], bare);
    }
}

/** A developer's push to dev: returns the pushed commit and when the push was done. */
function pushToDev(repo: Repo): { sha: string; at: number } {
    repo.tag++;
    git(["pull", "-q", "--rebase", "origin", "main"], repo.seed);
    fs.writeFileSync(
        path.join(repo.seed, "apps", "web", "dev", "values.yaml"),
        values("dev", `2.0.${repo.tag}`),
    );
    git(["commit", "-q", "-am", `dev 2.0.${repo.tag}`], repo.seed);
    git(["push", "-q", "origin", "main"], repo.seed);
    return { sha: git(["rev-parse", "HEAD"], repo.seed), at: performance.now() };
}

/** Waits until the branch has moved past `sha` (the promotion commit); ms since `at`. */
async function nextCommit(repo: Repo, sha: string, at: number, timeoutMs = 120_000): Promise<number> {
    for (;;) {
        if (tipOf(repo.bare) !== sha) {
            return performance.now() - at;
        }
        if (performance.now() - at > timeoutMs) {
            throw new Error(`no promotion commit after ${sha.slice(0, 12)} within ${timeoutMs / 1000} s`);
        }
        await sleep(10);
    }
}

/** A long-running process whose output lines are kept with the time they arrived. */
class Proc {
    readonly lines: { at: number; stream: string; text: string }[] = [];
    readonly child: ChildProcess;

    constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
        this.child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        for (const stream of ["stdout", "stderr"] as const) {
            let rest = "";
            this.child[stream]!.setEncoding("utf8").on("data", (d: string) => {
                const parts = (rest + d).split("\n");
                rest = parts.pop()!;
                for (const text of parts) {
                    this.lines.push({ at: performance.now(), stream, text });
                }
            });
        }
    }

    async waitFor(re: RegExp, from = 0, timeoutMs = 120_000): Promise<{ at: number; text: string }> {
        const started = performance.now();
        for (;;) {
            const hit = this.lines.slice(from).find((l) => re.test(l.text));
            if (hit) {
                return hit;
            }
            if (this.child.exitCode !== null) {
                throw new Error(
                    `exited ${this.child.exitCode}:\n${this.lines.map((l) => l.text).join("\n")}`,
                );
            }
            if (performance.now() - started > timeoutMs) {
                throw new Error(
                    `no line ${re} within ${timeoutMs / 1000} s:\n${this.lines.map((l) => l.text).join("\n")}`,
                );
            }
            await sleep(10);
        }
    }

    async stop(): Promise<void> {
        if (this.child.exitCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill("SIGTERM");
            await exited;
        }
    }
}

function cliEnv(dir: string): NodeJS.ProcessEnv {
    const pathDirs = (process.env.PATH ?? "").split(":").filter((d) => !d.includes("node_modules"));
    return {
        ...gitEnv,
        PATH: pathDirs.join(":"),
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
        PROMOTIONS_WEBHOOK_SECRET: secret,
        NO_COLOR: "1",
    };
}

/** A GitHub-style push delivery, signed with the webhook's secret. */
async function postPush(url: string, repo: Repo, before: string, after: string, n: number): Promise<void> {
    const body = JSON.stringify({
        ref: "refs/heads/main",
        before,
        after,
        repository: { full_name: "acme/gitops", clone_url: `file://${repo.bare}` },
        head_commit: { id: after },
    });
    const res = await fetch(url, {
        method: "POST",
        headers: {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": `bench-${n}`,
            "X-Hub-Signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
        },
        body,
    });
    if (res.status !== 202) {
        throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    }
}

/** Where a round's time went, from the process's own log lines (ms after the push). */
function phases(p: Proc, from: number, at: number, sha: string): string {
    return p.lines
        .slice(from)
        .filter((l) => l.stream === "stderr" || l.text.includes(sha.slice(0, 12)))
        .map((l) => `    +${((l.at - at) / 1000).toFixed(2)}s ${l.text.slice(0, 110)}`)
        .join("\n");
}

/** `promote serve` (a) or `promote watch --interval 1s` (b): latencies of `rounds` pushes after a warm-up. */
async function promoteRounds(root: string, mode: "webhook" | "watch", rounds: number): Promise<number[]> {
    const repo = makeRepo(path.join(root, mode));
    const config = writeConfig(repo);
    const base = ["--config", config, "--state", `file://${path.join(repo.dir, "state")}`];
    const p = new Proc(
        path.join(packageRoot, "bin", "promote"),
        mode === "webhook"
            ? [...base, "serve", "--port", "0", "--host", "127.0.0.1"]
            : [...base, "watch", "--interval", "1s"],
        cliEnv(repo.dir),
    );
    const out: number[] = [];
    try {
        let url = "";
        if (mode === "webhook") {
            url = `${/listening on (\S+)/.exec((await p.waitFor(/^listening on /)).text)![1]}/webhooks/github`;
            // The first delivery starts following the branch at its tip (nothing to release yet).
            await postPush(url, repo, tipOf(repo.bare), tipOf(repo.bare), 0);
        }
        await p.waitFor(/watching main from/);
        for (let round = 0; round <= rounds; round++) {
            // The push falls anywhere in the watcher's interval (as a developer's does), not right after a poll.
            await sleep(Math.random() * 1000);
            const from = p.lines.length;
            const before = tipOf(repo.bare);
            const { sha, at } = pushToDev(repo);
            if (mode === "webhook") {
                await postPush(url, repo, before, sha, round + 1);
            }
            const ms = await nextCommit(repo, sha, at);
            await p.waitFor(new RegExp(`${sha.slice(0, 12)} .*release \\S+ Succeeded`), from);
            if (round === 0) {
                continue; // the product's first release creates its stacks: not what is measured
            }
            out.push(ms);
            console.log(`  ${mode} round ${round}: ${(ms / 1000).toFixed(2)}s`);
            if (round === 1) {
                console.log(phases(p, from, at, sha));
            }
        }
    } finally {
        await p.stop();
    }
    return out;
}

/** The baseline: a shell loop that looks at the branch every second and promotes a new dev commit. */
async function shellRounds(root: string, rounds: number): Promise<number[]> {
    const repo = makeRepo(path.join(root, "shell"));
    const work = path.join(repo.dir, "work");
    git(["clone", "-q", repo.bare, work]);
    const script = [
        "set -e",
        'cd "$1"',
        "last=$(git ls-remote origin refs/heads/main | cut -f1)",
        "while :; do",
        "  sleep 1",
        "  tip=$(git ls-remote origin refs/heads/main | cut -f1)",
        '  [ "$tip" = "$last" ] && continue',
        "  git fetch -q origin main && git reset -q --hard FETCH_HEAD",
        "  tag=$(sed -n 's/.*tag: \"\\(.*\\)\"/\\1/p' apps/web/dev/values.yaml)",
        '  sed -i "s/tag: \\"[^\\"]*\\"/tag: \\"$tag\\"/" apps/web/prod/values.yaml',
        '  git commit -q -am "promote web $tag to prod"',
        "  git push -q origin HEAD:main",
        "  last=$(git rev-parse HEAD)",
        "done",
    ].join("\n");
    const p = new Proc("sh", ["-c", script, "sh", work], gitEnv);
    const out: number[] = [];
    try {
        await sleep(1500);
        for (let round = 1; round <= rounds; round++) {
            const { sha, at } = pushToDev(repo);
            const ms = await nextCommit(repo, sha, at, 30_000);
            out.push(ms);
            console.log(`  shell poller round ${round}: ${(ms / 1000).toFixed(2)}s`);
            await sleep(300 + Math.random() * 700); // the next push falls anywhere in the poller's second
        }
    } finally {
        await p.stop();
    }
    return out;
}

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-p7-"));
    try {
        const shell = median(await shellRounds(root, rounds));
        const webhook = median(await promoteRounds(root, "webhook", rounds));
        const watch = median(await promoteRounds(root, "watch", rounds));
        console.log(
            `\nP7: push to the first promotion commit (median of ${rounds}):\n` +
                `  webhook (promote serve) ${(webhook / 1000).toFixed(2)}s (goal 3 s)   ` +
                `promote watch --interval 1s ${(watch / 1000).toFixed(2)}s   shell poller at 1 s ${(shell / 1000).toFixed(2)}s   ` +
                `ratio webhook/shell ${(webhook / shell).toFixed(1)}x   load ${os
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
