import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { WorkflowOfKind } from "../../../../components/promotionWorkflow";
import { secretEnvNames, secrets } from "../../../../model/redact";
import type { LocalRunnerOptions } from "../../../../provider/workflows/local";
import { localRunner } from "../../../../provider/workflows/local";
import { gateEnvironment } from "../../../../provider/workflows/local.env";
import { logTail } from "../../../../provider/workflows/local.output";
import type { WorkflowRunResult } from "../../../../provider/workflows/runner";
import { removeTempDirs, tempDir } from "../../../support/tmp";

type LocalWorkflow = WorkflowOfKind<"local">;

function run(
    workflow: Omit<LocalWorkflow, "kind" | "name">,
    options: LocalRunnerOptions = {},
    signal?: AbortSignal,
): Promise<WorkflowRunResult> {
    return localRunner(options).run({
        workflow: { kind: "local", name: "gate", ...workflow },
        parameters: { APP_NAME: "web-qa", PATH: "apps/web/qa" },
        labels: {},
        cwd: process.cwd(),
        ...(signal ? { signal } : {}),
    });
}

/** A process that exists and is not a zombie (in a container whose init reaps nothing, the killed linger as zombies). */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return true;
    }
}

function pidsIn(file: string): number[] {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : [];
}

async function until(what: string, check: () => boolean, limitMs = 15_000): Promise<void> {
    const start = Date.now();
    while (!check()) {
        if (Date.now() - start > limitMs) {
            throw new Error(`gave up waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** Distinct values for every credential variable. */
const ourSecrets: Record<string, string> = Object.fromEntries([
    ...secretEnvNames.map((name, i) => [name, `our-secret-${i}-${name.toLowerCase()}`]),
    ["PROMOTIONS_GITLAB_TOKEN", "our-secret-gitlab"],
    ["PROMOTIONS_EXTRA_SECRET", "our-secret-extra"],
]);

describe("local gates: environment", function () {
    this.timeout(30_000);

    it("a gate running env sees none of our secrets, even when passEnv lists them all, and its log has none", async () => {
        secrets.addFromEnv(ourSecrets);
        const env = { ...ourSecrets, PATH: process.env.PATH, HOME: "/home/gate", AWS_REGION: "eu-west-1" };
        const r = await run(
            { command: `env; echo "${ourSecrets.PROMOTIONS_GIT_TOKEN}"`, passEnv: ["*"] },
            { env },
        );
        assert.strictEqual(r.status, "Succeeded", r.message);
        for (const [name, value] of Object.entries(ourSecrets)) {
            assert.doesNotMatch(r.log ?? "", new RegExp(`^${name}=`, "m"), `${name} reached the gate`);
            assert.ok(!(r.log ?? "").includes(value), `${name}'s value is in the log`);
        }
        assert.match(r.log ?? "", /^\*\*\*$/m, "the echoed token is redacted");
        assert.match(r.log ?? "", /^AWS_REGION=eu-west-1$/m);
    });

    it("only the parameters, the base variables and passEnv reach a gate", async () => {
        const env = {
            PATH: process.env.PATH,
            HOME: "/home/gate",
            LANG: "C.UTF-8",
            AWS_REGION: "eu-west-1",
            AWS_PROFILE: "prod",
            KUBECONFIG: "/kube/config",
            UNRELATED: "x",
            PROMOTIONS_GIT_TOKEN: "never-seen-token",
        };
        const listed = await run(
            { command: "env", passEnv: ["AWS_REGION", "PROMOTIONS_GIT_TOKEN"] },
            { env },
        );
        const names = (listed.log ?? "").split("\n").map((l) => l.split("=")[0]);
        assert.ok(names.includes("AWS_REGION"));
        assert.ok(!names.includes("AWS_PROFILE"));
        assert.ok(!names.includes("KUBECONFIG"));
        assert.ok(!names.includes("UNRELATED"));
        assert.ok(!names.includes("PROMOTIONS_GIT_TOKEN"), "a listed PROMOTIONS_GIT_TOKEN does not arrive");
        assert.match(listed.log ?? "", /^APP_NAME=web-qa$/m);
        assert.match(listed.log ?? "", /^APP_PATH=apps\/web\/qa$/m);
        assert.match(listed.log ?? "", /^HOME=\/home\/gate$/m);

        const wildcard = await run({ command: "env", passEnv: ["AWS_*", "KUBE*"] }, { env });
        assert.match(wildcard.log ?? "", /^AWS_REGION=eu-west-1$/m);
        assert.match(wildcard.log ?? "", /^AWS_PROFILE=prod$/m);
        assert.match(wildcard.log ?? "", /^KUBECONFIG=\/kube\/config$/m);
        assert.doesNotMatch(wildcard.log ?? "", /^UNRELATED=/m);
    });

    it("gateEnvironment: patterns match whole names, * anything, other characters literally", () => {
        const source = {
            PATH: "/bin",
            AWS_REGION: "r",
            XAWS_REGION: "x",
            "A.B": "dot",
            AXB: "axb",
            TZ: undefined,
        };
        assert.deepStrictEqual(gateEnvironment(source, ["AWS_*"]), { PATH: "/bin", AWS_REGION: "r" });
        assert.deepStrictEqual(gateEnvironment(source, ["A.B"]), { PATH: "/bin", "A.B": "dot" });
    });

    it("what a gate is given does not change the supervisor that runs it (NODE_OPTIONS)", async () => {
        const env = { PATH: process.env.PATH, NODE_OPTIONS: "--require /nonexistent/preload.js" };
        const r = await run({ command: 'echo "$NODE_OPTIONS"', passEnv: ["NODE_OPTIONS"] }, { env });
        assert.deepStrictEqual([r.status, r.log], ["Succeeded", "--require /nonexistent/preload.js"]);
    });

    it("a message quoting a secret is redacted", async () => {
        secrets.add("secret-in-a-path");
        const r = await run({ command: ["/nonexistent/secret-in-a-path"] });
        assert.strictEqual(r.status, "Error");
        assert.strictEqual(r.message, "could not start: spawn /nonexistent/*** ENOENT");
    });
});

