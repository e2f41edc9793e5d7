import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { setTimeout as sleep } from "node:timers/promises";
import * as semver from "semver";
import {
    CommandError,
    ConcurrentUpdateError,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackAlreadyExistsError,
} from "@pulumi/pulumi/automation";
import type { EngineLocation } from "./engineLocator";
import { enginePath, packageRoot } from "./engineLocator";
import { processAlive, readOr, withDirLock } from "../../provider/dirLock";
import {
    backendObjects,
    displayBackendUrl,
    fileUrlPath,
    readStackResources,
    stackLocks,
    stackSeen,
    storedStackNames,
    urlPassword,
} from "./stateBackend";
import type { StackLock, StoredResource } from "./stateBackend";
import { guardedWrite } from "./stateGuard";

/** How to reach one stack of an inline program. */
export interface StackOptions {
    /** The engine to run (see {@link locateEngine}). */
    readonly engine: EngineLocation;
    /** A Pulumi backend URL: `file:///abs/dir`, `s3://...`, `https://api.pulumi.com`, ... */
    readonly backendUrl: string;
    /** The passphrase of the passphrase secrets provider. */
    readonly passphrase: string;
    readonly projectName: string;
    readonly stackName: string;
    readonly program: PulumiFn;
    /**
     * A directory for the workspace's Pulumi.yaml and stack settings. Defaults to
     * `<dir of a file:// backend>/workspaces/<project>`, else a directory under this package's `.promotions/`.
     */
    readonly workDir?: string;
    /** The PATH to start from (the CLI passes its own; defaults to this process's). */
    readonly inheritedPath?: string;
    /** More environment for the Pulumi CLI and its plugins (e.g. credentials the provider reads). */
    readonly extraEnv?: Readonly<Record<string, string>>;
    /**
     * Whether `up` answers with the stack's outputs and the update's summary, as the Automation API does by
     * asking for them after each update (three more `pulumi` processes). Default false: nothing here reads
     * them, the engine's events say what happened.
     */
    readonly updateResults?: boolean;
}

/**
 * Creates or selects a stack running `program` inline. The engine's plugins run with this package's root as
 * their working directory, so the dynamic-provider host always finds this package's @pulumi/pulumi, wherever
 * the user's configuration lives.
 */
export async function openStack(opts: StackOptions): Promise<Stack> {
    const pulumiCommand = commandFor(opts.engine);
    const workDir = opts.workDir ?? defaultWorkDir(opts.backendUrl, opts.projectName);
    fs.mkdirSync(workDir, { recursive: true });
    if (opts.backendUrl.startsWith("file://")) {
        fs.mkdirSync(fileUrlPath(opts.backendUrl), { recursive: true });
    }
    // Processes starting at once share the workspace directory (its Pulumi.yaml and the stack's settings, which
    // hold the passphrase salt): they open it one at a time, and a stack another process created meanwhile is
    // selected, not created twice.
    return withDirLock(path.join(workDir, ".open-lock"), () =>
        retry(async () => {
            const finish = (stack: Stack) =>
                guarded(
                    opts.updateResults ? stack : lean(stack),
                    opts.backendUrl,
                    opts.projectName,
                    opts.stackName,
                );
            // Other processes' `pulumi` commands read this Pulumi.yaml while they run: it is written only when
            // it changes, whole (the Automation API would rewrite it in place on every open).
            writeIfChanged(
                path.join(workDir, "Pulumi.yaml"),
                [
                    `name: ${JSON.stringify(opts.projectName)}`,
                    "runtime: nodejs",
                    `main: ${JSON.stringify(packageRoot)}`,
                    // A URL with a password (postgres://user:pw@...) stays out of files: the engine gets it
                    // from its environment (PULUMI_BACKEND_URL) only.
                    ...(urlPassword(opts.backendUrl)
                        ? []
                        : ["backend:", `  url: ${JSON.stringify(engineBackendUrl(opts.backendUrl))}`]),
                    "",
                ].join("\n"),
            );
            const workspace = await LocalWorkspace.create({
                program: opts.program,
                workDir,
                pulumiCommand,
                secretsProvider: "passphrase",
                envVars: {
                    ...engineEnv(opts),
                    // Our own dynamic-provider host (see provider/dynamic/providerHost.ts), where the engine's
                    // shim can run it: a second less per update than the SDK's.
                    PROMOTIONS_DYNAMIC_PROVIDER_HOST: providerHost,
                    ...opts.extraEnv,
                },
            });
            // Every command we run names its stack (`--stack`), so selecting one only checks that it exists: a
            // `pulumi stack select` of its own. Where the backend's files show whether the stack exists, skip
            // that check (and the failed select before a new stack's `stack init`).
            const seen = await stackSeen(opts.backendUrl, opts.projectName, opts.stackName);
            if (seen === "exists") {
                workspace.selectStack = () => Promise.resolve();
            } else if (seen === "absent") {
                // Settings left by a stack of that name that no longer exists (a backend wiped and made again)
                // would hold another passphrase's salt: the new stack starts without them.
                fs.rmSync(path.join(workDir, `Pulumi.${opts.stackName}.yaml`), { force: true });
                try {
                    return finish(await Stack.create(opts.stackName, workspace));
                } catch (e) {
                    if (!(e instanceof StackAlreadyExistsError)) {
                        throw e;
                    }
                }
            }
            return finish(await Stack.createOrSelect(opts.stackName, workspace));
        }),
    );
}

