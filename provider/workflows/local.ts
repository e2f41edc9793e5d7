import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatDuration } from "../../model/duration";
import { redact } from "../../model/redact";
import { gateEnvironment } from "./local.env";
import { logTail, parseOutputs } from "./local.output";
import type { WorkflowRunner, WorkflowRunnerEntry, WorkflowRunResult } from "./runner";
import { workflowTimeoutMs } from "./runner";
import type { LocalRunnerOptions } from "./services";

export type { LocalRunnerOptions };

export const defaultKillGraceMs = 10_000;

/** How the supervisor says the command ended (see supervisor.ts). */
interface SupervisorReport {
    readonly code?: number | null;
    readonly signal?: NodeJS.Signals | null;
    readonly error?: string;
}

function parseReport(text: string): SupervisorReport {
    try {
        return JSON.parse(text) as SupervisorReport;
    } catch {
        return {};
    }
}

const supervisorScript = path.join(__dirname, "supervisor.js");

/**
 * A local process: the command (a shell line, or an argv array run without a shell) gets every parameter as
 * an environment variable (the application path is `APP_PATH`; all parameters are also in the JSON file at
 * `$PROMOTION_PARAMETERS`), its `env`, and of the CLI's environment only PATH, HOME, LANG, LC_ALL, TZ, USER,
 * TMPDIR and what its `passEnv` lists, never our own tokens. It exports values by writing `KEY=value` lines
 * to the file at `$PROMOTION_OUTPUTS`. Exit 0 is Succeeded; anything else, or the timeout, is Failed; a
 * terminated release stops it, Terminated. Stopping sends its process group SIGTERM, then SIGKILL after the
 * grace; the group is led by a supervisor that ends it when this process dies.
 */
