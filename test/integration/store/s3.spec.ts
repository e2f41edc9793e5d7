import * as assert from "assert";
import { AwsClient } from "aws4fetch";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import type * as net from "net";
import * as path from "path";
import { s3Store } from "../../../engine/store/s3";
import { describeKvContract } from "../../support/kvContract";
import type { S3Server } from "../../support/s3Server";
import { freePort, startS3Server } from "../../support/s3Server";

describe("the S3 coordination store on versitygw", function () {
    let server: S3Server | undefined;
    /** One versitygw for this file, started by the first case that needs it and stopped after all. */
    async function s3(): Promise<S3Server> {
        server ??= await startS3Server();
        return server;
    }
    after(async () => {
        await server?.stop();
        server = undefined;
    });

    describeKvContract("S3 (versitygw, posix backend)", async () => {
        const s = await s3();
        const store = s3Store(s.backendUrl({ prefix: "contract" }), s.env);
        return { store, cleanup: () => store.close() };
    });

    describe("the S3 store itself", function () {
        this.timeout(120_000);

        it("keeps its objects under <url path>/.promotions/ in the bucket, beside Pulumi's .pulumi/", async () => {
            const s = await s3();
            const store = s3Store(s.backendUrl({ prefix: "team/state" }), s.env);
            await store.put("releases/web/r1", { status: "Running" });
            assert.strictEqual(store.where, `s3://${s.bucket}/team/state/.promotions/ at ${s.endpoint}`);
            const file = path.join(
                s.dataDir,
                s.bucket,
                "team",
                "state",
                ".promotions",
                "releases",
                "web",
                "r1",
            );
            const stored = JSON.parse(fs.readFileSync(file, "utf8")) as { value: unknown; write: string };
            assert.deepStrictEqual(stored.value, { status: "Running" });
            const bare = s3Store(s.backendUrl(), s.env);
            await bare.put("queue/web", [1]);
            assert.ok(fs.existsSync(path.join(s.dataDir, s.bucket, ".promotions", "queue", "web")));
            assert.deepStrictEqual(await bare.list("releases/"), [], "another prefix is another store");
        });

        it("without versitygw installed, the test server names the install command", async () => {
            const saved = process.env.PROMOTIONS_VERSITYGW;
            process.env.PROMOTIONS_VERSITYGW = "/nonexistent/versitygw";
            try {
                await assert.rejects(
                    () => startS3Server(),
                    /versitygw v1\.8\.0 is not installed at \/nonexistent\/versitygw: run 'bash scripts\/install\.sh'/,
                );
            } finally {
                if (saved === undefined) {
                    delete process.env.PROMOTIONS_VERSITYGW;
                } else {
                    process.env.PROMOTIONS_VERSITYGW = saved;
                }
            }
        });

        it("a conditional write whose answer was lost, then retried, knows its own write landed", async () => {
            const s = await s3();
            const proxy = await answerDroppingProxy(s.port);
            try {
                const url = `s3://${s.bucket}/lost?endpoint=http://127.0.0.1:${proxy.port}&use_path_style=true`;
                const store = s3Store(url, s.env);
                // Each first PUT reaches the server and is applied; its answer is cut off. The retry then meets
                // its own write (412), which must not be taken for another writer's.
                proxy.dropNextPut();
                const v1 = await store.put("lease", { holder: "a" }, { ifAbsent: true });
                assert.ok(v1 !== undefined, "the create landed");
                proxy.dropNextPut();
                const v2 = await store.put("lease", { holder: "a", n: 2 }, { ifVersion: v1 });
                assert.ok(v2 !== undefined && v2 !== v1, "the replace landed");
                assert.deepStrictEqual(await store.get("lease"), {
                    value: { holder: "a", n: 2 },
                    version: v2,
                });
                proxy.dropNextPut();
                assert.strictEqual(await store.delete("lease", v2), true, "the delete landed");
                assert.strictEqual(await store.get("lease"), undefined);
                assert.strictEqual(proxy.dropped(), 3, "three answers were cut off");
                // And a write that really lost still loses.
                const v3 = (await store.put("lease", { holder: "b" }))!;
                proxy.dropNextPut();
                assert.strictEqual(await store.put("lease", { holder: "c" }, { ifVersion: v1 }), undefined);
                assert.strictEqual(await store.put("lease", { holder: "c" }, { ifAbsent: true }), undefined);
                assert.deepStrictEqual(await store.get("lease"), { value: { holder: "b" }, version: v3 });
            } finally {
                await proxy.close();
            }
        });

        it("takes a tombstone (a delete cut short between its two requests) for an absent key", async () => {
            const s = await s3();
            const url = s.backendUrl({ prefix: "tombstones" });
            const store = s3Store(url, s.env);
            await store.put("leases/a", { holder: "x" });
            // What a crash after the delete's conditional PUT and before its DELETE leaves behind.
            const client = new AwsClient({
                accessKeyId: s.accessKeyId,
                secretAccessKey: s.secretAccessKey,
                service: "s3",
                region: s.region,
                retries: 0,
            });
            const res = await client.fetch(`${s.endpoint}/${s.bucket}/tombstones/.promotions/leases/b`, {
                method: "PUT",
                body: JSON.stringify({ deleted: randomUUID() }),
            });
            assert.strictEqual(res.status, 200);
            assert.strictEqual(await store.get("leases/b"), undefined);
            assert.deepStrictEqual(await store.list("leases/"), ["leases/a"]);
            assert.strictEqual(await store.delete("leases/b"), false);
            const v = await store.put("leases/b", { holder: "y" }, { ifAbsent: true });
            assert.ok(v !== undefined, "ifAbsent takes the tombstone's place");
            assert.deepStrictEqual(await store.get("leases/b"), { value: { holder: "y" }, version: v });
        });

        it("refuses an object it did not write, naming it", async () => {
            const s = await s3();
            const store = s3Store(s.backendUrl({ prefix: "foreign" }), s.env);
            const dir = path.join(s.dataDir, s.bucket, "foreign", ".promotions");
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "odd"), "not json");
            await assert.rejects(
                () => store.get("odd"),
                /s3:\/\/promotions\/foreign\/\.promotions\/odd is not a coordination-store document/,
            );
        });

        it("errors name the bucket, the endpoint and the fix, never the secret key", async () => {
            const s = await s3();
            const wrongSecret = "wrong-secret-key-5d1e7a";
            const cases: { url: string; env: Record<string, string>; expect: RegExp }[] = [
                {
                    url: s.backendUrl(),
                    env: { ...s.env, AWS_SECRET_ACCESS_KEY: wrongSecret },
                    expect: /s3:\/\/promotions\/\.promotions\/k at http:\/\/127\.0\.0\.1:\d+: GET answered 403 SignatureDoesNotMatch.*check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/,
                },
                {
                    url: s.backendUrl({ bucket: "no-such-bucket" }),
                    env: s.env,
                    expect: /s3:\/\/no-such-bucket\/\.promotions\/k .*404 NoSuchBucket.*create the bucket "no-such-bucket"/,
                },
                {
                    url: s.backendUrl(),
                    env: { HOME: "/nonexistent" },
                    expect: /needs AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
                },
            ];
            for (const c of cases) {
                const store = s3Store(c.url, c.env);
                const err = await store.get("k").then(
                    () => assert.fail(`no error for ${c.url}`),
                    (e: Error) => e,
                );
                assert.match(err.message, c.expect);
                assert.ok(
                    !err.message.includes(wrongSecret) && !err.message.includes(s.secretAccessKey),
                    err.message,
                );
            }
        });

        it("an endpoint that does not answer is named, after a few tries", async () => {
            const s = await s3();
            const port = await freePort();
            const store = s3Store(
                `s3://promotions?endpoint=127.0.0.1:${port}&disableSSL=true&s3ForcePathStyle=true`,
                s.env,
            );
            await assert.rejects(
                () => store.put("k", 1),
                /s3:\/\/promotions\/\.promotions\/k at http:\/\/127\.0\.0\.1:\d+ did not answer PUT after 5 tries \(ECONNREFUSED\); check that the endpoint is up/,
            );
        });
    });
});

/**
 * A loopback HTTP proxy to the S3 server that, when told, lets the next PUT through and then destroys the
 * connection instead of passing its answer on: what a client sees when a reply is lost after the server acted.
 */
async function answerDroppingProxy(upstreamPort: number) {
    let dropNext = false;
    let dropped = 0;
    const server = http.createServer((req, res) => {
        const drop = dropNext && req.method === "PUT";
        if (drop) {
            dropNext = false;
        }
        // The Host header is passed on as the client signed it.
        const up = http.request(
            {
                host: "127.0.0.1",
                port: upstreamPort,
                method: req.method,
                path: req.url,
                headers: req.headers,
            },
            (answer) => {
                if (drop) {
                    dropped++;
                    answer.resume();
                    answer.on("end", () => res.destroy());
                    return;
                }
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
            },
        );
        up.on("error", () => res.destroy());
        req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        dropNextPut: () => {
            dropNext = true;
        },
        dropped: () => dropped,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
