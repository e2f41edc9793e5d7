import { parseArgs } from "node:util";
import { InvalidInputError } from "../model/errors";
import { completionSpec } from "./commands/completion.args";
import { approveSpec, rejectSpec } from "./commands/decision.args";
import { doctorSpec } from "./commands/doctor.args";
import { graphSpec } from "./commands/graph.args";
import { holdSpec, holdsSpec, releaseHoldSpec } from "./commands/hold.args";
import { initSpec } from "./commands/init.args";
import { previewSpec } from "./commands/preview.args";
import { promoteSpec } from "./commands/promote.args";
import { pruneSpec } from "./commands/prune.args";
import { releaseSpec, terminateSpec } from "./commands/release.args";
import { releasesSpec } from "./commands/releases.args";
import { resumeSpec } from "./commands/resume.args";
import { retrySpec } from "./commands/retry.args";
import { rollbackSpec } from "./commands/rollback.args";
import { serveSpec } from "./commands/serve.args";
import { stackSpec } from "./commands/stack.args";
import { tokenSpec } from "./commands/token.args";
import { triggerSpec } from "./commands/trigger.args";
import { validateSpec } from "./commands/validate.args";
import { watchSpec } from "./commands/watch.args";
import type { CliSettings, GlobalOptions } from "./context";
import type { CommandSpec, OptionsConfig, Values } from "./spec";
import { UsageError } from "./spec";

/**
 * The command line, parsed once: global options, then one options object per command (`XxxCommandOptions`)
 * built from its own flags. Each command's spec lives beside it (`cli/commands/<command>.args.ts`); this file
 * lists them and parses argv. Nothing else reads argv.
 */

export type { CommandSpec } from "./spec";
export { UsageError } from "./spec";
export type { CompletionCommandOptions } from "./commands/completion.args";
export type { DecisionCommandOptions } from "./commands/decision.args";
export type { DoctorCommandOptions } from "./commands/doctor.args";
export type { GraphCommandOptions } from "./commands/graph.args";
export type { HoldCommandOptions, HoldsCommandOptions } from "./commands/hold.args";
export type { InitCommandOptions } from "./commands/init.args";
export type { PreviewCommandOptions } from "./commands/preview.args";
export type { PromoteCommandOptions } from "./commands/promote.args";
export type { PruneCommandOptions } from "./commands/prune.args";
export type { ReleaseIdCommandOptions } from "./commands/release.args";
export type { ReleasesCommandOptions } from "./commands/releases.args";
export type { ResumeCommandOptions } from "./commands/resume.args";
export type { RetryCommandOptions } from "./commands/retry.args";
export type { RollbackCommandOptions } from "./commands/rollback.args";
export type { ServeCommandOptions } from "./commands/serve.args";
export type { StackCommandOptions } from "./commands/stack.args";
export type { TokenCommandOptions } from "./commands/token.args";
export type { TriggerCommandOptions } from "./commands/trigger.args";
export type { ValidateCommandOptions } from "./commands/validate.args";
export type { WatchCommandOptions } from "./commands/watch.args";
export type { NoWaitOption } from "./spec";
export type { GlobalOptions } from "./context";

/** Options every command takes. */
export const globalOptions = {
    config: { type: "string" },
    state: { type: "string" },
    "no-color": { type: "boolean" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
} as const satisfies OptionsConfig;

/** What the global options do, for help, the CLI reference and completion. */
export const globalHelp: Readonly<Record<keyof typeof globalOptions, string>> = {
    config: "a directory of YAML manifests, or a JS/TS module exporting definitions (default ./promotions)",
    state: "a Pulumi backend URL (default file://<config>/.promotions/state)",
    "no-color": "no colours in the output (also NO_COLOR=1)",
    help: "print the usage of promote, or of the command",
    version: "print the version",
};

/** The commands, in the order `promote --help` lists them. */
export const commandSpecs = {
    validate: validateSpec,
    graph: graphSpec,
    preview: previewSpec,
    stack: stackSpec,
    trigger: triggerSpec,
    promote: promoteSpec,
    releases: releasesSpec,
    release: releaseSpec,
    retry: retrySpec,
    approve: approveSpec,
    reject: rejectSpec,
    resume: resumeSpec,
    terminate: terminateSpec,
    hold: holdSpec,
    "release-hold": releaseHoldSpec,
    holds: holdsSpec,
    prune: pruneSpec,
    rollback: rollbackSpec,
    watch: watchSpec,
    serve: serveSpec,
    token: tokenSpec,
    init: initSpec,
    doctor: doctorSpec,
    completion: completionSpec,
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandSpecs;
export type CommandOptions<C extends CommandName> = ReturnType<(typeof commandSpecs)[C]["build"]>;

export function isCommand(name: string): name is CommandName {
    return Object.prototype.hasOwnProperty.call(commandSpecs, name);
}

/** What the command line asks for, before any option object is built. */
export type CommandLine =
    | { readonly kind: "help"; readonly command?: CommandName }
    | { readonly kind: "version" }
    /** No command at all: the usage, exit code 2. */
    | { readonly kind: "usage" }
    | {
          readonly kind: "command";
          readonly command: CommandName;
          readonly globals: GlobalOptions;
          readonly values: Values;
          readonly positionals: readonly string[];
      };

/** Every option that takes a value, of any command: `--state X` before the command must not be taken for it. */
const valueOptions = new Set(
    [globalOptions, ...Object.values(commandSpecs).map((c) => c.options as OptionsConfig)].flatMap((o) =>
        Object.entries(o)
            .filter(([, d]) => d.type === "string")
            .map(([n]) => `--${n}`),
    ),
);

/** The command word: the first argument that is neither an option nor an option's value. */
function findCommand(argv: readonly string[]): number {
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            return -1;
        }
        if (!a.startsWith("-")) {
            return i;
        }
        if (valueOptions.has(a)) {
            i++;
        }
    }
    return -1;
}