/**
 * The stack without the queries the Automation API makes after every `up` (`stack output` twice and
 * `stack history`: three more `pulumi` processes, about a second): its `up` answers with empty outputs and
 * no summary, and its `outputs()`/`info()` with nothing (see {@link StackOptions.updateResults}).
 */
function lean(stack: Stack): Stack {
    return Object.assign(stack, {
        outputs: () => Promise.resolve({}),
        info: () => Promise.resolve(undefined),
    });
}

/**
 * The stack whose updates leave its previous checkpoint readable when they fail part-way (see
 * {@link guardedWrite}: a full disk would otherwise leave it cut short).
 */
function guarded(stack: Stack, backendUrl: string, project: string, stackName: string): Stack {
    const up = stack.up.bind(stack);
    return Object.assign(stack, {
        up: (o?: Parameters<Stack["up"]>[0]) => guardedWrite(backendUrl, project, stackName, () => up(o)),
    });
}

/**
 * Writes `text` to `file` through a temporary file and a rename, unless the file already holds it. A write that
 * fails (a full disk) leaves the file as it was and no temporary file behind.
 */
function writeIfChanged(file: string, text: string): void {
    if (readOr(file, "") === text) {
        return;
    }
    const temp = `${file}.${process.pid}.tmp`;
    try {
        fs.writeFileSync(temp, text);
        fs.renameSync(temp, file);
    } catch (e) {
        fs.rmSync(temp, { force: true });
        throw e;
    }
}

/**
 * The names of a project's stacks: read from the backend where it can be (see {@link storedStackNames}), else
 * asked of the engine through a stack of that project (`open`).
 */
export async function listStackNames(
    backendUrl: string,
    project: string,
    open: () => Promise<Stack>,
): Promise<string[]> {
    const stored = await storedStackNames(backendUrl, project);
    if (stored !== undefined) {
        return stored;
    }
    const stacks = await (await open()).workspace.listStacks();
    return stacks.map((s) => s.name.split("/").pop() ?? s.name);
}

/**
 * Removes the lock a `pulumi` process left on the stack when it was killed mid-update (its `pulumi cancel`),
 * and says whether it did: a lock of this host whose process is gone. Other locks are left alone (another
 * host's are cleared by the queue once that host's release is known dead by its heartbeat: see ReleaseQueue).
 */
export async function clearDeadLocks(
    backendUrl: string,
    project: string,
    stackName: string,
    stack: () => Promise<Stack>,
): Promise<boolean> {
    const locks = await stackLocks(backendUrl, project, stackName);
    const dead = (l: StackLock) => l.hostname === os.hostname() && !processAlive(l.pid);
    if (!locks || locks.length === 0 || !locks.every(dead)) {
        return false;
    }
    await (await stack()).cancel();
    return true;
}

