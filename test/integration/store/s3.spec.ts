import * as assert from "assert";
import { AwsClient } from "aws4fetch";
import { randomUUID } from "crypto";
import * as fs from "fs";
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
