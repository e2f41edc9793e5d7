import * as path from "path";
import type { ParsedArgs } from "./args";
import { stringFlag } from "./args";
import { defaultCacheDir } from "../engine/engineLocator";

/** Colours only when writing to a terminal and NO_COLOR is unset. */
export interface Style {
    readonly green: (s: string) => string;
    readonly red: (s: string) => string;
    readonly yellow: (s: string) => string;
    readonly dim: (s: string) => string;
    readonly bold: (s: string) => string;
}

export function makeStyle(enabled: boolean): Style {
    const wrap = (code: number, reset: number) => (s: string) =>
        enabled ? `\x1b[${code}m${s}\x1b[${reset}m` : s;
    return {
        green: wrap(32, 39),
        red: wrap(31, 39),
        yellow: wrap(33, 39),
        dim: wrap(2, 22),
        bold: wrap(1, 22),
    };
}

/** Everything a command needs from the outside world; the only place argv and the environment are read. */
export interface CliContext {
    readonly args: ParsedArgs;
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    /** `--config`: a directory of YAML manifests or a JS/TS module (default ./promotions). */
    readonly configPath: string;
    /** The directory of the definitions (local workflow commands run there). */
    readonly configDir: string;
    /** `--state`: a Pulumi backend URL (default file://<config dir>/.promotions/state). */
    readonly stateUrl: string;
    readonly passphrase: string;
    readonly cacheDir: string;
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly style: Style;
    /** True when stdout is a terminal (live progress redraws in place). */
    readonly interactive: boolean;
}

/** The passphrase used when PULUMI_CONFIG_PASSPHRASE is unset: fine for local state, documented in the README. */
export const localDefaultPassphrase = "promotions-local";

export function makeContext(
    args: ParsedArgs,
    env: NodeJS.ProcessEnv,
    cwd: string,
    io: { out: (s: string) => void; err: (s: string) => void; isTTY: boolean },
): CliContext {
    const configPath = path.resolve(cwd, stringFlag(args, "config") ?? env.PROMOTIONS_CONFIG ?? "promotions");
    const configDir = /\.(js|ts|cjs|mjs)$/.test(configPath) ? path.dirname(configPath) : configPath;
    const stateUrl =
        stringFlag(args, "state") ??
        env.PROMOTIONS_STATE ??
        `file://${path.join(configDir, ".promotions", "state")}`;
    const colour = io.isTTY && env.NO_COLOR === undefined && args.flags["no-color"] === undefined;
    return {
        args,
        env,
        cwd,
        configPath,
        configDir,
        stateUrl,
        passphrase: env.PULUMI_CONFIG_PASSPHRASE ?? localDefaultPassphrase,
        cacheDir: defaultCacheDir(env),
        out: io.out,
        err: io.err,
        style: makeStyle(colour),
        interactive: io.isTTY,
    };
}
