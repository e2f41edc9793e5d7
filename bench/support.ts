import { execFileSync } from "child_process";

/** Git as the benchmarks' scripted users run it (a fixed identity). */
export const gitEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@x",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@x",
};

export const git = (args: string[], cwd?: string): string =>
    execFileSync("git", args, { cwd, env: gitEnv, stdio: "pipe" }).toString().trim();

export const median = (xs: readonly number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
