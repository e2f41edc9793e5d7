import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * What a person's shell gives the demo, and no more: no token, passphrase, CI actor or webhook secret of the
 * machine running the tests, and git's identity from a file of the test's own.
 */
function userEnv(gitConfig: string): NodeJS.ProcessEnv {
    return {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? os.homedir(),
        NO_COLOR: "1",
        GIT_CONFIG_GLOBAL: gitConfig,
        GIT_CONFIG_NOSYSTEM: "1",
    };
}

describe("npm run demo (the embedded default)", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    let out = "";
    let env: NodeJS.ProcessEnv = {};

    before(() => {
        // The person running the demo, as git knows them (not "unknown": issue 28).
        const gitConfig = path.join(tempDir("demo-git"), "gitconfig");
        fs.writeFileSync(gitConfig, "[user]\n\tname = Dana Demo\n\temail = dana@example.com\n");
        env = userEnv(gitConfig);
        const r = spawnSync(process.execPath, [path.join(packageRoot, "dist", "examples", "demo.js")], {
            encoding: "utf8",
            env,
        });
        out = r.stdout + r.stderr;
        assert.strictEqual(r.status, 0, out);
    });

    it("creates everything offline and runs the gated sequential flow to Succeeded", () => {
        assert.match(out, /valid: 3 environments, 1 product \(3 applications\), 1 flow/);
        assert.match(out, /2 │ prod: pre: smoke-tests → commit → post: verify-deployment ⟵ qa/);
        assert.match(out, /values\.yaml \$\.image\.tag: 1\.0\.0 → 1\.1\.0/);
        assert.match(
            out,
            /release r\S+ {2}trioapp {2}flow multi-env-sequential-promotion \(version 1\.0\) {2}Succeeded/,
        );
        assert.match(out, /post-action verify-deployment {2}Succeeded/);
        assert.match(out, /promote trioapp 1\.1\.0 to prod\n\S+ promote trioapp 1\.1\.0 to qa/);
        assert.match(out, /# promoted from dev\n {2}tag: "1\.1\.0"\n {2}pullPolicy: IfNotPresent/);
    });

    it("records who triggered: git's user.name and user.email, without --as, USER or a CI", () => {
        assert.match(out, /  Dana Demo <dana@example\.com> \(local\): trigger/);
        assert.doesNotMatch(out, /unknown \(local\)/);
    });

    it("prints a console command that works as printed: serve starts without a webhook secret, /api answers", async () => {
        const printed = /== the console on this repository and state.*\n(.+)\nthen open (http:\S+)/.exec(out);
        assert.ok(printed, out);
        const command = printed[1];
        assert.doesNotMatch(command, /WEBHOOK/);
        // As printed, on a free port instead of 8080 (another test or person may hold it).
        const child = spawn("sh", ["-c", `${command} --port 0`], { env, detached: true });
        let log = "";
        child.stdout.on("data", (d: Buffer) => (log += d.toString()));
        child.stderr.on("data", (d: Buffer) => (log += d.toString()));
        const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
        try {
            const deadline = Date.now() + 120_000;
            while (!/listening on http:\S+/.test(log) && child.exitCode === null && Date.now() < deadline) {
                await new Promise((r) => setTimeout(r, 100));
            }
            const url = /listening on (http:\S+)/.exec(log)?.[1];
            assert.ok(url, `serve did not start:\n${log}`);
            const page = await fetch(`${url}/api/v1/releases?product=trioapp`);
            assert.strictEqual(page.status, 200, log);
            const body = (await page.json()) as { releases: { id: string; status: string }[] };
            assert.strictEqual(body.releases.length, 1, JSON.stringify(body));
            assert.strictEqual(body.releases[0].status, "Succeeded");
            const release = (await (await fetch(`${url}/api/v1/releases/${body.releases[0].id}`)).json()) as {
                initiator?: { user: string; via: string };
            };
            assert.deepStrictEqual(release.initiator, { user: "Dana Demo <dana@example.com>", via: "local" });
            assert.strictEqual((await fetch(`${url}/`)).status, 200, "the console's page");
            const hook = await fetch(`${url}/webhooks/github`, {
                method: "POST",
                headers: { "content-type": "application/json", "x-github-event": "push" },
                body: "{}",
            });
            assert.strictEqual(hook.status, 404, "webhooks are off");
            assert.strictEqual(log.match(/webhooks off/g)?.length, 1, log);
            // A line of its own: text on a terminal, a JSON log line otherwise.
            assert.match(log, /webhooks off: set PROMOTIONS_WEBHOOK_SECRET/);
        } finally {
            try {
                process.kill(-child.pid!, "SIGTERM");
            } catch {
                // already gone
            }
            await closed;
        }
    });
});
