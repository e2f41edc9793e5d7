import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { removeTempDirs, tempDir } from "../../support/tmp";

const steps = path.join(packageRoot, "scripts", "install-steps.sh");

/** Runs `script` in bash after sourcing scripts/install-steps.sh, its log started in a fresh directory. */
function run(script: string, env: Record<string, string> = {}) {
    const dir = tempDir("install-steps");
    const r = spawnSync(
        "bash",
        ["-euo", "pipefail", "-c", `. '${steps}'\ninstall_log_start '${dir}'\n${script}`],
        {
            encoding: "utf8",
            // Not a socket on stdin: bash would take itself for a remote shell and read /etc/bash.bashrc.
            stdio: ["ignore", "pipe", "pipe"],
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
        },
    );
    const log = path.join(dir, ".promotions", "install.log");
    return { ...r, dir, log, logText: fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "" };
}

describe("the quiet install (scripts/install-steps.sh)", () => {
    after(removeTempDirs);

    it("a step prints progress lines with its time; the tool's own output goes to the log only", () => {
        const r = run(
            `run_step "[install]" "noisy step" "no hint" sh -c 'echo github.com/pkg/errors; echo golang.org/x/xerrors >&2'`,
        );
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^\[install\] noisy step\n\[install\] noisy step: done \(\d+s\)\n$/);
        assert.strictEqual(r.stderr, "");
        assert.match(r.logText, /=== \[install\] noisy step: sh -c/);
        assert.match(r.logText, /github\.com\/pkg\/errors\ngolang\.org\/x\/xerrors\n/);
    });

    it("a failing step shows the log's last lines and what to do, names the log, and exits 3", () => {
        const r = run(
            `run_step "[install]" "the first step" "none" true\n` +
                `run_step "[install]" "npm packages (npm ci)" "check the network, then run it again" ` +
                `sh -c 'for i in $(seq 1 40); do echo "npm line $i"; done; exit 7'\n` +
                `echo "never here"`,
        );
        assert.strictEqual(r.status, 3);
        assert.doesNotMatch(r.stdout, /never here|npm line/);
        assert.match(r.stdout, /\[install\] the first step: done/);
        assert.match(
            r.stderr,
            /^\nerror: npm packages \(npm ci\) failed \(exit 7, after \d+s\)\. The last lines of (\S+install\.log):\n/,
        );
        assert.match(r.stderr, / {4}npm line 40\n/);
        assert.match(r.stderr, / {4}npm line 16\n/);
        assert.doesNotMatch(r.stderr, /npm line 15\n/, "25 lines by default");
        assert.match(r.stderr, /\nwhat to do: check the network, then run it again\n/);
        assert.ok(r.stderr.includes(`(the whole log: ${r.log})`), r.stderr);
        assert.match(r.logText, /npm line 1\n[\s\S]*npm line 40\n/, "the log keeps everything");
    });

    it("the log is started once per run: scripts it runs append; a relative path is in the checkout", () => {
        const r = run(
            `echo first >>"$PROMOTIONS_INSTALL_LOG"\n` +
                // What install.sh does before running provision-engine.sh, which starts the log again.
                `bash -c ". '${steps}'; install_log_start /elsewhere; echo second >>\\"\\$PROMOTIONS_INSTALL_LOG\\""`,
        );
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.logText, "first\nsecond\n");
        const rel = run(`echo "$PROMOTIONS_INSTALL_LOG"`, { PROMOTIONS_INSTALL_LOG: "logs/i.log" });
        assert.strictEqual(rel.stdout.trim(), path.join(rel.dir, "logs", "i.log"));
        assert.ok(fs.existsSync(path.join(rel.dir, "logs", "i.log")));
    });

    it("human_seconds: seconds, then minutes and seconds", () => {
        const r = run(`human_seconds 9; echo; human_seconds 75; echo; human_seconds 600`);
        assert.strictEqual(r.stdout, "9s\n1m 15s\n10m 00s");
    });
});
