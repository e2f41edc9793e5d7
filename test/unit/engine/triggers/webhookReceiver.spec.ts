import * as assert from "assert";
import { createHmac } from "crypto";
import * as http from "http";
import type { AddressInfo, Socket } from "net";
import { GitHubWebhookReceiver, webhookPath } from "../../../../engine/triggers/webhookReceiver";
import { EnvironmentError, InvalidInputError } from "../../../../model/errors";

const secret = "s3cret";
const sign = (body: string | Buffer) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Sent {
    readonly status?: number;
    readonly body: string;
    readonly error?: string;
}

/** Sends one request; a refused upload may end in an error after the answer (the server closed). */
function send(
    port: number,
    headers: http.OutgoingHttpHeaders,
    body: (req: http.ClientRequest) => void,
    path = webhookPath,
): Promise<Sent> {
    return new Promise((resolve) => {
        let status: number | undefined;
        let text = "";
        const req = http.request({ host: "127.0.0.1", port, path, method: "POST", headers, agent: false });
        req.on("response", (res) => {
            status = res.statusCode;
            res.on("data", (d: Buffer) => (text += d.toString()));
            res.on("end", () => resolve({ status, body: text }));
            res.on("error", () => resolve({ status, body: text }));
        });
        req.on("error", (e) => resolve({ status, body: text, error: e.message }));
        body(req);
    });
}

/** A server of our own around the receiver's handler, counting the bytes each connection read. */
async function start(opts: Partial<ConstructorParameters<typeof GitHubWebhookReceiver>[0]> = {}) {
    const pushes: string[] = [];
    const log: string[] = [];
    const receiver = new GitHubWebhookReceiver({
        secret,
        onPush: (d) => pushes.push(d),
        log: (l) => log.push(l),
        ...opts,
    });
    const sockets: Socket[] = [];
    const server = http.createServer(receiver.handle);
    server.on("connection", (s: Socket) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const bytesRead = () => sockets.reduce((n, s) => n + s.bytesRead, 0);
    const stop = () =>
        new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
        });
    return { port, pushes, log, bytesRead, stop };
}

const json = (body: string, extra: http.OutgoingHttpHeaders = {}) => ({
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    ...extra,
});

