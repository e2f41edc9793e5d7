import type { ParsedArgs } from "./args";
import { checkFlags, parseArgs } from "./args";
import type { CliContext } from "./context";
import { makeContext } from "./context";
import { PromotionError } from "../model/errors";

interface Command {
    readonly summary: string;
    readonly usage: string;
    readonly flags: readonly string[];
    readonly run: (ctx: CliContext) => Promise<number>;
}

/** Commands load their modules lazily so `promote doctor` works even when something heavier is broken. */
const commands: Record<string, Command> = {
    validate: {
        summary: "load and check the definitions; print a summary or every problem (exit code 2)",
        usage: "promote [--config DIR|MODULE] validate",
        flags: [],
        run: async (ctx) => (await import("./commands/validate")).validate(ctx),
    },
    graph: {
        summary: "draw a flow: layers and critical path, or Mermaid / Graphviz DOT",
        usage: "promote graph --flow F [--format text|mermaid|dot] [--product P]",
        flags: ["flow", "format", "product"],
        run: async (ctx) => (await import("./commands/graph")).graph(ctx),
    },
    preview: {
        summary: "show what a release would change in every environment (writes nothing)",
        usage: "promote preview --product P (--flow F | --from ENV --to ENV) [--source-commit SHA] [--json]",
        flags: ["product", "flow", "from", "to", "source-commit", "json"],
        run: async (ctx) => (await import("./commands/preview")).preview(ctx),
    },
    trigger: {
        summary: "run a flow as a release, with live progress",
        usage: "promote trigger --product P --flow F [--source-commit SHA] [--json]",
        flags: ["product", "flow", "source-commit", "json"],
        run: async (ctx) => (await import("./commands/trigger")).trigger(ctx),
    },
    promote: {
        summary: "promote to one environment (flow 'manual'); policy fields overridable",
        usage: "promote promote --product P --from ENV --to ENV [--action commit|pr|none] [--pre-action W] [--post-action W] [--source-commit SHA] [--json]",
        flags: ["product", "from", "to", "action", "pre-action", "post-action", "source-commit", "json"],
        run: async (ctx) => (await import("./commands/trigger")).promote(ctx),
    },
    releases: {
        summary: "list a product's releases, newest first",
        usage: "promote releases --product P [--json]",
        flags: ["product", "json"],
        run: async (ctx) => (await import("./commands/releases")).releases(ctx),
    },
    release: {
        summary: "show one release: environments, applications, commits, changes",
        usage: "promote release ID [--json]",
        flags: ["json"],
        run: async (ctx) => (await import("./commands/releases")).release(ctx),
    },
    retry: {
        summary: "resume a Failed or Terminated release from where it stopped (same id)",
        usage: "promote retry ID [--json]",
        flags: ["json"],
        run: async (ctx) => (await import("./commands/releases")).retry(ctx),
    },
    terminate: {
        summary: "stop a queued or running release",
        usage: "promote terminate ID [--json]",
        flags: ["json"],
        run: async (ctx) => (await import("./commands/releases")).terminate(ctx),
    },
    watch: {
        summary: "follow the trigger branches and release what new commits call for",
        usage: "promote watch [--product P[,Q]] [--interval D] [--once]",
        flags: ["product", "interval", "once"],
        run: async (ctx) => (await import("./commands/watch")).watch(ctx),
    },
    serve: {
        summary: "accept GitHub push webhooks (HMAC-verified) and trigger the same way",
        usage: "promote serve [--port N] [--host H] [--product P[,Q]] [--interval D]",
        flags: ["port", "host", "product", "interval"],
        run: async (ctx) => (await import("./commands/watch")).serve(ctx),
    },
    doctor: {
        summary: "check Node.js, git, the Pulumi engine and the state backend",
        usage: "promote doctor",
        flags: [],
        run: async (ctx) => (await import("./commands/doctor")).doctor(ctx),
    },
};

function usage(): string {
    const width = Math.max(...Object.keys(commands).map((c) => c.length));
    return [
        "promote: GitOps promotions as code, on Pulumi",
        "",
        "usage: promote [--config DIR|MODULE] [--state URL] <command> [options]",
        "  --config   a directory of YAML manifests, or a JS/TS module exporting definitions (default ./promotions)",
        "  --state    a Pulumi backend URL (default file://<config>/.promotions/state)",
        "",
        "commands:",
        ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
        "",
        "exit codes: 0 succeeded (or nothing to do), 1 release Failed or Terminated, 2 invalid input,",
        "            3 environment problem (engine missing, repository unreachable)",
    ].join("\n");
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
    const out = (s: string) => process.stdout.write(`${s}\n`);
    const err = (s: string) => process.stderr.write(`${s}\n`);
    let args: ParsedArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        err(`error: ${(e as Error).message}`);
        return 2;
    }
    if (args.command === undefined || args.command === "help") {
        out(usage());
        return args.command === undefined && !args.flags.help ? 2 : 0;
    }
    const command = commands[args.command];
    if (!command) {
        err(`error: unknown command '${args.command}'\n\n${usage()}`);
        return 2;
    }
    if (args.flags.help) {
        out(`usage: ${command.usage}\n\n${command.summary}`);
        return 0;
    }
    try {
        checkFlags(args, command.flags);
        const ctx = makeContext(args, env, cwd, { out, err, isTTY: Boolean(process.stdout.isTTY) });
        return await command.run(ctx);
    } catch (e) {
        if (e instanceof PromotionError) {
            err(`error: ${e.message}`);
            return e.exitCode;
        }
        err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), process.env, process.cwd()).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`error: ${String(e)}\n`);
            process.exitCode = 1;
        },
    );
}
