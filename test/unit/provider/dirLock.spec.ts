import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive, withDirLock } from "../../../provider/dirLock";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("provider/dirLock", () => {
    after(removeTempDirs);

    it("lets one holder at a time run, in turn, and removes the lock after", async () => {
        const lock = path.join(tempDir("lock"), "nested", "x.lock");
        const log: string[] = [];
        const holder = (name: string) =>
            withDirLock(lock, async () => {
                log.push(`${name} in`);
                await sleep(30);
                log.push(`${name} out`);
            });
        await Promise.all([holder("a"), holder("b"), holder("c")]);
        for (let i = 0; i < log.length; i += 2) {
            assert.equal(log[i].replace(" in", ""), log[i + 1].replace(" out", ""), log.join(", "));
        }
        assert.equal(fs.existsSync(lock), false);
    });

    it("takes over a lock whose owner is gone", async () => {
        const lock = path.join(tempDir("lock"), "y.lock");
        const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
        fs.mkdirSync(lock);
        fs.writeFileSync(path.join(lock, "pid"), dead);
        assert.equal(await withDirLock(lock, () => Promise.resolve("ran"), 5_000), "ran");
    });

    it("tells a running process from a gone one", () => {
        assert.equal(processAlive(process.pid), true);
        const gone = Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
        assert.equal(processAlive(gone), false);
    });
});
