import type { CommandName } from "./args";
import { commandSpecs, globalHelp, globalOptions } from "./args";
import type { Shell } from "./commands/completion.args";
import type { CommandSpec, OptionsConfig } from "./spec";
import { sharedHelp } from "./spec";

/**
 * Everything the CLI says about itself, made from the command specs alone: `promote --help`, `promote help
 * CMD`, the CLI reference (docs/cli.md) and the shell completion scripts. None of it is written by hand, so
 * none of it can drift from what the parser accepts.
 */

const exitCodes = [
    "exit codes: 0 succeeded (or nothing to do), 1 release Failed or Terminated, 2 invalid input,",
    "            3 environment problem (engine missing, repository or state backend unreachable), 4 waiting",
];

const names = (): CommandName[] => Object.keys(commandSpecs) as CommandName[];
const spec = (name: CommandName): CommandSpec => commandSpecs[name] as CommandSpec;

/** The option's or positional's one line of help: the command's own, else the shared one. */
export function describe(command: CommandName, name: string): string | undefined {
    return spec(command).help[name] ?? sharedHelp[name];
}

/** `--name VALUE` or `--name`, with `...` for a repeatable option; VALUE is the name the usage gives it. */
function optionLabel(name: string, o: OptionsConfig[string], usage: string): string {
    const named = new RegExp(`--${name} ([^\\s\\[\\]()]+)`).exec(usage)?.[1];
    const value = o.type === "string" ? ` ${named ?? "VALUE"}` : "";
    return `--${name}${value}${o.multiple ? "..." : ""}`;
}

const globalUsage = "promote [--config DIR|MODULE] [--state URL] <command> [options]";

interface Row {
    readonly label: string;
    readonly help: string;
}

function rows(command: CommandName): Row[] {
    const s = spec(command);
    return [
        ...(s.positionals ?? []).map((p) => ({ label: p, help: describe(command, p) ?? "" })),
        ...Object.entries(s.options).map(([n, o]) => ({
            label: optionLabel(n, o, s.usage),
            help: describe(command, n) ?? "",
        })),
    ];
}

const globalRows = (): Row[] =>
    Object.entries(globalOptions).map(([n, o]) => ({
        label: optionLabel(n, o, globalUsage),
        help: globalHelp[n as keyof typeof globalHelp],
    }));

function table(list: readonly Row[]): string[] {
    const width = Math.max(0, ...list.map((r) => r.label.length));
    return list.map((r) => `  ${r.label.padEnd(width)}  ${r.help}`);
}

/** `promote --help`. */
export function usage(): string {
    const width = Math.max(...names().map((c) => c.length));
    return [
        "promote: GitOps promotions as code, on Pulumi",
        "",
        `usage: ${globalUsage}`,
        ...table(globalRows().filter((r) => /^--(config|state|version)/.test(r.label))),
        "",
        "commands:",
        ...names().map((name) => `  ${name.padEnd(width)}  ${spec(name).summary}`),
        "",
        "'promote help CMD' shows a command's options.",
        "",
        ...exitCodes,
    ].join("\n");
}

/** `promote help CMD`: its usage, what it does, and each option. */
export function commandHelp(command: CommandName): string {
    const own = rows(command);
    return [
        `usage: ${spec(command).usage}`,
        "",
        spec(command).summary,
        ...(own.length > 0 ? ["", "options:", ...table(own)] : []),
        "",
        "global options:",
        ...table(globalRows()),
    ].join("\n");
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** The CLI reference, as Markdown (docs/cli.md is this, written by `npm run docs`). */
export function cliReference(): string {
    const lines = [
        "# CLI reference",
        "",
        "<!-- Generated from the command specs (cli/commands/*.args.ts) by `npm run docs`; do not edit.",
        "     test/unit/cli/reference.spec.ts fails when this file and the specs differ. -->",
        "",
        "```",
        globalUsage,
        "```",
        "",
        "| global option | |",
        "|---|---|",
        ...globalRows().map((r) => `| \`${r.label}\` | ${cell(r.help)} |`),
        "",
        ...exitCodes.map((l) => l.trim()),
        "",
        'Shell completion: `source <(promote completion bash)`, `promote completion zsh > "${fpath[1]}/_promote"`, ' +
            "`promote completion fish > ~/.config/fish/completions/promote.fish`.",
        "",
        "| command | what it does |",
        "|---|---|",
        ...names().map((n) => `| [\`${n}\`](#${n}) | ${cell(spec(n).summary)} |`),
    ];
    for (const name of names()) {
        const own = rows(name);
        lines.push(
            "",
            `## ${name}`,
            "",
            spec(name).summary.charAt(0).toUpperCase() + spec(name).summary.slice(1) + ".",
            "",
            "```",
            spec(name).usage,
            "```",
        );
        if (own.length > 0) {
            lines.push(
                "",
                "| option | |",
                "|---|---|",
                ...own.map((r) => `| \`${r.label}\` | ${cell(r.help)} |`),
            );
        }
    }
    return `${lines.join("\n")}\n`;
}

/** Every option of a command, global ones included, as `--name`. */
function flagsOf(command: CommandName): string[] {
    return [...Object.keys(spec(command).options), ...Object.keys(globalOptions)].map((n) => `--${n}`);
}

/** Options whose value is a file or directory: completion offers paths for them. */
const pathOptions = new Set(["config", "policy-pack", "plan", "save-plan"]);

function bash(): string {
    const cases = names().map((n) => {
        const choices = Object.values(spec(n).choices ?? {}).flat();
        return `        ${n}) opts="${flagsOf(n).join(" ")}"; words="${choices.join(" ")}" ;;`;
    });
    const valued = [
        ...new Set(
            [globalOptions, ...names().map((n) => spec(n).options)].flatMap((o) =>
                Object.entries(o)
                    .filter(([, d]) => d.type === "string")
                    .map(([n]) => `--${n}`),
            ),
        ),
    ];
    return [
        "# bash completion for promote (generated by `promote completion bash`)",
        "_promote() {",
        '    local cur prev cmd i opts="" words=""',
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        `    case "$prev" in`,
        `        ${[...pathOptions].map((p) => `--${p}`).join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
        `        ${valued.filter((v) => !pathOptions.has(v.slice(2))).join("|")}) COMPREPLY=(); return ;;`,
        "    esac",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        `            ${valued.join("|")}) ((i++)) ;;`,
        "            -*) ;;",
        '            *) cmd="${COMP_WORDS[i]}"; break ;;',
        "        esac",
        "    done",
        '    if [ -z "$cmd" ]; then',
        `        COMPREPLY=($(compgen -W "${names().join(" ")} help ${Object.keys(globalOptions)
            .map((n) => `--${n}`)
            .join(" ")}" -- "$cur"))`,
        "        return",
        "    fi",
        '    case "$cmd" in',
        ...cases,
        `        help) words="${names().join(" ")}" ;;`,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        "    else",
        '        COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "    fi",
        "}",
        "complete -F _promote promote",
        "",
    ].join("\n");
}