export function localRunner(options: LocalRunnerOptions = {}): WorkflowRunner<"local"> {
    const graceMs = options.killGraceMs ?? defaultKillGraceMs;
    return {
        kind: "local",
        run(req): Promise<WorkflowRunResult> {
            const wf = req.workflow;
            const startedAt = new Date().toISOString();
            const timeoutMs = workflowTimeoutMs(wf);
            const cwd = wf.workingDir ? path.resolve(req.cwd, wf.workingDir) : req.cwd;
            const notStarted = (status: "Terminated" | "Error", message: string) =>
                Promise.resolve<WorkflowRunResult>({
                    workflow: wf.name,
                    status,
                    startedAt,
                    finishedAt: startedAt,
                    outputs: {},
                    message: redact(message),
                });
            if (req.signal?.aborted) {
                return notStarted("Terminated", "terminated before it started");
            }
            if (!fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) {
                return notStarted("Error", `could not start: working directory ${cwd} does not exist`);
            }
            const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "promotion-run-"));
            const paramsFile = path.join(scratch, "parameters.json");
            const outputsFile = path.join(scratch, "outputs");
            fs.writeFileSync(paramsFile, JSON.stringify(req.parameters, null, 2));
            fs.writeFileSync(outputsFile, "");
            const { PATH: appPath, ...params } = req.parameters;
            const env: Record<string, string> = {
                ...gateEnvironment(options.env ?? process.env, wf.passEnv),
                ...params,
                ...(appPath !== undefined ? { APP_PATH: appPath } : {}),
                ...(wf.env ?? {}),
                PROMOTION_PARAMETERS: paramsFile,
                PROMOTION_OUTPUTS: outputsFile,
            };
            const argv = Array.isArray(wf.command) ? wf.command : ["/bin/sh", "-c", wf.command];
            return new Promise((resolve) => {
                const child = spawn(
                    process.execPath,
                    [supervisorScript, String(process.pid), String(graceMs), ...argv],
                    { cwd, env: {}, detached: true, stdio: ["pipe", "pipe", "pipe", "pipe"] },
                );
                child.stdin!.on("error", () => undefined); // it could not start: reported below
                child.stdin!.end(JSON.stringify(env));
                let output = "";
                // Output is cut at whole lines only, so no secret is cut in two (and so missed by the
                // redactor): when a cut falls inside a line, the rest of that line is dropped too.
                let skippingLine = false;
                const collect = (chunk: string) => {
                    let d = chunk;
                    if (skippingLine) {
                        const newline = d.indexOf("\n");
                        if (newline < 0) {
                            return;
                        }
                        skippingLine = false;
                        d = d.slice(newline);
                    }
                    output += d;
                    if (output.length > 256 * 1024) {
                        const rest = output.slice(-64 * 1024);
                        const newline = rest.indexOf("\n");
                        skippingLine = newline < 0;
                        output = `[… earlier output cut]${skippingLine ? "" : rest.slice(newline)}`;
                    }
                };
                child.stdout!.setEncoding("utf8").on("data", collect);
                child.stderr!.setEncoding("utf8").on("data", collect);
                let reportText = "";
                const reportPipe = child.stdio[3] as NodeJS.ReadableStream;
                reportPipe.setEncoding("utf8");
                reportPipe.on("data", (d: string) => (reportText += d));

                let reason: "timeout" | "terminated" | undefined;
                let killTimer: NodeJS.Timeout | undefined;
                const signalGroup = (signal: NodeJS.Signals) => {
                    try {
                        process.kill(-child.pid!, signal);
                    } catch {
                        // already gone
                    }
                };
                const stop = (why: "timeout" | "terminated") => {
                    if (reason || child.pid === undefined) {
                        return;
                    }
                    reason = why;
                    signalGroup("SIGTERM");
                    killTimer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
                };
                const timer = setTimeout(() => stop("timeout"), timeoutMs);
                const onAbort = () => stop("terminated");
                req.signal?.addEventListener("abort", onAbort);

                let finished = false;
                const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: string) => {
                    if (finished) {
                        return;
                    }
                    finished = true;
                    clearTimeout(timer);
                    clearTimeout(killTimer);
                    req.signal?.removeEventListener("abort", onAbort);
                    // Whatever of the gate outlived its command (a `cmd &` it left behind) ends with it.
                    signalGroup("SIGKILL");
                    const report = parseReport(reportText);
                    const error =
                        spawnError ?? (report.error ? `could not start: ${report.error}` : undefined);
                    const exitCode = report.code !== undefined ? report.code : code;
                    const exitSignal = report.signal !== undefined ? report.signal : signal;
                    const outputs = fs.existsSync(outputsFile)
                        ? parseOutputs(fs.readFileSync(outputsFile, "utf8"))
                        : {};
                    fs.rmSync(scratch, { recursive: true, force: true });
                    const status =
                        reason === "terminated"
                            ? "Terminated"
                            : exitCode === 0 && !reason
                              ? "Succeeded"
                              : error
                                ? "Error"
                                : "Failed";
                    const message =
                        error ??
                        (reason === "timeout"
                            ? `timed out after ${formatDuration(timeoutMs)}`
                            : reason === "terminated"
                              ? "terminated"
                              : exitSignal
                                ? `killed by signal ${exitSignal}`
                                : `exited with code ${exitCode}`);
                    resolve({
                        workflow: wf.name,
                        status,
                        runId: `local-${child.pid ?? "none"}`,
                        startedAt,
                        finishedAt: new Date().toISOString(),
                        log: logTail(redact(output)),
                        outputs,
                        ...(status !== "Succeeded" ? { message: redact(message) } : {}),
                    });
                };
                child.on("error", (e) => finish(null, null, `could not start: ${e.message}`));
                child.on("close", (code, signal) => finish(code, signal));
                // A process that left the group but kept our pipes open must not hold the result.
                child.on("exit", (code, signal) => {
                    setTimeout(() => {
                        child.stdout?.destroy();
                        child.stderr?.destroy();
                        finish(code, signal);
                    }, 1000).unref();
                });
            });
        },
    };
}

export const localRunnerEntry: WorkflowRunnerEntry<"local"> = {
    kind: "local",
    requires: [],
    create: (services) => localRunner(services.local),
};
