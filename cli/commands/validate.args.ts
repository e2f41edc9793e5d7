import type { CommandSpec } from "../spec";

export interface ValidateCommandOptions {
    readonly configPath: string;
}

export const validateSpec = {
    summary: "load and check the definitions; print a summary or every problem (exit code 2)",
    usage: "promote [--config DIR|MODULE] validate",
    options: {},
    help: {},
    build: (_v, _p, s): ValidateCommandOptions => ({ configPath: s.configPath }),
} satisfies CommandSpec<ValidateCommandOptions>;
