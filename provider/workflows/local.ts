import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDuration } from "../../model/duration";
import type { WorkflowRunner, WorkflowRunRequest, WorkflowRunResult } from "./runner";
import { defaultWorkflowTimeoutMs } from "./runner";

const tailLines = 40;

function tail(text: string): string {
    const lines = text.replace(/\s+$/, "").split("\n");
    return lines.slice(-tailLines).join("\n");
}

/** `KEY=value` lines (and `KEY<<EOF` blocks, as GitHub Actions writes them) from the outputs file. */
export function parseOutputs(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const heredoc = /^([A-Za-z_][\w-]*)<<(\S+)$/.exec(lines[i]);
        if (heredoc) {
            const body: string[] = [];
            for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) {
                body.push(lines[i]);
            }
            out[heredoc[1]] = body.join("\n");
            continue;
        }
        const kv = /^([A-Za-z_][\w-]*)=(.*)$/.exec(lines[i]);
        if (kv) {
            out[kv[1]] = kv[2];
        }
    }
    return out;
}

/**
 * A local process: the command (a shell line, or an argv array run without a shell) gets every parameter as
 * an environment variable (`PATH` is kept for the system and the application path is `APP_PATH`; all
 * parameters are also in the JSON file at `$PROMOTION_PARAMETERS`). It exports values by writing `KEY=value`
 * lines to the file at `$PROMOTION_OUTPUTS`. Exit 0 is Succeeded; anything else, or the timeout, is Failed.
 */
export const localRunner: WorkflowRunner = {
    kind: "local",
    run(req: WorkflowRunRequest): Promise<WorkflowRunResult> {
        const wf = req.workflow;
        if (wf.kind !== "local") {
            throw new Error(`workflow "${wf.name}" is not a local workflow`);
        }
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "promotion-run-"));
        const paramsFile = path.join(scratch, "parameters.json");
        const outputsFile = path.join(scratch, "outputs");
        fs.writeFileSync(paramsFile, JSON.stringify(req.parameters, null, 2));
        fs.writeFileSync(outputsFile, "");
        const { PATH: appPath, ...params } = req.parameters;
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...params,
            ...(appPath !== undefined ? { APP_PATH: appPath } : {}),
            ...(wf.env ?? {}),
            PROMOTION_PARAMETERS: paramsFile,
            PROMOTION_OUTPUTS: outputsFile,
        };
        const cwd = wf.workingDir ? path.resolve(req.cwd, wf.workingDir) : req.cwd;
        const timeoutMs =
            wf.timeout !== undefined
                ? (parseDuration(wf.timeout) ?? defaultWorkflowTimeoutMs)
                : defaultWorkflowTimeoutMs;
        const startedAt = new Date().toISOString();
        return new Promise((resolve) => {
            const child = Array.isArray(wf.command)
                ? spawn(wf.command[0], wf.command.slice(1), { cwd, env, detached: true })
                : spawn("/bin/sh", ["-c", wf.command], { cwd, env, detached: true });
            let output = "";
            const collect = (d: Buffer) => {
                output += d.toString();
                if (output.length > 256 * 1024) {
                    output = output.slice(-64 * 1024);
                }
            };
            child.stdout.on("data", collect);
            child.stderr.on("data", collect);
            let reason: "timeout" | "terminated" | undefined;
            const kill = (why: "timeout" | "terminated") => {
                reason = why;
                try {
                    process.kill(-child.pid!, "SIGTERM"); // the whole process group
                } catch {
                    child.kill("SIGTERM");
                }
            };
            const timer = setTimeout(() => kill("timeout"), timeoutMs);
            const onAbort = () => kill("terminated");
            req.signal?.addEventListener("abort", onAbort);
            const finish = (code: number | null, error?: string) => {
                clearTimeout(timer);
                req.signal?.removeEventListener("abort", onAbort);
                const outputs = fs.existsSync(outputsFile)
                    ? parseOutputs(fs.readFileSync(outputsFile, "utf8"))
                    : {};
                fs.rmSync(scratch, { recursive: true, force: true });
                const status =
                    reason === "terminated"
                        ? "Terminated"
                        : code === 0 && !reason
                          ? "Succeeded"
                          : error
                            ? "Error"
                            : "Failed";
                resolve({
                    workflow: wf.name,
                    status,
                    runId: `local-${child.pid ?? "none"}`,
                    startedAt,
                    finishedAt: new Date().toISOString(),
                    log: tail(output),
                    outputs,
                    ...(status !== "Succeeded"
                        ? {
                              message:
                                  error ??
                                  (reason === "timeout"
                                      ? `timed out after ${Math.round(timeoutMs / 1000)}s`
                                      : reason === "terminated"
                                        ? "terminated"
                                        : `exited with code ${code}`),
                          }
                        : {}),
                });
            };
            child.on("error", (e) => finish(null, `could not start: ${e.message}`));
            child.on("close", (code) => finish(code));
        });
    },
};
