import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import type { ServerLimits } from "../../../server/limits";
import { PromotionsServer } from "../../../server/server";
import { MemoryEngine } from "../../support/memoryEngine";
import { openFds, RawConnection, waitUntil } from "../../support/rawClient";
import { scenarioDefinitions } from "../../support/scenario";

const secret = "limits-spec-secret-value-0123456789";
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

/** A loopback `serve` server over the memory engine, with these limits. */
async function start(limits: Partial<ServerLimits>): Promise<{ server: PromotionsServer; port: number }> {
    const engine = new MemoryEngine(catalog, secret);
    const server = new PromotionsServer({ catalog, engine, csrfToken: "c".repeat(32), limits });
    engine.onProgress = server.progress;
    const url = await server.listen(0, "127.0.0.1");
    return { server, port: Number(new URL(url).port) };
}

const head = (method: string, path: string, extra: string) =>
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}\r\n`;

describe("promote serve: slow, stalled and oversized requests (issue 23, items 5 and 6)", function () {
    this.timeout(120_000);
    const servers: PromotionsServer[] = [];
    const clients: RawConnection[] = [];

    async function serve(limits: Partial<ServerLimits>) {
        const s = await start(limits);
        servers.push(s.server);
        return s;
    }
    async function connect(port: number): Promise<RawConnection> {
        const c = new RawConnection(port);
        clients.push(c);
        return c.connected();
    }

    afterEach(async () => {
        clients.splice(0).forEach((c) => c.destroy());
        await Promise.all(servers.splice(0).map((s) => s.close()));
    });

    it("answers 200 stalled bodies with 408 and closes them: no socket or descriptor is left", async () => {
        const { server, port } = await serve({ requestTimeoutMs: 1_000 });
        const fdsBefore = openFds();
        const stalled = await Promise.all(Array.from({ length: 200 }, () => connect(port)));
        for (const c of stalled) {
            // Declares 1,000 bytes, sends 3, and sends nothing more (no credentials either: loopback).
            await c.write(head("POST", "/api/v1/releases", "Content-Length: 1000\r\n") + '{"p');
        }
        assert.ok(
            await waitUntil(() => stalled.every((c) => c.closed), 30_000),
            "stalled requests still open",
        );
        assert.deepStrictEqual([...new Set(stalled.map((c) => c.status))], [408]);
        assert.match(
            stalled[0].received,
            /request body not complete within 1 s of its headers \(3 bytes arrived\)/,
        );
        assert.strictEqual(await server.openConnections(), 0);
        assert.ok(
            await waitUntil(() => openFds() <= fdsBefore, 10_000),
            `${openFds()} descriptors open, ${fdsBefore} before`,
        );
        // The server goes on answering.
        const next = await connect(port);
        await next.write(head("GET", "/api/v1/products", "Connection: close\r\n"));
        await next.ended;
        assert.strictEqual(next.status, 200);
    });

    it("refuses a chunked body at the limit while it is still being sent, and a declared one before any byte", async () => {
        const { server, port } = await serve({ maxBodyBytes: 64 * 1024 });
        const chunked = await connect(port);
        await chunked.write(head("POST", "/api/v1/releases", "Transfer-Encoding: chunked\r\n"));
        const chunk = Buffer.alloc(16 * 1024, "a");
        const frame = Buffer.concat([
            Buffer.from(`${chunk.length.toString(16)}\r\n`),
            chunk,
            Buffer.from("\r\n"),
        ]);
        const most = 64 * 1024 * 1024;
        let sent = 0;
        // Sends until answered or 64 MiB are out: an answer while the body is unfinished is the point.
        while (sent < most && chunked.status === undefined && (await chunked.write(frame))) {
            sent += chunk.length;
        }
        assert.ok(await waitUntil(() => chunked.status !== undefined, 10_000), "no answer");
        assert.strictEqual(chunked.status, 413, chunked.received);
        assert.ok(sent < most, `answered only after the whole ${sent} bytes were sent`);
        assert.match(chunked.received, /request body refused at \d+ bytes: at most 65536/);
        assert.ok(await waitUntil(() => chunked.closed, 10_000), "the refused connection stays open");

        const declared = await connect(port);
        await declared.write(head("POST", "/api/v1/releases", "Content-Length: 600000000\r\n"));
        assert.ok(await waitUntil(() => declared.closed, 10_000), "the refused connection stays open");
        assert.strictEqual(declared.status, 413);
        assert.match(declared.received, /request body of 600000000 bytes refused: at most 65536/);
        assert.strictEqual(await server.openConnections(), 0);
    });

    it("keeps an event stream open past the request timeout, and it still gets events", async () => {
        const { port } = await serve({ requestTimeoutMs: 500 });
        const stream = await connect(port);
        await stream.write(head("GET", "/api/v1/events", ""));
        assert.ok(await waitUntil(() => stream.received.includes(": connected"), 10_000), stream.received);
        // Several request timeouts and Node's checks of them go by.
        await new Promise((r) => setTimeout(r, 2_500));
        assert.strictEqual(stream.closed, false);
        const started = await fetch(`http://127.0.0.1:${port}/api/v1/releases`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ product: "web", flow: "seq" }),
        });
        assert.strictEqual(started.status, 202, await started.text());
        assert.ok(await waitUntil(() => /event: release/.test(stream.received), 10_000), stream.received);
        assert.strictEqual(stream.closed, false);
    });

    it("keeps an event stream open past the idle timeout: its keep-alive comments are activity", async () => {
        // 16 s: just over the stream's 15 s keep-alive (serve itself takes at least 30 s).
        const { server, port } = await serve({ idleTimeoutMs: 16_000 });
        const stream = await connect(port);
        await stream.write(head("GET", "/api/v1/events", ""));
        assert.ok(await waitUntil(() => stream.received.includes(": connected"), 10_000), stream.received);
        assert.ok(await waitUntil(() => /\n: keep-alive\n/.test(stream.received), 20_000), stream.received);
        await new Promise((r) => setTimeout(r, 3_000));
        assert.strictEqual(stream.closed, false);
        assert.strictEqual(await server.openConnections(), 1);
    });

    it("answers HEAD of the event stream without leaving its subscription behind", async () => {
        const { server, port } = await serve({});
        const heads = await Promise.all(Array.from({ length: 50 }, () => connect(port)));
        for (const c of heads) {
            await c.write(head("HEAD", "/api/v1/events", "Connection: close\r\n"));
        }
        assert.ok(await waitUntil(() => heads.every((c) => c.closed), 10_000), "HEAD requests unanswered");
        assert.deepStrictEqual([...new Set(heads.map((c) => c.status))], [200]);
        assert.match(heads[0].received, /content-type: text\/event-stream/i);
        // Subscriptions are released as the answers go (the check is bounded, not timed).
        assert.ok(
            await waitUntil(() => server.api.events.listening === 0, 5_000),
            `${server.api.events.listening} listen`,
        );
        const stream = await connect(port);
        await stream.write(head("GET", "/api/v1/events", ""));
        assert.ok(
            await waitUntil(() => server.api.events.listening === 1, 5_000),
            "the stream does not listen",
        );
    });

    it("closes connections beyond the cap as they arrive, and takes new ones once others closed", async () => {
        const { server, port } = await serve({ maxConnections: 10, requestTimeoutMs: 1_000 });
        const held = await Promise.all(Array.from({ length: 10 }, () => connect(port)));
        // Headers that never end.
        await Promise.all(held.map((c) => c.write("GET /api/v1/products HTTP/1.1\r\nHost: 127")));
        assert.ok(await waitUntil(async () => (await server.openConnections()) === 10, 10_000));
        const over = new RawConnection(port);
        clients.push(over);
        await over.write(head("GET", "/api/v1/products", ""));
        assert.ok(await waitUntil(() => over.closed, 10_000), "a connection over the cap was kept");
        assert.strictEqual(over.received, "");
        // The held ones time out (headers too slow), and room is made.
        assert.ok(await waitUntil(() => held.every((c) => c.closed), 30_000), "stalled headers still open");
        const next = await connect(port);
        await next.write(head("GET", "/api/v1/products", "Connection: close\r\n"));
        await next.ended;
        assert.strictEqual(next.status, 200);
    });

    it("answers request targets a URL parser refuses (`//`, `//[`) instead of ending the process", async () => {
        const { port } = await serve({});
        for (const target of ["//", "//[", "//webhooks/github", "/webhooks/github?x#y"]) {
            const c = await connect(port);
            await c.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
            await c.ended;
            assert.ok([400, 404].includes(c.status ?? 0), `${target}: ${c.received}`);
        }
    });

    it("closes a connection that says nothing once it has been idle for the idle timeout", async () => {
        const { server, port } = await serve({ idleTimeoutMs: 1_000 });
        const silent = await connect(port);
        assert.ok(await waitUntil(() => silent.closed, 20_000), "a silent connection is kept open");
        assert.strictEqual(silent.received, "");
        assert.strictEqual(await server.openConnections(), 0);
    });
});
