import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { redact, secrets } from "../model/redact";
import type { Catalog } from "../components/catalog";
import type * as ConfigModule from "../components/config";
import type { EngineLocation } from "../engine/pulumi/engineLocator";
import { locateEngine, packageRoot } from "../engine/pulumi/engineLocator";
import type { Undelivered } from "../engine/notifications/notifications";
import type { PromoteEngine } from "../engine/promoteEngine";
import { urlPassword } from "../engine/pulumi/stateBackend";
import type { CommandLine, CommandName, CommandOptions } from "./args";
import { buildOptions, parseCommandLine, UsageError } from "./args";
import type { CliDeps, CliSettings, Terminal } from "./context";
import { makeStyle, settingsFrom } from "./context";
import { displayText } from "./display";
import { commandHelp, usage } from "./reference";

/**
 * The only module that knows argv, process.env and the process's streams: it parses the command line once,
 * builds the command's options and the real dependencies, runs the command and turns whatever it throws into
 * an exit code (cli/errors.ts).
 */

type Run<C extends CommandName> = (options: CommandOptions<C>, deps: CliDeps) => Promise<number>;

/** Commands load their modules lazily, so `promote doctor` works even when something heavier is broken. */
const runners: { readonly [C in CommandName]: () => Promise<Run<C>> } = {
    validate: async () => (await import("./commands/validate")).validate,
    graph: async () => (await import("./commands/graph")).graph,
    preview: async () => (await import("./commands/preview")).preview,
    stack: async () => (await import("./commands/stack")).stack,
    trigger: async () => (await import("./commands/trigger")).trigger,
    promote: async () => (await import("./commands/promote")).promote,
    releases: async () => (await import("./commands/releases")).releases,
    release: async () => (await import("./commands/release")).release,
    retry: async () => (await import("./commands/retry")).retry,
    approve: async () => (await import("./commands/approve")).approve,
    reject: async () => (await import("./commands/reject")).reject,
    resume: async () => (await import("./commands/resume")).resume,
    terminate: async () => (await import("./commands/terminate")).terminate,
    hold: async () => (await import("./commands/hold")).hold,
    "release-hold": async () => (await import("./commands/releaseHold")).releaseHold,
    holds: async () => (await import("./commands/hold")).holds,
    prune: async () => (await import("./commands/prune")).prune,
    rollback: async () => (await import("./commands/rollback")).rollback,
    watch: async () => (await import("./commands/watch")).watch,
    serve: async () => (await import("./commands/serve")).serve,
    token: async () => (await import("./commands/token")).token,
    init: async () => (await import("./commands/init")).init,
    doctor: async () => (await import("./commands/doctor")).doctor,
    completion: async () => (await import("./commands/completion")).completion,
};

export { usage } from "./reference";

export function packageVersion(): string {
    return (
        JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { version: string }
    ).version;
}

/** The process's streams as the commands see them. */
export interface Streams {
    readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
    readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
}

function once<T>(make: () => T): () => T {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
}

const run = promisify(execFile);

/** The real dependencies for these settings; every engine made is added to `engines`. */
function realDeps(settings: CliSettings, io: Terminal, engines: PromoteEngine[]): CliDeps {
    // Loaded when a command needs definitions: the model pulls in the Pulumi SDK (a second of start-up that
    // `--help`, `--version` and argument errors do not pay).
    const catalog: () => Catalog = once(() =>
        (require("../components/config") as typeof ConfigModule).loadCatalog(
            settings.configPath,
            settings.applicationNamespace ? { applicationNamespace: settings.applicationNamespace } : {},
            { dir: settings.definitionsCacheDir },
        ),
    );
    const located: () => Promise<EngineLocation> = once(() =>
        locateEngine({ cacheDir: settings.cacheDir, searchPath: settings.searchPath }),
    );
    const engine: CliDeps["engine"] = async (onProgress, extras) => {
        const made = (await import("./engine")).createEngine(
            settings,
            catalog(),
            await located(),
            onProgress,
            extras,
        );
        engines.push(made);
        return made;
    };
    return {
        engine,
        catalog,
        ...(settings.server ? { server: settings.server } : {}),
        watcher: async (o) =>
            (await import("./engine")).createWatcher(
                settings,
                catalog(),
                await engine(o.onProgress, o.extras),
                o,
            ),
        tokens: once(async () => {
            const { AccessStore } = await import("../engine/store/accessStore");
            const { openKvStore } = await import("../engine/store");
            const { migrateTokens, migrationLine } = await import("../engine/store/migrate");
            const { legacyStacks } = await import("../engine/pulumi/workspace");
            const kv = openKvStore(settings.storeUrl ?? settings.stateUrl);
            return new AccessStore(kv, async () => {
                const legacy = legacyStacks({
                    engine: await located(),
                    backendUrl: settings.stateUrl,
                    passphrase: settings.passphrase,
                    inheritedPath: settings.searchPath,
                });
                const line = migrationLine("API tokens", await migrateTokens(kv, legacy));
                if (line) {
                    process.stderr.write(`note: ${line}\n`);
                }
            });
        }),
        system: {
            locateEngine: located,
            exec: async (file, args, opts) => {
                const { stdout, stderr } = await run(file, [...args], {
                    env: { ...process.env, ...opts.env },
                    timeout: opts.timeoutMs,
                    cwd: process.env.HOME ?? "/",
                });
                return { stdout: String(stdout), stderr: String(stderr) };
            },
        },
        io,
        clock: { now: () => Date.now() },
        stopSignal: once(() => {
            const controller = new AbortController();
            // `on`, not `once`: the Automation API's child-process cleanup (signal-exit) re-raises a signal
            // when its own listeners are the only ones left, which a `once` listener, removed as it runs,
            // would leave them; the process then died of the signal instead of finishing its poll. A second
            // signal ends the process at once.
            for (const [sig, code] of [
                ["SIGINT", 130],
                ["SIGTERM", 143],
            ] as const) {
                process.on(sig, () => (controller.signal.aborted ? process.exit(code) : controller.abort()));
            }
            return controller.signal;
        }),
    };
}