describe("local gates: how they end", function () {
    this.timeout(30_000);
    after(removeTempDirs);

    it("a gate killed by a signal says so", async () => {
        const r = await run({ command: "kill -9 $$" });
        assert.deepStrictEqual([r.status, r.message], ["Failed", "killed by signal SIGKILL"]);
        const exited = await run({ command: "exit 3" });
        assert.deepStrictEqual([exited.status, exited.message], ["Failed", "exited with code 3"]);
    });

    // The gate ignores SIGTERM (and so does the sleep it starts): only SIGKILL, after the grace, ends it.
    const stubborn = (pids: string) =>
        `trap '' TERM; echo $$ >> ${pids}; sleep 60 & echo $! >> ${pids}; wait; wait; sleep 60`;

    it("a timeout sends SIGTERM, then SIGKILL after the grace, to the whole group: Failed, nothing left", async () => {
        const pids = path.join(tempDir("gate-timeout"), "pids");
        const started = Date.now();
        const r = await run({ command: stubborn(pids), timeout: "2s" }, { killGraceMs: 1000 });
        const took = Date.now() - started;
        assert.deepStrictEqual([r.status, r.message], ["Failed", "timed out after 2s"]);
        assert.ok(took < 2000 + 1000 + 5000, `ended after ${took} ms`);
        assert.strictEqual(pidsIn(pids).length, 2);
        await until("the gate's processes to end", () => !pidsIn(pids).some(alive), 3000);
    });

    it("an abort (terminate, or the flow's timeout) does the same: Terminated, nothing left", async () => {
        const pids = path.join(tempDir("gate-abort"), "pids");
        const abort = new AbortController();
        const result = run({ command: stubborn(pids) }, { killGraceMs: 1000 }, abort.signal);
        await until("the gate to start", () => pidsIn(pids).length === 2);
        const started = Date.now();
        abort.abort();
        const r = await result;
        const took = Date.now() - started;
        assert.deepStrictEqual([r.status, r.message], ["Terminated", "terminated"]);
        assert.ok(took < 1000 + 5000, `ended after ${took} ms`);
        await until("the gate's processes to end", () => !pidsIn(pids).some(alive), 3000);
    });

    it("a gate dies with the process that started it, even when that process is SIGKILLed", async () => {
        const dir = tempDir("gate-owner");
        const pidFile = path.join(dir, "pid");
        const local = path.resolve(__dirname, "../../../../provider/workflows/local");
        const owner = spawn(
            process.execPath,
            [
                "-e",
                `require(${JSON.stringify(local)}).localRunner().run({
                    workflow: { kind: "local", name: "orphan", command: ${JSON.stringify(`echo $$ > ${pidFile}; exec sleep 30`)} },
                    parameters: {}, labels: {}, cwd: ${JSON.stringify(dir)},
                })`,
            ],
            { stdio: "ignore" },
        );
        await until("the gate to start", () => pidsIn(pidFile).length === 1);
        const [gate] = pidsIn(pidFile);
        assert.ok(alive(gate));
        owner.kill("SIGKILL");
        await until("the gate to end after its owner", () => !alive(gate), 5000);
    });

    it("a missing working directory is named", async () => {
        const r = await run({ command: "true", workingDir: "/nonexistent/gate-dir" });
        assert.deepStrictEqual(
            [r.status, r.message],
            ["Error", "could not start: working directory /nonexistent/gate-dir does not exist"],
        );
    });

    it("an abort before the start runs nothing", async () => {
        const marker = path.join(tempDir("gate-early"), "ran");
        const abort = new AbortController();
        abort.abort();
        const r = await run({ command: `touch ${marker}` }, {}, abort.signal);
        assert.strictEqual(r.status, "Terminated");
        assert.ok(!fs.existsSync(marker));
    });
});

describe("local gates: log tail", function () {
    this.timeout(30_000);

    it("keeps the last 40 lines", () => {
        const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") + "\n\n";
        const tail = logTail(text).split("\n");
        assert.strictEqual(tail.length, 40);
        assert.deepStrictEqual([tail[0], tail[39]], ["line 60", "line 99"]);
    });

    it("keeps at most 16 KiB, cutting a long line with a marker", () => {
        const long = "x".repeat(100_000);
        const tail = logTail(`first\n${long}\nlast`);
        assert.ok(Buffer.byteLength(tail) <= 16 * 1024);
        const [first, cut, last] = tail.split("\n");
        assert.deepStrictEqual([first, last], ["first", "last"]);
        assert.match(cut, /^x{4096} \[… 95904 bytes cut\]$/);
        const many = logTail(Array.from({ length: 40 }, () => "y".repeat(1000)).join("\n"));
        assert.ok(Buffer.byteLength(many) <= 16 * 1024, `${Buffer.byteLength(many)} bytes`);
        assert.ok(many.split("\n").length >= 15);
    });

    it("a gate printing a 20 MB line gives a bounded log; no part of a cut line is kept", async () => {
        const r = await run({ command: "head -c 20000000 /dev/zero | tr '\\0' x; echo; echo done" });
        assert.strictEqual(r.status, "Succeeded");
        assert.ok(Buffer.byteLength(r.log ?? "") <= 16 * 1024, `${Buffer.byteLength(r.log ?? "")} bytes`);
        assert.strictEqual(r.log, "[… earlier output cut]\ndone");
    });
});
