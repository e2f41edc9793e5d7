import type { ChildProcess } from "child_process";
import { spawn } from "child_process";
import * as path from "path";
import { packageRoot } from "../../engine/pulumi/engineLocator";

export interface CliResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export interface RunningCli {
    readonly child: ChildProcess;
    readonly done: Promise<CliResult>;
    /** stdout and stderr so far. */
    output(): string;
    /** Resolves when the output so far matches `re`. */
    waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
    /** Kills whatever is left of the CLI's process group (the `pulumi` and plugin processes it started). */
    killGroup(): void;
}

/** Starts the real `promote` executable (bin/promote) as a user would. */
export function startCli(
    args: readonly string[],
    /** `bin`: a program that runs `promote` (e.g. `unshare`), given `args` (which name bin/promote). */
    /** `bareEnv`: the child gets PATH, HOME and `env` only, not this process's environment. */
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string; bareEnv?: boolean } = {},
): RunningCli {
    const inherited = opts.bareEnv
        ? { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" }
        : process.env;
    // Its own process group, so a test can clean up everything it started, even after killing it.
    const child = spawn(opts.bin ?? path.join(packageRoot, "bin", "promote"), args, {
        cwd: opts.cwd ?? packageRoot,
        env: { ...inherited, NO_COLOR: "1", ...opts.env },
        detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CliResult>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    return {
        child,
        done,
        output: () => stdout + stderr,
        killGroup: () => {
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // already gone
            }
        },
        waitFor: async (re, timeoutMs = 120_000) => {
            const deadline = Date.now() + timeoutMs;
            while (!re.test(stdout + stderr)) {
                if (Date.now() > deadline || child.exitCode !== null) {
                    throw new Error(`timed out waiting for ${re} in:\n${stdout}${stderr}`);
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        },
    };
}

/** Runs the real `promote` executable to completion. */
export function runCli(
    args: readonly string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; bareEnv?: boolean } = {},
): Promise<CliResult> {
    return startCli(args, opts).done;
}
