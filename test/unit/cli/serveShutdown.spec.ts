import * as assert from "assert";
import * as http from "node:http";
import { RunningHere, ServeShutdown } from "../../../cli/commands/serveShutdown";
import { buildCatalog } from "../../../components/catalog";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { Health } from "../../../server/health";
import { PromotionsServer } from "../../../server/server";
import { MemoryEngine } from "../../support/memoryEngine";
import { scenarioDefinitions } from "../../support/scenario";

const catalog = buildCatalog(
    scenarioDefinitions({
        product: "web",
        repoURL: "file:///nowhere",
        environments: [{ name: "dev" }, { name: "qa" }],
        flows: [
            { name: "seq", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
        ],
    }),
).catalog;

/** GET on a fresh connection; resolves with the status and body, or rejects (connection refused). */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
    });
}

describe("promote serve on SIGTERM: the server's part", function () {
    this.timeout(30_000);

    it("/readyz fails with 'shutting down'; then no new connection, the event streams end, and it resolves", async () => {
        let checked = 0;
        const health = new Health({
            checks: [{ name: "state backend", check: async () => (checked++, "ok") }],
        });
        const engine = new MemoryEngine(catalog, "shutdown-spec-secret-0123456789");
        const server = new PromotionsServer({ catalog, engine, csrfToken: "c".repeat(32), health });
        const port = Number(new URL(await server.listen(0, "127.0.0.1")).port);
        try {
            assert.strictEqual((await get(port, "/readyz")).status, 200);
            const runs = checked;

            // An event stream open before the stop (the console's live view).
            const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
                http.get({ host: "127.0.0.1", port, path: "/api/v1/events", agent: false }, resolve).on(
                    "error",
                    reject,
                );
            });
            assert.strictEqual(stream.statusCode, 200);
            const streamEnded = new Promise<void>((resolve) => {
                stream.on("close", resolve);
                stream.resume();
            });

            health.shuttingDown();
            const ready = await get(port, "/readyz");
            assert.strictEqual(ready.status, 503);
            assert.deepStrictEqual((JSON.parse(ready.body) as { checks: unknown }).checks, [
                { name: "shutdown", ok: false, detail: "shutting down" },
            ]);
            assert.strictEqual(checked, runs, "a server shutting down does not run its checks");

            const closed = server.stopAccepting();
            await streamEnded;
            await closed;
            await assert.rejects(get(port, "/healthz"), /ECONNREFUSED/);
        } finally {
            await server.close();
        }
    });

    it("a request under way when it stops accepting is answered in full", async () => {
        let answer!: (detail: string) => void;
        const slow = new Promise<string>((r) => (answer = r));
        const health = new Health({
            timeoutMs: 20_000,
            checks: [{ name: "state backend", check: () => slow }],
        });
        const engine = new MemoryEngine(catalog, "shutdown-spec-secret-0123456789");
        const server = new PromotionsServer({ catalog, engine, csrfToken: "c".repeat(32), health });
        const port = Number(new URL(await server.listen(0, "127.0.0.1")).port);
        try {
            const probe = get(port, "/readyz");
            // The request has reached the server once its check runs.
            while ((await server.openConnections()) === 0) {
                await new Promise((r) => setTimeout(r, 10));
            }
            let closed = false;
            const stopped = server.stopAccepting().then(() => (closed = true));
            await assert.rejects(get(port, "/healthz"), /ECONNREFUSED/);
            assert.strictEqual(closed, false, "the connection under way keeps the server open");
            answer("answers");
            const r = await probe;
            assert.strictEqual(r.status, 200);
            assert.match(r.body, /answers/);
            await stopped;
        } finally {
            await server.close();
        }
    });
});

describe("promote serve on SIGTERM: the order of the stop", () => {
    const release = (id: string, status: ReleaseRecord["status"], owner = true) =>
        ({
            type: "release",
            release: { id, status, ...(owner ? { owner: { host: "h", pid: 1 } } : {}) },
        }) as never;

    function parts(work: Promise<unknown>, graceMs: number) {
        const steps: string[] = [];
        const drain = new AbortController();
        drain.signal.addEventListener("abort", () => steps.push("drain"));
        const exits: number[] = [];
        return {
            steps,
            exits,
            drain,
            parts: {
                health: { shuttingDown: () => steps.push("not ready") },
                server: {
                    stopAccepting: async () => void steps.push("stop accepting"),
                    close: async () => void steps.push("close"),
                },
                drain,
                work: () => [work.then(() => steps.push("work done"))],
                graceMs,
                log: (line: string) => steps.push(`log: ${line}`),
                exit: (code: number) => void exits.push(code),
            },
        };
    }

    it("fails readiness first, drains, waits for the work under way, and returns without exiting", async () => {
        let finish!: () => void;
        const p = parts(new Promise<void>((r) => (finish = r)), 60_000);
        const shutdown = new ServeShutdown(p.parts, new RunningHere());
        const done = shutdown.begin();
        assert.strictEqual(shutdown.begin(), done, "one shutdown, however many signals");
        assert.deepStrictEqual(p.steps.slice(1), ["not ready", "drain", "stop accepting"]);
        finish();
        assert.strictEqual(await done, "drained");
        assert.deepStrictEqual(p.steps.slice(4), [
            "work done",
            "close",
            "log: shut down: nothing left running here",
        ]);
        assert.deepStrictEqual(p.exits, []);
    });

    it("when the grace period ends first, exits (code 1) naming the releases still running here", async () => {
        const running = new RunningHere();
        running.progress(release("r-gate", "Running"));
        running.progress(release("r-parked", "Running"));
        running.progress(release("r-parked", "Suspended", false)); // handed over: no owner
        running.progress(release("r-done", "Running"));
        running.progress(release("r-done", "Succeeded"));
        const p = parts(new Promise<void>(() => undefined), 20);
        assert.strictEqual(await new ServeShutdown(p.parts, running).begin(), "grace over");
        assert.deepStrictEqual(p.exits, [1]);
        const last = p.steps[p.steps.length - 1];
        assert.match(
            last,
            /grace period \(0s, --shutdown-grace\) over: exiting with release r-gate still running here/,
        );
        assert.match(last, /'promote retry ID'/);
    });
});
