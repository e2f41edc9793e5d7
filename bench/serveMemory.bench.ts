/**
 * Benchmark: the memory of `promote serve` (issue 27), idle and with 50 console clients. A real `promote serve`
 * process (the CLI's entry, a file:// state holding one release) is measured idle, then while 50 clients do
 * what the console's app.js does when opened: read the dashboard (the products, each product's environments
 * and holds, the releases) and keep its live event stream (`EventSource` on /api/v1/events) open. The figure
 * is the process's resident memory (VmRSS), the median of samples taken once a second over 10 s, idle and
 * loaded, in the same run; printed with the ratio loaded / idle and the cost per client.
 *
 *   node dist/bench/serveMemory.bench.js [clients]     (default: 50)
 */
import type { ChildProcess } from "child_process";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { packageRoot } from "../engine/pulumi/engineLocator";
import { git, median, writeWebToProdConfig } from "./support";

const CLIENTS = Number(process.argv[2] ?? 50);
const SAMPLES = 10;

/** A GitOps repository with web in dev (2.0.0) and prod (1.0.0). */
function makeRepo(dir: string): string {
    const bare = path.join(dir, "gitops.git");
    const seed = path.join(dir, "seed");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    git(["clone", "-q", bare, seed]);
    git(["checkout", "-q", "-b", "main"], seed);
    for (const [env, tag] of [
        ["dev", "2.0.0"],
        ["prod", "1.0.0"],
    ]) {
        const file = path.join(seed, "apps", "web", env, "values.yaml");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `image:\n  repository: ghcr.io/acme/web\n  tag: "${tag}"\n`);
    }
    git(["add", "-A"], seed);
    git(["commit", "-q", "-m", "seed"], seed);
    git(["push", "-q", "origin", "main"], seed);
    return bare;
}

/** Only what the CLI needs: PATH (without node_modules), HOME, a git identity, the state's passphrase. */
function cliEnv(dir: string): NodeJS.ProcessEnv {
    return {
        PATH: (process.env.PATH ?? "")
            .split(":")
            .filter((d) => !d.includes("node_modules"))
            .join(":"),
        HOME: process.env.HOME ?? os.homedir(),
        GIT_AUTHOR_NAME: "b",
        GIT_AUTHOR_EMAIL: "b@x",
        GIT_COMMITTER_NAME: "b",
        GIT_COMMITTER_EMAIL: "b@x",
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
        NO_COLOR: "1",
    };
}

/** The CLI's entry under this node, as bin/promote runs it; collects its output. */
function promote(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, [path.join(packageRoot, "dist", "cli", "main.js"), ...args], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
}

async function waitForLine(p: ReturnType<typeof promote>, re: RegExp): Promise<RegExpExecArray> {
    const deadline = Date.now() + 120_000;
    for (;;) {
        const m = re.exec(p.output());
        if (m) {
            return m;
        }
        if (p.child.exitCode !== null || Date.now() > deadline) {
            throw new Error(`no ${re} from promote (exit ${p.child.exitCode}):\n${p.output()}`);
        }
        await sleep(50);
    }
}

const rssOf = (pid: number) =>
    Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** The median resident memory over {@link SAMPLES} samples, one a second. */
async function rssMedian(pid: number): Promise<number> {
    const xs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
        await sleep(1000);
        xs.push(rssOf(pid));
    }
    return median(xs);
}

/** GET a JSON path over the client's own kept-alive agent; rejects unless 200. */
function getJson(agent: http.Agent, base: string, p: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
        http.get(`${base}${p}`, { agent }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () =>
                res.statusCode === 200
                    ? resolve(JSON.parse(body))
                    : reject(new Error(`GET ${p}: ${res.statusCode} ${body}`)),
            );
        }).on("error", reject);
    });
}

/**
 * One console tab: the dashboard's reads, then the live event stream, kept open (as `EventSource` does) until
 * `close`. Resolves once the stream is open.
 */
async function consoleClient(base: string): Promise<{ close: () => void }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    const products = (await getJson(agent, base, "/api/v1/products")) as { name: string }[];
    await Promise.all([
        ...products.map((p) => getJson(agent, base, `/api/v1/products/${p.name}/environments`)),
        ...products.map((p) => getJson(agent, base, `/api/v1/products/${p.name}/holds`)),
        getJson(agent, base, "/api/v1/releases?limit=20"),
    ]);
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(
            `${base}/api/v1/events`,
            { agent: false, headers: { Accept: "text/event-stream" } },
            resolve,
        ).on("error", reject);
    });
    if (stream.statusCode !== 200) {
        throw new Error(`GET /api/v1/events: ${stream.statusCode}`);
    }
    stream.resume();
    return {
        close: () => {
            stream.destroy();
            agent.destroy();
        },
    };
}

async function main(): Promise<void> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "serve-memory-"));
    const env = cliEnv(root);
    const config = writeWebToProdConfig(root, `file://${makeRepo(root)}`);
    const base = ["--config", config, "--state", `file://${path.join(root, "state")}`];

    // One release, so that the console reads a real record.
    const seeded = promote(
        [...base, "promote", "--product", "web", "--from", "dev", "--to", "prod", "--json"],
        env,
    );
    await new Promise((resolve) => seeded.child.once("close", resolve));
    if (seeded.child.exitCode !== 0) {
        throw new Error(`the seed release failed (exit ${seeded.child.exitCode}):\n${seeded.output()}`);
    }

    const serve = promote([...base, "serve", "--port", "0", "--host", "127.0.0.1"], env);
    const clients: { close: () => void }[] = [];
    try {
        const url = (await waitForLine(serve, /listening on (http:\S+)/))[1];
        const pid = serve.child.pid!;
        // Idle: started, its start-up reads done, nobody connected.
        const idle = await rssMedian(pid);

        for (let i = 0; i < CLIENTS; i += 10) {
            clients.push(...(await Promise.all(Array.from({ length: 10 }, () => consoleClient(url)))));
        }
        // The streams poll the records every 3 s while anyone listens: a few rounds of that.
        const loaded = await rssMedian(pid);
        console.log(
            `serve memory (RSS, median of ${SAMPLES} samples): idle ${mib(idle)}; ` +
                `with ${CLIENTS} console clients (dashboard read, event stream open) ${mib(loaded)}: ` +
                `${(loaded / idle).toFixed(2)}× idle, ${((loaded - idle) / CLIENTS / 1024).toFixed(0)} KiB per client`,
        );
    } finally {
        clients.forEach((c) => c.close());
        serve.child.kill("SIGTERM");
        await new Promise((resolve) => serve.child.once("close", resolve));
        fs.rmSync(root, { recursive: true, force: true });
    }
}

main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
});