const zshQuote = (s: string) => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, "\\$&");

function zsh(): string {
    const commands = names().map((n) => `        '${n}:${zshQuote(spec(n).summary)}'`);
    const cases = names().map((n) => {
        const args = Object.entries(spec(n).options).map(([o, d]) => {
            const help = zshQuote(describe(n, o) ?? "");
            const value = d.type === "string" ? (pathOptions.has(o) ? ":path:_files" : ":value: ") : "";
            return `'${d.multiple ? "*" : ""}--${o}[${help}]${value}'`;
        });
        const choices = Object.values(spec(n).choices ?? {}).flat();
        if (choices.length > 0) {
            args.push(`'1:${(spec(n).positionals ?? [])[0]}:(${choices.join(" ")})'`);
        }
        return `        ${n}) _arguments ${args.join(" ")} ;;`;
    });
    const globals = Object.entries(globalOptions).map(
        ([o, d]) =>
            `'--${o}[${zshQuote(globalHelp[o as keyof typeof globalHelp])}]${d.type === "string" ? (pathOptions.has(o) ? ":path:_files" : ":value: ") : ""}'`,
    );
    return [
        "#compdef promote",
        "# zsh completion for promote (generated by `promote completion zsh`)",
        "_promote() {",
        "    local -a commands",
        "    commands=(",
        ...commands,
        "    )",
        `    _arguments -C ${globals.join(" ")} '1:command:->command' '*::arg:->args'`,
        "    case $state in",
        "    command) _describe command commands ;;",
        "    args)",
        "        case $words[1] in",
        ...cases,
        "        esac ;;",
        "    esac",
        "}",
        'if [ "$funcstack[1]" = "_promote" ]; then _promote "$@"; else compdef _promote promote; fi',
        "",
    ].join("\n");
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

function fish(): string {
    const lines = [
        "# fish completion for promote (generated by `promote completion fish`)",
        "complete -c promote -f",
        ...Object.entries(globalOptions).map(
            ([o, d]) =>
                `complete -c promote -l ${o}${d.type === "string" ? " -r" : ""} -d ${fishQuote(globalHelp[o as keyof typeof globalHelp])}`,
        ),
        ...names().map(
            (n) => `complete -c promote -n __fish_use_subcommand -a ${n} -d ${fishQuote(spec(n).summary)}`,
        ),
    ];
    for (const n of names()) {
        for (const [o, d] of Object.entries(spec(n).options)) {
            const value = d.type === "string" ? (pathOptions.has(o) ? " -r -F" : " -r") : "";
            lines.push(
                `complete -c promote -n '__fish_seen_subcommand_from ${n}' -l ${o}${value} -d ${fishQuote(describe(n, o) ?? "")}`,
            );
        }
        const choices = Object.values(spec(n).choices ?? {}).flat();
        if (choices.length > 0) {
            lines.push(`complete -c promote -n '__fish_seen_subcommand_from ${n}' -a '${choices.join(" ")}'`);
        }
    }
    return `${lines.join("\n")}\n`;
}

/** `promote completion SHELL`. */
export function completionScript(shell: Shell): string {
    return { bash, zsh, fish }[shell]();
}

if (require.main === module) {
    // `npm run docs`: write the CLI reference.
    process.stdout.write(cliReference());
}
