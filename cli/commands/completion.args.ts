import { InvalidInputError } from "../../model/errors";
import type { CommandSpec } from "../spec";

export const shells = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof shells)[number];

export interface CompletionCommandOptions {
    readonly shell: Shell;
}

export const completionSpec = {
    summary: "print a shell completion script for bash, zsh or fish",
    usage: "promote completion bash|zsh|fish",
    options: {},
    help: { SHELL: "bash, zsh or fish" },
    positionals: ["SHELL"],
    choices: { SHELL: shells },
    build: (_v, positionals): CompletionCommandOptions => {
        const shell = positionals[0];
        if (!(shells as readonly string[]).includes(shell ?? "")) {
            throw new InvalidInputError(
                `${shell === undefined ? "missing shell" : `unknown shell "${shell}"`}: promote completion bash|zsh|fish`,
                { path: "SHELL" },
            );
        }
        return { shell: shell as Shell };
    },
} satisfies CommandSpec<CompletionCommandOptions>;
