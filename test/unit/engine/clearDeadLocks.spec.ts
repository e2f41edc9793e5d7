import * as assert from "assert";
import type { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clearDeadLocks } from "../../../engine/workspace";

describe("engine/workspace clearDeadLocks", () => {
    let dir: string;
    let cancels: number;
    const stack = () =>
        Promise.resolve({ cancel: () => Promise.resolve(void cancels++) } as unknown as Stack);
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dead-locks-"));
        cancels = 0;
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const lock = (o: { pid: number; hostname: string; ageMs: number }) => {
        const locks = path.join(dir, ".pulumi", "locks", "organization", "p", "s");
        fs.mkdirSync(locks, { recursive: true });
        fs.writeFileSync(
            path.join(locks, `${o.pid}-${o.hostname}.json`),
            JSON.stringify({
                pid: o.pid,
                hostname: o.hostname,
                timestamp: new Date(Date.now() - o.ageMs).toISOString(),
            }),
        );
    };
    const clear = (staleAfterMs?: number) =>
        clearDeadLocks(`file://${dir}`, "p", "s", stack, staleAfterMs ? { staleAfterMs } : {});

    it("clears a lock of this host whose process is gone, not one whose process runs", async () => {
        lock({ pid: process.pid, hostname: os.hostname(), ageMs: 0 });
        assert.strictEqual(await clear(), false);
        fs.rmSync(path.join(dir, ".pulumi"), { recursive: true });
        lock({ pid: 2 ** 22 + 7, hostname: os.hostname(), ageMs: 0 });
        assert.strictEqual(await clear(), true);
        assert.strictEqual(cancels, 1);
    });

    it("another host's lock: only once older than the stack's bound, and never without one", async () => {
        lock({ pid: 1, hostname: "elsewhere", ageMs: 10_000 });
        assert.strictEqual(await clear(45_000), false);
        assert.strictEqual(await clear(), false);
        fs.rmSync(path.join(dir, ".pulumi"), { recursive: true });
        lock({ pid: 1, hostname: "elsewhere", ageMs: 60_000 });
        assert.strictEqual(await clear(), false, "no bound: an update may hold it for hours");
        assert.strictEqual(await clear(45_000), true);
        assert.strictEqual(cancels, 1);
    });

    it("no lock: nothing to clear", async () => {
        assert.strictEqual(await clear(45_000), false);
        assert.strictEqual(cancels, 0);
    });
});
