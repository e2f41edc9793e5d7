import type { ParseArgsConfig } from "node:util";
import * as path from "path";
import type { ReleaseTarget } from "../engine/record/plannedRelease";
import { parseDuration } from "../model/duration";
import { InvalidInputError } from "../model/errors";
import type { CliSettings } from "./context";

/**
 * What a command's option spec is made of: the spec's shape, the readers that turn parsed values into an
 * options object, and the options several commands share. Each command's own spec lives beside it, in
 * `cli/commands/<command>.args.ts`; `cli/args.ts` lists them and parses argv.
 */

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
export type Values = Readonly<Record<string, string | boolean | undefined>>;

/** A command's flags, usage, help and how its options object is built from them. */
export interface CommandSpec<O = unknown> {
    readonly summary: string;
    readonly usage: string;
    readonly options: OptionsConfig;
    /**
     * One line per option and positional the command takes, for `promote help CMD`, the CLI reference and
     * shell completion. Options shared by several commands are described once, in {@link sharedHelp}.
     */
    readonly help: Readonly<Record<string, string>>;
    /** Names of the positionals it takes (e.g. `["ID"]`); none by default. */
    readonly positionals?: readonly string[];
    /** Values a positional takes, when they are a fixed list (completion offers them). */
    readonly choices?: Readonly<Record<string, readonly string[]>>;
    readonly build: (values: Values, positionals: readonly string[], settings: CliSettings) => O;
}

/** A wrong command line: the message, and the usage to print after it. Exit code 2. */
export class UsageError extends InvalidInputError {
    constructor(
        message: string,
        readonly usage: string,
    ) {
        super(message, { path: "argv" });
    }
}

export function text(values: Values, name: string): string | undefined {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
}

export function required(values: Values, name: string, what: string): string {
    const v = text(values, name);
    if (v === undefined || v === "") {
        throw new InvalidInputError(`missing --${name}: ${what}`, { path: `--${name}` });
    }
    return v;
}

export const flag = (values: Values, name: string): boolean => values[name] === true;

export function duration(values: Values, name: string, fallback?: string): number | undefined {
    const raw = text(values, name) ?? fallback;
    if (raw === undefined) {
        return undefined;
    }
    const ms = parseDuration(raw);
    if (ms === undefined) {
        throw new InvalidInputError(`--${name} "${raw}": a positive duration such as 30s or 5m`, {
            path: `--${name}`,
        });
    }
    return ms;
}

/** A repeatable option (`multiple: true`): every value given, in order. */
export function texts(values: Values, name: string): string[] {
    const v = (values as Readonly<Record<string, unknown>>)[name];
    return Array.isArray(v)
        ? v.filter((x): x is string => typeof x === "string")
        : typeof v === "string"
          ? [v]
          : [];
}

/** `--as USER`: who acts when the CLI writes the state directly (else as cli/actor.ts resolves it). */
export const asOption = { as: { type: "string" } } as const;
export const actorOf = (v: Values, s: CliSettings) => text(v, "as") || s.actor;

/** `--product P[,Q]`: a comma-separated list, or undefined when none is given. */
export function products(values: Values): readonly string[] | undefined {
    const list = text(values, "product")
        ?.split(",")
        .map((p) => p.trim())
        .filter(Boolean);
    return list && list.length > 0 ? list : undefined;
}

export function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
    const v = text(values, name);
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) {
        throw new InvalidInputError(`unknown --${name} "${v}": ${allowed.join(", ")}`, { path: `--${name}` });
    }
    return v as T | undefined;
}

export function distinct(from: string, to: string): void {
    if (from === to) {
        throw new InvalidInputError(`--from and --to are both "${from}": promote to another environment`, {
            path: "--to",
        });
    }
}

/** `--flow F` or `--from ENV --to ENV`. */
export function target(values: Values): ReleaseTarget {
    const flow = text(values, "flow");
    const from = text(values, "from");
    const to = text(values, "to");
    if (flow && (from || to)) {
        throw new InvalidInputError("give either --flow F or --from ENV --to ENV, not both");
    }
    if (flow) {
        return { flow };
    }
    if (from && to) {
        distinct(from, to);
        return { from, to };
    }
    throw new InvalidInputError(
        `missing ${from ? "--to ENV" : to ? "--from ENV" : "--flow F (or --from ENV --to ENV)"}`,
    );
}

export const json = { json: { type: "boolean" } } as const;
export const overrideHold = {
    "override-hold": { type: "boolean" },
    "override-window": { type: "boolean" },
} as const;
export const noWait = { "no-wait": { type: "boolean" } } as const;
/** `--message TEXT`: written into the body of each promotion commit. */
export const message = { message: { type: "string" } } as const;
export const messageOf = (v: Values) => (text(v, "message") ? { message: text(v, "message")! } : {});
export const noWaitOf = (v: Values) => (flag(v, "no-wait") ? { noWait: true as const } : {});
export const overrideHoldOf = (v: Values) => ({
    ...(flag(v, "override-hold") ? { overrideHold: true } : {}),
    ...(flag(v, "override-window") ? { overrideWindow: true } : {}),
});
export const sourceCommit = { "source-commit": { type: "string" } } as const;

/** `--policy-pack DIR`, repeatable: policy packs for every environment, on top of the policies' own. */
export const policyPack = { "policy-pack": { type: "string", multiple: true } } as const;
export const policyPacksOf = (v: Values): { policyPacks?: readonly string[] } => {
    const raw = (v as Readonly<Record<string, unknown>>)["policy-pack"];
    const dirs = (Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : []).filter(
        (d): d is string => typeof d === "string" && d !== "",
    );
    return dirs.length > 0 ? { policyPacks: dirs.map((d) => path.resolve(d)) } : {};
};

/** `--no-wait`: return (exit code 4) as soon as the release is Suspended, leaving it for `resume`. */
export interface NoWaitOption {
    readonly noWait?: true;
}

/** The help of options that several commands take, said once. */
export const sharedHelp: Readonly<Record<string, string>> = {
    json: "print JSON instead of text",
    as: "who acts, recorded on the release or decision (default: the CI's actor, git's user, the OS user)",
    "no-wait": "return as soon as the release is Suspended (exit code 4); `promote resume` continues it",
    message: "a message written into the body of each promotion commit",
    "source-commit":
        "promote the values at this commit of the source application (default: its branch's tip)",
    "policy-pack": "run this policy pack (a directory) against every environment; repeatable",
    "override-hold": "run through held environments (recorded on the release)",
    "override-window": "run outside the environments' promotion windows (recorded on the release)",
    product: "the product",
    ID: "a release id (see `promote releases`)",
};

/** `--product P --environment E [--as USER]` of the hold and rollback commands. */
export function holdTarget(v: Values, s: CliSettings, what: string) {
    return {
        product: required(v, "product", `the product whose environment to ${what}`),
        environment: required(v, "environment", `the environment to ${what}`),
        by: text(v, "as") || s.actor,
        json: flag(v, "json"),
    };
}