function redacting(streams: Streams): Streams {
    const wrap = (s: Streams["stdout"]): Streams["stdout"] => ({
        write: (text: string) => s.write(redact(text)),
        isTTY: s.isTTY,
    });
    return { stdout: wrap(streams.stdout), stderr: wrap(streams.stderr) };
}

function terminal(streams: Streams, colour: boolean): Terminal {
    return {
        out: (s) => void streams.stdout.write(`${s}\n`),
        err: (s) => void streams.stderr.write(`${s}\n`),
        errRaw: (s) => void streams.stderr.write(s),
        interactive: Boolean(streams.stderr.isTTY),
        style: makeStyle(colour),
    };
}

/**
 * Bounds the wait for notifications still being delivered when the command is done (a receiver that hangs
 * must not hold the process), and returns the one line that says what was not delivered, if anything.
 */
async function settleNotifications(
    engines: readonly PromoteEngine[],
    waitMs: number,
): Promise<string | undefined> {
    const left = new Map<string, Undelivered>();
    for (const u of (await Promise.all(engines.map((e) => e.settleNotifications(waitMs)))).flat()) {
        const before = left.get(u.notification);
        left.set(u.notification, { ...u, events: u.events + (before?.events ?? 0) });
    }
    if (left.size === 0) {
        return undefined;
    }
    const each = [...left.values()].map(
        (u) => `"${u.notification}" (${u.receiver}) ${u.events} event${u.events === 1 ? "" : "s"}`,
    );
    return `warning: notifications not delivered within ${waitMs / 1000} s of the command's end (PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS): ${each.join("; ")}`;
}

/** Runs one command line; resolves to the exit code (README, "Exit codes"). */
export async function main(
    argv: readonly string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
    given: Streams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
    // Everything the CLI prints passes through the one redactor, which knows every secret in its environment.
    secrets.addFromEnv(env);
    const streams = redacting(given);
    const err = (s: string) => void streams.stderr.write(`${s}\n`);
    const out = (s: string) => void streams.stdout.write(`${s}\n`);
    let settings: CliSettings | undefined;
    try {
        const line: CommandLine = parseCommandLine(argv, usage);
        switch (line.kind) {
            case "version":
                out(packageVersion());
                return 0;
            case "usage":
                err(usage());
                return 2;
            case "help":
                out(line.command ? commandHelp(line.command) : usage());
                return 0;
        }
        settings = settingsFrom(line.globals, env, cwd, Boolean(streams.stdout.isTTY));
        secrets.add(urlPassword(settings.stateUrl));
        const options = buildOptions(line.command, line.values, line.positionals, settings);
        const engines: PromoteEngine[] = [];
        const deps = realDeps(settings, terminal(streams, settings.colour), engines);
        const command = (await runners[line.command]()) as Run<typeof line.command>;
        try {
            return await command(options as never, deps);
        } finally {
            const unsent = await settleNotifications(engines, settings.notificationsWaitMs);
            if (unsent) {
                err(unsent);
            }
        }
    } catch (e) {
        const { classifyError } = await import("./errors");
        const { exitCode, message } = classifyError(e, {
            ...(settings ? { stateUrl: settings.stateUrl } : {}),
            debug: settings?.debug ?? env.PROMOTIONS_DEBUG === "1",
        });
        if (message) {
            // Messages may span lines (every definition problem); what they quote from outside stays inert.
            err(`error: ${message.split("\n").map(displayText).join("\n")}`);
        }
        if (e instanceof UsageError) {
            err(`\n${e.usage}`);
        }
        return exitCode;
    }
}

if (require.main === module) {
    // Node >= 22.1 keeps the compiled code of the modules it loads on disk (os.tmpdir()/node-compile-cache):
    // commands that load the Pulumi SDK start about a third faster. Elsewhere it just compiles, as before.
    (require("module") as { enableCompileCache?: () => unknown }).enableCompileCache?.();
    // A reader that went away (`promote preview | head`) is not an error: stop quietly.
    for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (e: unknown) => {
            void import("./errors").then(({ classifyError }) => process.exit(classifyError(e).exitCode));
        });
    }
    main(process.argv.slice(2), process.env, process.cwd()).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(redact(`error: ${e instanceof Error ? e.message : String(e)}\n`));
            process.exitCode = 1;
        },
    );
}
