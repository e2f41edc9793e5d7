/**
 * Benchmark: `promote serve` under load (issue 23). A real `promote serve` process (the CLI's entry, a file://
 * state with one release in it) gets 2,000 event-stream clients, 1,000 slow or stalled connections (bodies that
 * stop after 3 of 1,000 bytes, headers that dribble, connections that say nothing, clients that stop reading an
 * answer) and normal API traffic, all at once on loopback. The API's 99th-percentile latency under that load is
 * compared with its figure unloaded, measured in the same run (goal: within 3×). Afterwards, once every load
 * connection is gone, the server's file descriptors must be back where they started, and its heap after garbage
 * collection (forced through the inspector) within 10% of where it started.
 *
 *   npm run bench            (or: node dist/bench/serverLoad.bench.js [requests])
 */
import type { ChildProcess } from "child_process";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { packageRoot } from "../engine/pulumi/engineLocator";
import { RawConnection, waitUntil } from "../test/support/rawClient";
import { git, gitEnv, median, writeWebToProdConfig } from "./support";

const STREAMS = 2000;
const SLOW = 1000;
const REQUESTS = Number(process.argv[2] ?? 1000);
/** Rounds of REQUESTS each, unloaded and loaded: the figure is the median of the rounds' p99 (the machine is shared). */
const ROUNDS = 10;
const CONCURRENCY = 4;
const secret = "bench-webhook-secret-value";

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

/** The CLI's entry under this node, as bin/promote runs it; `inspect` adds the inspector on a free port. */
function promote(args: string[], env: NodeJS.ProcessEnv, inspect = false): ChildProcess {
    return spawn(
        process.execPath,
        [
            ...(inspect ? ["--inspect=127.0.0.1:0"] : []),
            path.join(packageRoot, "dist", "cli", "main.js"),
            ...args,
        ],
        { env, stdio: ["ignore", "pipe", "pipe"] },
    );
}

/** Waits until the process printed a line matching `re` (bounded); returns the match. */
async function waitForLine(child: ChildProcess, output: () => string, re: RegExp): Promise<RegExpExecArray> {
    const deadline = Date.now() + 120_000;
    for (;;) {
        const m = re.exec(output());
        if (m) {
            return m;
        }
        if (child.exitCode !== null || Date.now() > deadline) {
            throw new Error(`no ${re} from promote (exit ${child.exitCode}):\n${output()}`);
        }
        await sleep(50);
    }
}

/** The Chrome DevTools protocol over the inspector's WebSocket: one call at a time. */
class Inspector {
    private next = 1;
    private readonly pending = new Map<number, (result: unknown) => void>();

    private constructor(private readonly ws: WebSocket) {
        ws.addEventListener("message", (e: MessageEvent) => {
            const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
            if (msg.id !== undefined) {
                this.pending.get(msg.id)?.(msg.result);
                this.pending.delete(msg.id);
            }
        });
    }

    static async open(url: string): Promise<Inspector> {
        const ws = new WebSocket(url);
        await new Promise((resolve, reject) => {
            ws.addEventListener("open", resolve);
            ws.addEventListener("error", reject);
        });
        return new Inspector(ws);
    }

    call(method: string, params: object = {}): Promise<unknown> {
        const id = this.next++;
        return new Promise((resolve) => {
            this.pending.set(id, resolve);
            this.ws.send(JSON.stringify({ id, method, params }));
        });
    }

    /** The heap in use after a full garbage collection (bytes). */
    async heapAfterGc(): Promise<number> {
        await this.call("HeapProfiler.collectGarbage");
        await this.call("HeapProfiler.collectGarbage");
        const r = (await this.call("Runtime.evaluate", {
            expression: "process.memoryUsage().heapUsed",
            returnByValue: true,
        })) as { result: { value: number } };
        return r.result.value;
    }

    close(): void {
        this.ws.close();
    }
}

const fdsOf = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;
const rssOf = (pid: number) =>
    Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const percentile = (xs: readonly number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** Normal traffic: `count` API reads, `CONCURRENCY` at a time over kept-alive connections; each one's ms. */
async function traffic(base: string, count: number, releaseId: string): Promise<number[]> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const paths = [
        "/api/v1/products",
        "/api/v1/products/web",
        "/api/v1/releases?product=web",
        `/api/v1/releases/${releaseId}`,
    ];
    const times: number[] = [];
    let next = 0;
    const one = (p: string) =>
        new Promise<void>((resolve, reject) => {
            const started = performance.now();
            http.get(`${base}${p}`, { agent }, (res) => {
                res.resume();
                res.on("end", () => {
                    if (res.statusCode !== 200) {
                        reject(new Error(`GET ${p}: ${res.statusCode}`));
                        return;
                    }
                    times.push(performance.now() - started);
                    resolve();
                });
            }).on("error", reject);
        });
    await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
            while (next < count) {
                await one(paths[next++ % paths.length]);
            }
        }),
    );
    agent.destroy();
    return times;
}

