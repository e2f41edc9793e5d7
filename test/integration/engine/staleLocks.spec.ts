import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { stackLocks } from "../../../engine/pulumi/stateBackend";
import { runCli } from "../../support/cli";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** The pid of a process that has ended. */
function deadPid(): number {
    return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

/** A lock as a `pulumi` killed mid-update leaves it in a file:// backend. */
function leaveLock(state: string, project: string, stack: string, hostname: string): void {
    const dir = path.join(state, ".pulumi", "locks", "organization", project, stack);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
        path.join(dir, `${crypto.randomUUID()}.json`),
        JSON.stringify({ pid: deadPid(), username: "root", hostname, timestamp: new Date().toISOString() }),
    );
}

describe("locks left by a killed pulumi", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("a dead process's lock on the promote stack is cleared, not waited out", async () => {
        const dir = tempDir("stale-locks");
        const { repo, args, env } = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "prod" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "prod", dependsOn: ["dev"] }],
                },
            ],
        });
        const state = path.join(dir, "state");
        const trigger = () =>
            runCli([...args, "trigger", "--product", "web", "--flow", "f", "--json"], { env });
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "2.0.0"'));
        const first = await trigger();
        assert.strictEqual(first.code, 0, first.stderr);

        // Killed mid-update, its record not yet ended: the lock remains. (Left in place, it would be waited for as
        // a live writer's, three minutes, and the release would fail.)
        leaveLock(state, "promotions", "web", os.hostname());
        const url = `file://${state}`;
        assert.strictEqual((await stackLocks(url, "promotions", "web"))?.length, 1);
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "2.0.0"', 'appVersion: "3.0.0"'));
        const second = await trigger();
        assert.strictEqual(second.code, 0, second.stderr);
        assert.strictEqual((JSON.parse(second.stdout) as ReleaseRecord).status, "Succeeded");
        assert.deepStrictEqual(await stackLocks(url, "promotions", "web"), []);
        assert.match(repo.read("apps/web/prod/Chart.yaml"), /appVersion: "3\.0\.0"/);
    });
});