describe("GitHubWebhookReceiver", () => {
    it("accepts a signed push (202, onPush with the delivery id), answers ping and ignores other events", async () => {
        const s = await start();
        try {
            const body = JSON.stringify({ ref: "refs/heads/main" });
            const headers = (event: string, delivery: string) =>
                json(body, {
                    "X-GitHub-Event": event,
                    "X-GitHub-Delivery": delivery,
                    "X-Hub-Signature-256": sign(body),
                });
            const push = await send(s.port, headers("push", "d-1"), (r) => r.end(body));
            assert.strictEqual(push.status, 202);
            assert.deepStrictEqual(s.pushes, ["d-1"]);
            assert.strictEqual((await send(s.port, headers("ping", "d-2"), (r) => r.end(body))).status, 200);
            assert.strictEqual(
                (await send(s.port, headers("issues", "d-3"), (r) => r.end(body))).status,
                204,
            );
            assert.deepStrictEqual(s.pushes, ["d-1"]);
        } finally {
            await s.stop();
        }
    });

    it("refuses a bad signature (401) and logs the delivery id, never the payload", async () => {
        const s = await start();
        try {
            const body = JSON.stringify({ marker: "SECRET-PAYLOAD" });
            const forged = await send(
                s.port,
                json(body, {
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": "d-9",
                    "X-Hub-Signature-256": "sha256=" + "0".repeat(64),
                }),
                (r) => r.end(body),
            );
            assert.strictEqual(forged.status, 401);
            assert.deepStrictEqual(s.log, [
                "rejected webhook delivery d-9: bad or missing X-Hub-Signature-256",
            ]);
            for (const bad of ["", "sha1=abc", "sha256=xyz", `${sign(body)}0`]) {
                const r = await send(
                    s.port,
                    json(body, { "X-GitHub-Event": "push", ...(bad ? { "X-Hub-Signature-256": bad } : {}) }),
                    (q) => q.end(body),
                );
                assert.strictEqual(r.status, 401, `signature "${bad}"`);
            }
            assert.deepStrictEqual(s.pushes, []);
            assert.ok(!s.log.join("\n").includes("SECRET-PAYLOAD"));
        } finally {
            await s.stop();
        }
    });

    it("refuses an unsigned 200 MB upload without reading it", async () => {
        const s = await start();
        try {
            const chunk = Buffer.alloc(1024 * 1024, "x");
            const total = 200;
            const r = await send(
                s.port,
                { "X-GitHub-Event": "push", "Content-Length": total * chunk.length },
                (req) => {
                    let sent = 0;
                    const more = (): void => {
                        while (sent < total) {
                            sent++;
                            if (!req.write(chunk)) {
                                req.once("drain", more);
                                return;
                            }
                        }
                        req.end();
                    };
                    more();
                },
            );
            assert.strictEqual(r.status, 401, JSON.stringify(r));
            // Whatever sat in the socket's buffers, never the 200 MB.
            assert.ok(s.bytesRead() < 8 * 1024 * 1024, `the server read ${s.bytesRead()} bytes`);
            assert.deepStrictEqual(s.log, [
                "rejected webhook delivery ?: bad or missing X-Hub-Signature-256",
            ]);
        } finally {
            await s.stop();
        }
    });

    it("refuses a signed body over the limit with 413, declared or streamed", async () => {
        const results: string[] = [];
        const s = await start({ maxBodyBytes: 1024, metrics: { webhookDelivery: (r) => results.push(r) } });
        try {
            const big = Buffer.alloc(4096, "y");
            const declared = await send(
                s.port,
                { "X-GitHub-Event": "push", "X-Hub-Signature-256": sign(big), "Content-Length": big.length },
                (r) => r.end(big),
            );
            assert.strictEqual(declared.status, 413);
            const streamed = await send(
                s.port,
                {
                    "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": sign(big),
                    "Transfer-Encoding": "chunked",
                },
                (r) => {
                    r.write(big.subarray(0, 2048));
                    r.end(big.subarray(2048));
                },
            );
            assert.strictEqual(streamed.status, 413);
            assert.deepStrictEqual(s.pushes, []);
            assert.match(s.log[0], /body of 4096 bytes, over 1024/);
            assert.deepStrictEqual(results, ["too_large", "too_large"], "each counted once, by its answer");
        } finally {
            await s.stop();
        }
    });

    it("answers 408 when the body does not arrive in time", async () => {
        const s = await start({ bodyTimeoutMs: 50 });
        try {
            const r = await send(
                s.port,
                { "X-GitHub-Event": "push", "X-Hub-Signature-256": sign("{}"), "Content-Length": 100 },
                (req) => req.write("{"),
            );
            assert.strictEqual(r.status, 408);
            assert.deepStrictEqual(s.pushes, []);
        } finally {
            await s.stop();
        }
    });

    it("answers 404 elsewhere", async () => {
        const s = await start();
        try {
            const r = await send(s.port, { "Content-Length": 0 }, (req) => req.end(), "/other");
            assert.strictEqual(r.status, 404);
        } finally {
            await s.stop();
        }
    });

    it("listen: a busy port is an environment problem, a foreign host invalid input", async () => {
        const first = new GitHubWebhookReceiver({ secret, onPush: () => undefined });
        const url = await first.listen(0, "127.0.0.1");
        const port = Number(new URL(url).port);
        try {
            const second = new GitHubWebhookReceiver({ secret, onPush: () => undefined });
            await assert.rejects(
                second.listen(port, "127.0.0.1"),
                (e: unknown) => e instanceof EnvironmentError && /already in use/.test(e.message),
            );
            await assert.rejects(
                second.listen(0, "no-such-host.invalid"),
                (e: unknown) => e instanceof InvalidInputError && /no-such-host\.invalid/.test(e.message),
            );
        } finally {
            await first.close();
        }
    });
});