/** Opens `n` raw connections in batches (the listen backlog is finite), each started by `start`. */
async function openMany(
    port: number,
    n: number,
    start: (c: RawConnection, i: number) => Promise<void>,
): Promise<RawConnection[]> {
    const out: RawConnection[] = [];
    for (let i = 0; i < n; i += 200) {
        const batch = await Promise.all(
            Array.from({ length: Math.min(200, n - i) }, async (_, j) => {
                const c = await new RawConnection(port).connected();
                await start(c, i + j);
                return c;
            }),
        );
        out.push(...batch);
    }
    return out;
}

const get = (p: string) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

/**
 * `n` slow or stalled clients, a quarter of each kind: a body that stops after 3 of 1,000 bytes, headers that
 * dribble a byte every 2 s, a connection that says nothing, a kept-alive client that asks for the product list
 * every 3 s. A connection the server closes is replaced while the load is on.
 */
class SlowClients {
    private readonly live = new Set<RawConnection>();
    private on = true;
    private readonly timer: NodeJS.Timeout;
    closedByServer = 0;

    constructor(
        private readonly port: number,
        private readonly all: RawConnection[],
    ) {
        let tick = 0;
        this.timer = setInterval(() => {
            tick++;
            for (const c of this.live) {
                const kind = (c as RawConnection & { kind?: number }).kind;
                if (kind === 1 && tick % 2 === 0) {
                    void c.write("s");
                } else if (kind === 3 && tick % 3 === 0) {
                    void c.write(get("/api/v1/products"));
                }
            }
        }, 1_000);
    }

    async open(n: number): Promise<void> {
        for (let i = 0; i < n; i += 200) {
            await Promise.all(
                Array.from({ length: Math.min(200, n - i) }, (_, j) => this.start((i + j) % 4)),
            );
        }
    }

    private async start(kind: number): Promise<void> {
        const c = Object.assign(new RawConnection(this.port), { kind });
        this.all.push(c);
        this.live.add(c);
        void c.ended.then(() => {
            this.live.delete(c);
            if (this.on) {
                this.closedByServer++;
                void this.start(kind);
            }
        });
        await c.connected();
        switch (kind) {
            case 0:
                await c.write(
                    "POST /api/v1/releases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                        'Content-Length: 1000\r\n\r\n{"p',
                );
                break;
            case 1:
                await c.write("GET /api/v1/products HTTP/1.1\r\nHo");
                break;
            case 3:
                await c.write(get("/api/v1/products"));
                break;
        }
    }

    /** Stops replacing closed connections; how many are open. */
    stop(): number {
        this.on = false;
        clearInterval(this.timer);
        return this.live.size;
    }
}

