import * as assert from "assert";
import { backoffMs, retry } from "../../../../provider/git/retry";

describe("retry", () => {
    it("backs off exponentially up to the cap, with full jitter", () => {
        const opts = { baseMs: 100, maxMs: 1_000 };
        const top = () => 0.999999;
        assert.deepStrictEqual(
            [1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, opts, top)),
            [99, 199, 399, 799, 999, 999],
        );
        assert.strictEqual(
            backoffMs(3, opts, () => 0),
            0,
        );
        assert.strictEqual(
            backoffMs(3, opts, () => 0.5),
            200,
        );
    });

    it("tries again until the call succeeds", async () => {
        const seen: number[] = [];
        const waits: number[] = [];
        const r = await retry(
            async (attempt) => {
                seen.push(attempt);
                if (attempt < 3) {
                    throw new Error(`fail ${attempt}`);
                }
                return "ok";
            },
            { attempts: 5, baseMs: 4, maxMs: 8, random: () => 0.5, onRetry: (_e, _a, d) => waits.push(d) },
        );
        assert.strictEqual(r, "ok");
        assert.deepStrictEqual(seen, [1, 2, 3]);
        assert.deepStrictEqual(waits, [2, 4]);
    });

    it("gives up after `attempts` calls with the last failure", async () => {
        let calls = 0;
        await assert.rejects(
            retry(
                async () => {
                    calls++;
                    throw new Error(`fail ${calls}`);
                },
                { attempts: 3, baseMs: 1, maxMs: 1 },
            ),
            /fail 3/,
        );
        assert.strictEqual(calls, 3);
    });

    it("stops at once on a failure `retryIf` refuses", async () => {
        let calls = 0;
        await assert.rejects(
            retry(
                async () => {
                    calls++;
                    throw new Error("permanent");
                },
                { attempts: 5, baseMs: 1, maxMs: 1, retryIf: (e) => !/permanent/.test(String(e)) },
            ),
            /permanent/,
        );
        assert.strictEqual(calls, 1);
    });

    it("an abort ends a long wait with the signal's reason, and no further attempt", async () => {
        const controller = new AbortController();
        let calls = 0;
        const run = retry(
            async () => {
                calls++;
                // Abort once the first wait (an hour long) has begun.
                setImmediate(() => controller.abort(new Error("stopped")));
                throw new Error("busy");
            },
            {
                attempts: 3,
                baseMs: 3_600_000,
                maxMs: 3_600_000,
                random: () => 0.99,
                signal: controller.signal,
            },
        );
        await assert.rejects(run, /stopped/);
        assert.strictEqual(calls, 1);
    });

    it("an already aborted signal runs nothing", async () => {
        let calls = 0;
        await assert.rejects(
            retry(async () => calls++, {
                attempts: 3,
                baseMs: 1,
                maxMs: 1,
                signal: AbortSignal.abort(new Error("gone")),
            }),
            /gone/,
        );
        assert.strictEqual(calls, 0);
    });
});
