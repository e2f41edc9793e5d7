import { InvalidInputError } from "../model/errors";

/** Parsed command line: global options, the command, its flags and positionals. */
export interface ParsedArgs {
    readonly command: string | undefined;
    readonly flags: Readonly<Record<string, string | boolean>>;
    readonly positionals: readonly string[];
}

/** Flags that take no value. Every other `--flag` takes the next word (or `--flag=value`). */
const booleanFlags = new Set(["json", "help", "version", "no-color", "once"]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
    const flags: Record<string, string | boolean> = {};
    const positionals: string[] = [];
    let command: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--") {
            positionals.push(...argv.slice(i + 1));
            break;
        }
        if (arg === "-h") {
            flags.help = true;
            continue;
        }
        if (arg.startsWith("--")) {
            const eq = arg.indexOf("=");
            const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
            if (eq >= 0) {
                flags[name] = arg.slice(eq + 1);
            } else if (booleanFlags.has(name)) {
                flags[name] = true;
            } else {
                const value = argv[i + 1];
                if (value === undefined || value.startsWith("--")) {
                    throw new InvalidInputError(`option --${name} needs a value`);
                }
                flags[name] = value;
                i++;
            }
            continue;
        }
        if (command === undefined) {
            command = arg;
        } else {
            positionals.push(arg);
        }
    }
    return { command, flags, positionals };
}

/** A string flag, or undefined; a boolean where a value was expected is an input error. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
    const v = args.flags[name];
    if (v === undefined) {
        return undefined;
    }
    if (typeof v !== "string") {
        throw new InvalidInputError(`option --${name} needs a value`);
    }
    return v;
}

export function requireFlag(args: ParsedArgs, name: string, hint: string): string {
    const v = stringFlag(args, name);
    if (v === undefined) {
        throw new InvalidInputError(`missing --${name}: ${hint}`);
    }
    return v;
}

/** Rejects flags a command does not know, naming them all at once. */
export function checkFlags(args: ParsedArgs, allowed: readonly string[]): void {
    const known = new Set([...allowed, "config", "state", "help", "no-color"]);
    const unknown = Object.keys(args.flags).filter((f) => !known.has(f));
    if (unknown.length > 0) {
        throw new InvalidInputError(
            `unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((f) => `--${f}`).join(", ")} ` +
                `for '${args.command}' (run 'promote ${args.command} --help')`,
        );
    }
}
