import * as assert from "assert";
import { randomBytes } from "crypto";
import type { KvStore } from "../../engine/store/kv";

/** One store opened by a contract's factory, and how to let go of it. */
export interface KvFixture {
    readonly store: KvStore;
    cleanup(): Promise<void>;
}

/**
 * The coordination store's contract (engine/store/kv.ts), run against any backend: `describeKvContract("S3
 * store", factory)`. Each call of `factory` opens **another store on the same data** (as another process
 * opening the same backend URL would); the concurrency cases open several at once. Every case keeps its keys
 * under a prefix of its own, so the data may be shared by all cases and removed by the caller afterwards.
 */
export function describeKvContract(name: string, factory: () => Promise<KvFixture>): void {
    describe(`the coordination store contract: ${name}`, function () {
        this.timeout(300_000);
        const opened: KvFixture[] = [];
        let store: KvStore;
        let ns: string;
        /** Another store on the same data, closed after the case. */
        const open = async (): Promise<KvStore> => {
            const f = await factory();
            opened.push(f);
            return f.store;
        };
        const k = (key: string) => `${ns}/${key}`;

        beforeEach(async () => {
            ns = `c${randomBytes(4).toString("hex")}`;
            store = await open();
        });
        afterEach(async () => {
            for (const f of opened.splice(0)) {
                await f.cleanup();
            }
        });

        it("says where it lives", () => {
            assert.ok(store.where.length > 0);
        });

        it("get of a key never written is undefined", async () => {
            assert.strictEqual(await store.get(k("never")), undefined);
        });

        it("put then get returns the value (JSON: objects, arrays, Unicode, null, numbers) and the version put returned", async () => {
            const value = {
                name: "web",
                n: 3,
                ok: true,
                none: null,
                list: [1, "two", { three: 3 }],
                text: "é ✓ 日本 \u{1f680}",
            };
            const version = await store.put(k("doc"), value);
            assert.ok(typeof version === "string" && version.length > 0, "put returns a version");
            assert.deepStrictEqual(await store.get(k("doc")), { value, version });
            for (const v of ["plain", 42, null, [1, 2]]) {
                const ver = await store.put(k("scalar"), v);
                assert.deepStrictEqual(await store.get(k("scalar")), { value: v, version: ver });
            }
        });

        it("a value of a few hundred kilobytes round-trips whole", async () => {
            const value = { lines: Array.from({ length: 4000 }, (_, i) => `line ${i} ${"x".repeat(80)}`) };
            const version = await store.put(k("big"), value);
            assert.deepStrictEqual(await store.get(k("big")), { value, version });
        });

        it("another store on the same data sees what this one wrote", async () => {
            const version = await store.put(k("shared"), { by: "first" });
            const other = await open();
            assert.deepStrictEqual(await other.get(k("shared")), { value: { by: "first" }, version });
            assert.deepStrictEqual(await other.list(`${ns}/`), [k("shared")]);
        });

        it("every write makes a new version, even of the same value, so a stale version never matches again", async () => {
            const v1 = await store.put(k("aba"), { n: 1 });
            const v2 = await store.put(k("aba"), { n: 1 });
            assert.ok(v1 !== undefined && v2 !== undefined);
            assert.notStrictEqual(v1, v2, "the same value written twice has two versions");
            assert.strictEqual(await store.put(k("aba"), { n: 2 }, { ifVersion: v1 }), undefined);
            assert.deepStrictEqual(await store.get(k("aba")), { value: { n: 1 }, version: v2 });
        });

        it("ifAbsent writes only a key that is not there", async () => {
            const v1 = await store.put(k("once"), "first", { ifAbsent: true });
            assert.ok(v1 !== undefined, "the first ifAbsent write succeeds");
            assert.strictEqual(await store.put(k("once"), "second", { ifAbsent: true }), undefined);
            assert.deepStrictEqual(await store.get(k("once")), { value: "first", version: v1 });
        });

        it("ifVersion writes only while the key is at that version", async () => {
            const v1 = (await store.put(k("cas"), 1))!;
            const v2 = await store.put(k("cas"), 2, { ifVersion: v1 });
            assert.ok(v2 !== undefined && v2 !== v1);
            assert.strictEqual(
                await store.put(k("cas"), 3, { ifVersion: v1 }),
                undefined,
                "a stale version loses",
            );
            assert.deepStrictEqual(await store.get(k("cas")), { value: 2, version: v2 });
            assert.strictEqual(
                await store.put(k("cas-none"), 1, { ifVersion: v2! }),
                undefined,
                "no key, no version",
            );
            assert.strictEqual(await store.get(k("cas-none")), undefined);
        });

        it("delete removes a key (true), and reports false for a key not there", async () => {
            await store.put(k("gone"), { x: 1 });
            assert.strictEqual(await store.delete(k("gone")), true);
            assert.strictEqual(await store.get(k("gone")), undefined);
            assert.strictEqual(await store.delete(k("gone")), false, "deleting twice");
            assert.strictEqual(await store.delete(k("never")), false);
            assert.deepStrictEqual(await store.list(`${ns}/`), []);
        });

        it("delete with a version removes only that version", async () => {
            const v1 = (await store.put(k("d"), 1))!;
            const v2 = (await store.put(k("d"), 2))!;
            assert.strictEqual(await store.delete(k("d"), v1), false, "moved on");
            assert.deepStrictEqual(await store.get(k("d")), { value: 2, version: v2 });
            assert.strictEqual(await store.delete(k("d"), v2), true);
            assert.strictEqual(await store.get(k("d")), undefined);
            assert.strictEqual(await store.delete(k("d"), v2), false, "not there");
        });

        it("a deleted key is absent: ifAbsent creates it again, its old version matches nothing", async () => {
            const v1 = (await store.put(k("again"), "old"))!;
            assert.strictEqual(await store.delete(k("again")), true);
            assert.strictEqual(await store.put(k("again"), "x", { ifVersion: v1 }), undefined);
            const v2 = await store.put(k("again"), "new", { ifAbsent: true });
            assert.ok(v2 !== undefined);
            assert.notStrictEqual(v2, v1, "a key made again does not get its old version back");
            assert.strictEqual(await store.put(k("again"), "stale", { ifVersion: v1 }), undefined);
            assert.deepStrictEqual(await store.get(k("again")), { value: "new", version: v2 });
            assert.deepStrictEqual(await store.list(`${ns}/`), [k("again")]);
        });

        it("refuses keys that are not '/'-separated words of letters, digits, '.', '_', '-'", async () => {
            for (const bad of ["", "/a", "a/", "a//b", "../a", "a/./b", "a b", "a?b", "ä"]) {
                await assert.rejects(() => store.get(bad), /not a store key/, JSON.stringify(bad));
                await assert.rejects(() => store.put(bad, 1), /not a store key/, JSON.stringify(bad));
            }
        });

        it("list gives the keys under a prefix in ascending byte order, after a key, at most a limit", async () => {
            // '-' < '.' < '/' < '0' < 'B' < 'Z' < '_' < 'a' in bytes: a store that sorted by path segments, case
            // or locale would get these wrong.
            const keys = ["a-c", "a.b", "a/b", "a/c/d", "a0", "B", "Z", "_x", "ab"].map(k);
            for (const key of [...keys].reverse()) {
                await store.put(key, key);
            }
            await store.put(`${ns}x/outside`, 1);
            const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
            assert.deepStrictEqual(await store.list(`${ns}/`), sorted);
            assert.deepStrictEqual(
                await store.list(k("a")),
                sorted.filter((x) => x.startsWith(k("a"))),
            );
            assert.deepStrictEqual(await store.list(k("a/")), [k("a/b"), k("a/c/d")]);
            assert.deepStrictEqual(
                await store.list(`${ns}/`, { after: k("a/b") }),
                sorted.slice(sorted.indexOf(k("a/b")) + 1),
            );
            assert.deepStrictEqual(
                await store.list(`${ns}/`, { after: k("a/bz") }),
                sorted.slice(sorted.indexOf(k("a/c/d"))),
            );
            assert.deepStrictEqual(await store.list(`${ns}/`, { limit: 3 }), sorted.slice(0, 3));
            assert.deepStrictEqual(
                await store.list(`${ns}/`, { after: sorted[2], limit: 2 }),
                sorted.slice(3, 5),
            );
            assert.deepStrictEqual(await store.list(`${ns}/`, { limit: 0 }), []);
            assert.deepStrictEqual(await store.list(`${ns}/nothing/`), []);
        });

        it("list pages through more than 1000 keys (S3 answers 1000 at a time) in order, after and limit included", async () => {
            const n = 1205;
            const keys = Array.from({ length: n }, (_, i) => k(`many/${String(i).padStart(5, "0")}`));
            for (let i = 0; i < n; i += 25) {
                await Promise.all(keys.slice(i, i + 25).map((key) => store.put(key, { i })));
            }
            await store.put(k("manz"), "after the prefix");
            const all = await store.list(k("many/"));
            assert.strictEqual(all.length, n);
            assert.deepStrictEqual(all, keys);
            assert.deepStrictEqual(await store.list(k("many/"), { limit: 1001 }), keys.slice(0, 1001));
            assert.deepStrictEqual(
                await store.list(k("many/"), { after: keys[998], limit: 5 }),
                keys.slice(999, 1004),
            );
            assert.deepStrictEqual(await store.list(k("many/"), { after: keys[150] }), keys.slice(151));
            assert.deepStrictEqual(await store.list(k("many/"), { after: keys[n - 1] }), []);
        });

        it("concurrent compare-and-set increments from several stores: exactly N, none lost", async () => {
            const stores = [store, await open(), await open(), await open()];
            const perStore = 10;
            const n = stores.length * perStore;
            await store.put(k("counter"), { n: 0 }, { ifAbsent: true });
            const wrote: number[] = [];
            let conflicts = 0;
            const increment = async (s: KvStore) => {
                for (;;) {
                    const cur = await s.get<{ n: number }>(k("counter"));
                    assert.ok(cur !== undefined);
                    if (
                        (await s.put(k("counter"), { n: cur.value.n + 1 }, { ifVersion: cur.version })) !==
                        undefined
                    ) {
                        wrote.push(cur.value.n + 1);
                        return;
                    }
                    conflicts++;
                }
            };
            await Promise.all(stores.flatMap((s) => Array.from({ length: perStore }, () => increment(s))));
            assert.strictEqual((await store.get<{ n: number }>(k("counter")))?.value.n, n);
            assert.deepStrictEqual(
                [...wrote].sort((a, b) => a - b),
                Array.from({ length: n }, (_, i) => i + 1),
                "each successful write moved the counter by one from a value no other write started from",
            );
            assert.ok(conflicts > 0, "the writers did race (else this case proves nothing)");
        });

        it("concurrent ifAbsent creates from several stores: exactly one wins", async () => {
            const stores = [store, await open(), await open()];
            const results = await Promise.all(
                stores.flatMap((s, i) =>
                    [0, 1, 2].map((j) => s.put(k("leader"), { who: `${i}.${j}` }, { ifAbsent: true })),
                ),
            );
            const winners = results.filter((r) => r !== undefined);
            assert.strictEqual(winners.length, 1);
            assert.strictEqual((await store.get(k("leader")))?.version, winners[0]);
        });

        it("concurrent deletes of one version from several stores: exactly one is told it deleted", async () => {
            const stores = [store, await open(), await open()];
            for (let round = 0; round < 3; round++) {
                const v = (await store.put(k("claim"), { round }))!;
                const results = await Promise.all(
                    stores.flatMap((s) => [s.delete(k("claim"), v), s.delete(k("claim"), v)]),
                );
                assert.strictEqual(
                    results.filter(Boolean).length,
                    1,
                    `round ${round}: ${results.join(", ")}`,
                );
                assert.strictEqual(await store.get(k("claim")), undefined);
            }
        });

        it("a delete racing a compare-and-set of the same version: exactly one of them wins", async () => {
            const other = await open();
            for (let round = 0; round < 5; round++) {
                const v = (await store.put(k("race"), { round }))!;
                const [deleted, written] = await Promise.all([
                    store.delete(k("race"), v),
                    other.put(k("race"), { round, by: "writer" }, { ifVersion: v }),
                ]);
                assert.ok(
                    deleted !== (written !== undefined),
                    `round ${round}: deleted ${deleted}, written ${written}`,
                );
                const now = await store.get(k("race"));
                assert.deepStrictEqual(
                    now === undefined ? undefined : now.version,
                    deleted ? undefined : written,
                );
                await store.delete(k("race"));
            }
        });
    });
}
