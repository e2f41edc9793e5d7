import * as assert from "assert";
import type { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clearDeadLocks } from "../../../engine/pulumi/workspace";

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
    const clear = () => clearDeadLocks(`file://${dir}`, "p", "s", stack);

    it("clears a lock of this host whose process is gone, not one whose process runs", async () => {
        lock({ pid: process.pid, hostname: os.hostname(), ageMs: 0 });
        assert.strictEqual(await clear(), false);
        fs.rmSync(path.join(dir, ".pulumi"), { recursive: true });
        lock({ pid: 2 ** 22 + 7, hostname: os.hostname(), ageMs: 0 });
        assert.strictEqual(await clear(), true);
        assert.strictEqual(cancels, 1);
    });

    it("another host's lock is never judged by its age: an update may hold it for hours", async () => {
        lock({ pid: 1, hostname: "elsewhere", ageMs: 10 * 60_000 });
        assert.strictEqual(await clear(), false);
        assert.strictEqual(cancels, 0);
    });

    it("no lock: nothing to clear", async () => {
        assert.strictEqual(await clear(), false);
        assert.strictEqual(cancels, 0);
    });
});