/** Runs `fn` again (up to 5 times, with jitter) when opening a stack raced another process. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (attempt >= 5 || !(e instanceof StackAlreadyExistsError || e instanceof CommandError)) {
                throw e;
            }
            await sleep(100 * attempt + Math.random() * 200);
        }
    }
}

/**
 * The backend URL as our `pulumi` commands get it: a `file://` backend without gocloud.dev's `.attrs` sidecar
 * files (`metadata=skip`): one file per object instead of two, and no sidecar rewritten in place, which a
 * concurrent reader could find empty ("failed to load checkpoint: EOF"). Nothing reads those attributes.
 */
export function engineBackendUrl(backendUrl: string): string {
    if (!backendUrl.startsWith("file://") || /[?&]metadata=/.test(backendUrl)) {
        return backendUrl;
    }
    return `${backendUrl}${backendUrl.includes("?") ? "&" : "?"}metadata=skip`;
}

/** The environment every Pulumi command we run gets: backend, passphrase, quiet checks, and the PATH. */
function engineEnv(opts: {
    engine: EngineLocation;
    backendUrl: string;
    passphrase: string;
    inheritedPath?: string;
}): Record<string, string> {
    return {
        PULUMI_BACKEND_URL: engineBackendUrl(opts.backendUrl),
        PULUMI_CONFIG_PASSPHRASE: opts.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        // A copy of the checkpoint under `.pulumi/backups/` before every update, kept forever: the history
        // (one checkpoint per update, what `pulumi stack history` reads) and `<stack>.json.bak` already hold
        // every checkpoint, and our writes keep the previous one readable (stateGuard.ts).
        PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: "true",
        PATH: enginePath(opts.engine, opts.inheritedPath ?? process.env.PATH ?? ""),
    };
}

/** The promote stacks' dynamic-provider host, which the engine's shim (scripts/pulumi-resource-pulumi-nodejs) runs. */
const providerHost = require.resolve("../../provider/dynamic/providerHost");

const commands = new Map<string, PulumiCommand>();

/**
 * The Automation API's handle on our engine, one per process. `PulumiCommand.get` would run `pulumi version`
 * for every stack opened; the engine's version is already known (the locator checked it), so the handle is
 * made from it. Its plugins are found through the PATH {@link engineEnv} gives.
 */
function commandFor(engine: EngineLocation): PulumiCommand {
    let command = commands.get(engine.pulumi);
    if (command === undefined) {
        command = Object.assign(Object.create(PulumiCommand.prototype) as PulumiCommand, {
            command: engine.pulumi,
            version: semver.parse(engine.version.replace(/^v/, "")),
        });
        commands.set(engine.pulumi, command);
    }
    return command;
}

/**
 * The settings file of a stack opened by {@link openStack} (without a `workDir` of its own): it holds the salt
 * of the stack's passphrase (`encryptionsalt`), which the stack's checkpoint records too.
 */
export function stackSettingsFile(backendUrl: string, project: string, stack: string): string {
    return path.join(defaultWorkDir(backendUrl, project), `Pulumi.${stack}.yaml`);
}

/**
 * A file:// backend keeps its workspaces beside its files; any other backend gets a directory of its own
 * (named by a hash of its URL without the password), so two backends never share a stack's settings.
 */
function defaultWorkDir(backendUrl: string, project: string): string {
    if (backendUrl.startsWith("file://")) {
        return path.join(fileUrlPath(backendUrl), "workspaces", project);
    }
    const key = crypto.createHash("sha256").update(displayBackendUrl(backendUrl)).digest("hex").slice(0, 16);
    return path.join(packageRoot, ".promotions", "workspaces", key, project);
}

/** How to reach one stack of a local program (a directory with Pulumi.yaml, run by the language host). */
export interface LocalStackOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly stackName: string;
    /** The program's directory (with Pulumi.yaml). */
    readonly workDir: string;
    readonly inheritedPath?: string;
}

