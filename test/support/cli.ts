import { spawn } from "child_process";
import * as path from "path";
import { packageRoot } from "../../engine/engineLocator";

export interface CliResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs the real `promote` executable (bin/promote) as a user would. */
export function runCli(
    args: readonly string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(packageRoot, "bin", "promote"), args, {
            cwd: opts.cwd ?? packageRoot,
            env: { ...process.env, NO_COLOR: "1", ...opts.env },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}
