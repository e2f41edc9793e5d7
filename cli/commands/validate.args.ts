import type { CommandSpec } from "../spec";

export interface ValidateCommandOptions {
    readonly configPath: string;
    /** Where checked definitions are kept while their files are unchanged (none: always parsed). */
    readonly definitionsCacheDir?: string;
}

export const validateSpec = {
    summary: "load and check the definitions; print a summary or every problem (exit code 2)",
    usage: "promote [--config DIR|MODULE] validate",
    options: {},
    help: {},
    build: (_v, _p, s): ValidateCommandOptions => ({
        configPath: s.configPath,
        definitionsCacheDir: s.definitionsCacheDir,
    }),
} satisfies CommandSpec<ValidateCommandOptions>;