async function main(): Promise<void> {
    const needed = STREAMS + SLOW + 200;
    const limit = Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"))?.[1]);
    if (limit < needed) {
        throw new Error(
            `this bench needs ${needed} open files; the limit is ${limit} (raise it: ulimit -n ${needed})`,
        );
    }
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "serve-load-"));
    const env = cliEnv(root);
    const bare = makeRepo(root);
    const config = writeWebToProdConfig(root, `file://${bare}`);
    const base = ["--config", config, "--state", `file://${path.join(root, "state")}`];

    // One release, so that the API reads a real record.
    const released = promote(
        [...base, "promote", "--product", "web", "--from", "dev", "--to", "prod", "--json"],
        env,
    );
    let releaseOut = "";
    released.stdout!.on("data", (d: Buffer) => (releaseOut += d.toString()));
    released.stderr!.on("data", (d: Buffer) => (releaseOut += d.toString()));
    await new Promise((resolve) => released.once("close", resolve));
    const releaseId = /"id":\s*"([^"]+)"/.exec(releaseOut)?.[1];
    if (released.exitCode !== 0 || !releaseId) {
        throw new Error(`the seed release failed (exit ${released.exitCode}):\n${releaseOut}`);
    }

    const serve = promote([...base, "serve", "--port", "0", "--host", "127.0.0.1"], env, true);
    let out = "";
    serve.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    serve.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const load: RawConnection[] = [];
    let inspector: Inspector | undefined;
    try {
        const url = (await waitForLine(serve, () => out, /listening on (http:\S+)/))[1];
        const port = Number(new URL(url).port);
        inspector = await Inspector.open((await waitForLine(serve, () => out, /(ws:\/\/\S+)/))[1]);
        const pid = serve.pid!;

        await traffic(url, 2000, releaseId); // warm-up
        const unloaded: number[][] = [];
        for (let r = 0; r < ROUNDS; r++) {
            unloaded.push(await traffic(url, REQUESTS, releaseId));
        }
        // Kept-alive connections of the traffic close on both sides.
        await sleep(300);
        const fds0 = fdsOf(pid);
        const heap0 = await inspector.heapAfterGc();
        const rss0 = rssOf(pid);

        const loadStarted = performance.now();
        const streams = await openMany(port, STREAMS, (c) =>
            c.write(get("/api/v1/events")).then(() => undefined),
        );
        load.push(...streams);
        // Slow and stalled clients, a quarter of each kind; one the server closes (a timeout) comes back at once,
        // so the load holds while the traffic is measured.
        const slow = new SlowClients(port, load);
        await slow.open(SLOW);
        const connected = await waitUntil(
            () => streams.every((s) => s.received.includes(": connected")),
            60_000,
        );
        // Every load connection accepted (a descriptor each) before the traffic is measured.
        await waitUntil(() => fdsOf(pid) >= fds0 + STREAMS + SLOW, 10_000);
        const openedMs = performance.now() - loadStarted;
        const fdsLoaded = fdsOf(pid);
        const rssLoaded = rssOf(pid);
        const loaded: number[][] = [];
        // At least ROUNDS rounds, and on until the stalled clients' timeouts (20 s, 30 s) have fired and they
        // came back: the server closes and accepts connections while it answers (at most 200 rounds).
        while (loaded.length < ROUNDS || (performance.now() - loadStarted < 40_000 && loaded.length < 200)) {
            loaded.push(await traffic(url, REQUESTS, releaseId));
        }
        const slowOpen = slow.stop();
        const streamsOpen = streams.filter((s) => !s.closed).length;

        load.splice(0).forEach((c) => c.destroy());
        const back = await waitUntil(() => fdsOf(pid) <= fds0, 60_000);
        const fds1 = fdsOf(pid);
        const heap1 = await inspector.heapAfterGc();

        const p99u = median(unloaded.map((t) => percentile(t, 99)));
        const p99l = median(loaded.map((t) => percentile(t, 99)));
        const p50u = median(unloaded.map((t) => percentile(t, 50)));
        const p50l = median(loaded.map((t) => percentile(t, 50)));
        const ratio = p99l / p99u;
        console.log(
            `promote serve under load: ${STREAMS} event streams, ${SLOW} slow or stalled connections, ` +
                `rounds of ${REQUESTS} API reads ${CONCURRENCY} at a time`,
        );
        console.log(
            `  load opened in ${(openedMs / 1000).toFixed(1)} s; ${connected ? "every" : "NOT every"} stream connected; ` +
                `server fds ${fds0} → ${fdsLoaded}, RSS ${mib(rss0)} → ${mib(rssLoaded)}`,
        );
        console.log(
            `  API latency (medians of the rounds' figures) unloaded (${unloaded.length} rounds): p50 ${p50u.toFixed(1)} ms, ` +
                `p99 ${p99u.toFixed(1)} ms; loaded (${loaded.length} rounds): p50 ${p50l.toFixed(1)} ms, p99 ${p99l.toFixed(1)} ms: ` +
                `${ratio.toFixed(2)}× (goal 3×) ${ratio <= 3 ? "met" : "MISSED"}`,
        );
        console.log(
            `  when the traffic ended: ${streamsOpen}/${STREAMS} streams open, ${slowOpen} slow connections open; ` +
                `the server had closed ${slow.closedByServer} slow connections (timeouts), each replaced at once`,
        );
        console.log(
            `  afterwards: fds ${fds1} (started at ${fds0}) ${back ? "back" : "NOT back"}; heap after GC ` +
                `${mib(heap1)} (started at ${mib(heap0)}): ${((heap1 / heap0 - 1) * 100).toFixed(1)}% ` +
                `(goal within 10%) ${heap1 <= heap0 * 1.1 ? "met" : "MISSED"}`,
        );
        if (!connected || !back || ratio > 3 || heap1 > heap0 * 1.1) {
            process.exitCode = 1;
        }
    } finally {
        load.forEach((c) => c.destroy());
        inspector?.close();
        if (serve.exitCode === null) {
            const exited = new Promise((resolve) => serve.once("exit", resolve));
            serve.kill("SIGTERM");
            await exited;
        }
        fs.rmSync(root, { recursive: true, force: true });
    }
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