function usageOf(command: CommandName | undefined, fullUsage: () => string): string {
    return command ? `usage: ${commandSpecs[command].usage}` : fullUsage();
}

/**
 * Parses argv with `node:util` parseArgs (strict): the global options and the command's own, nothing else.
 * Throws {@link UsageError} naming every unknown option, an option without its value, or a stray argument.
 */
export function parseCommandLine(argv: readonly string[], fullUsage: () => string): CommandLine {
    const at = findCommand(argv);
    const word = at >= 0 ? argv[at] : undefined;
    if (word !== undefined && word !== "help" && !isCommand(word)) {
        throw new UsageError(`unknown command '${word}'`, fullUsage());
    }
    const command = word === undefined || word === "help" ? undefined : word;
    const options: OptionsConfig = { ...globalOptions, ...(command ? commandSpecs[command].options : {}) };
    const args = argv.filter((_, i) => i !== at);
    const usage = usageOf(command, fullUsage);
    const where = command ? ` for '${command}'` : "";

    // A lenient pass first, to name every unknown option at once.
    const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
    const unknown = [
        ...new Set(
            tokens
                .filter((t) => t.kind === "option" && !Object.hasOwn(options, t.name))
                .map((t) => (t.kind === "option" ? t.rawName : "")),
        ),
    ];
    if (unknown.length > 0) {
        throw new UsageError(
            `unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}${where}`,
            usage,
        );
    }
    let parsed: { values: Values; positionals: string[] };
    try {
        parsed = parseArgs({ args, options, strict: true, allowPositionals: true }) as typeof parsed;
    } catch (e) {
        const name = /'(--?[\w-]+)/.exec((e as Error).message)?.[1] ?? "?";
        const takesValue = valueOptions.has(name);
        throw new UsageError(
            takesValue ? `option ${name} needs a value` : `option ${name} takes no value`,
            usage,
        );
    }
    const { values, positionals } = parsed;
    if (word === "help") {
        const about = positionals[0];
        return about !== undefined && isCommand(about) ? { kind: "help", command: about } : { kind: "help" };
    }
    if (values.version === true) {
        return { kind: "version" };
    }
    if (values.help === true) {
        return command ? { kind: "help", command } : { kind: "help" };
    }
    if (!command) {
        return { kind: "usage" };
    }
    const allowed = (commandSpecs[command] as CommandSpec).positionals ?? [];
    if (positionals.length > allowed.length) {
        throw new UsageError(`unexpected argument '${positionals[allowed.length]}'${where}`, usage);
    }
    return {
        kind: "command",
        command,
        globals: {
            ...(typeof values.config === "string" ? { config: values.config } : {}),
            ...(typeof values.state === "string" ? { state: values.state } : {}),
            noColor: values["no-color"] === true,
        },
        values,
        positionals,
    };
}

/** The options object of a parsed command; an invalid value throws {@link UsageError} with its usage. */
export function buildOptions<C extends CommandName>(
    command: C,
    values: Values,
    positionals: readonly string[],
    settings: CliSettings,
): CommandOptions<C> {
    const spec = commandSpecs[command] as CommandSpec<CommandOptions<C>>;
    try {
        return spec.build(values, positionals, settings);
    } catch (e) {
        if (e instanceof InvalidInputError && !(e instanceof UsageError) && e.path?.startsWith("--")) {
            throw new UsageError(e.message, `usage: ${spec.usage}`);
        }
        throw e;
    }
}