/** Creates or selects a stack of a local program, as `pulumi up` in its directory would use. */
export async function openLocalStack(opts: LocalStackOptions): Promise<Stack> {
    if (opts.backendUrl.startsWith("file://")) {
        fs.mkdirSync(fileUrlPath(opts.backendUrl), { recursive: true });
    }
    return LocalWorkspace.createOrSelectStack(
        { stackName: opts.stackName, workDir: opts.workDir },
        {
            pulumiCommand: commandFor(opts.engine),
            secretsProvider: "passphrase",
            envVars: engineEnv(opts),
        },
    );
}

/**
 * A `file://` backend read that met another process's write half done: the blob library Pulumi uses
 * (gocloud.dev fileblob) rewrites a checkpoint's `.attrs` sidecar in place (create, then write), so a reader
 * at that moment decodes an empty file (`failed to load checkpoint: EOF`). Gone a moment later; a damaged
 * file (an `unexpected end of JSON input`) is not this, and is not retried.
 */
function tornRead(e: unknown): boolean {
    return e instanceof CommandError && /failed to load checkpoint: (unexpected )?EOF\b/.test(e.message);
}

/**
 * Retries an update that found the stack locked by another writer (records are written in a second or two),
 * and, a few times, one that met another writer's half-done file (see {@link tornRead}).
 * `clearDead`, when given, is asked each time first: it removes a lock whose `pulumi` process is known dead
 * (a process killed mid-update leaves its lock behind), so the retry goes straight through.
 */
export async function withLockRetry<T>(
    fn: () => Promise<T>,
    o: { readonly timeoutMs?: number; readonly clearDead?: () => Promise<boolean> } = {},
): Promise<T> {
    const deadline = Date.now() + (o.timeoutMs ?? 180_000);
    let torn = 0;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (tornRead(e) && ++torn <= 5) {
                await new Promise((r) => setTimeout(r, 100 * torn));
                continue;
            }
            if (!(e instanceof ConcurrentUpdateError) || Date.now() > deadline) {
                throw e;
            }
            if (await o.clearDead?.().catch(() => false)) {
                continue;
            }
            await new Promise((r) => setTimeout(r, Math.min(2000, 150 * attempt) + Math.random() * 250));
        }
    }
}

/** How the old stacks are read: their names, and one stack's resources (undefined: no such stack). */
export interface LegacyStacks {
    /** Whether the names are read from the backend's objects (cheap): then "nothing to copy" is not written down. */
    readonly direct: boolean;
    names(project: string): Promise<string[]>;
    resources(project: string, stack: string): Promise<readonly StoredResource[] | undefined>;
}

/**
 * The stacks of the versions before the coordination store (engine/store/migrate.ts), read once: from the
 * backend's objects where it can be read directly, else through the engine (`pulumi stack ls`, `stack export`),
 * never creating a stack.
 */
export function legacyStacks(
    opts: Omit<StackOptions, "projectName" | "stackName" | "program">,
): LegacyStacks {
    const workspace = async (projectName: string) => {
        const workDir = defaultWorkDir(opts.backendUrl, projectName);
        fs.mkdirSync(workDir, { recursive: true });
        return LocalWorkspace.create({
            workDir,
            pulumiCommand: commandFor(opts.engine),
            secretsProvider: "passphrase",
            projectSettings: { name: projectName, runtime: "nodejs" },
            envVars: engineEnv(opts),
        });
    };
    const names = async (project: string): Promise<string[]> => {
        const stored = await storedStackNames(opts.backendUrl, project);
        if (stored !== undefined) {
            return stored;
        }
        const stacks = await (await workspace(project)).listStacks();
        return stacks.map((s) => s.name.split("/").pop() ?? s.name);
    };
    return {
        direct: backendObjects(opts.backendUrl) !== undefined,
        names,
        resources: async (project, stack) => {
            const read = await readStackResources(opts.backendUrl, project, stack);
            if (read !== undefined) {
                return read;
            }
            if (!(await names(project)).includes(stack)) {
                return undefined;
            }
            const state = await (await workspace(project)).exportStack(stack);
            return (state.deployment as { resources?: StoredResource[] }).resources ?? [];
        },
    };
}
