import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { setTimeout as sleep } from "node:timers/promises";
import * as semver from "semver";
import {
    CommandError,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackAlreadyExistsError,
} from "@pulumi/pulumi/automation";
import type { EngineLocation } from "./engineLocator";
import { enginePath, packageRoot } from "./engineLocator";
import { readOr, withDirLock } from "../provider/dirLock";

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
            const finish = (stack: Stack) => (opts.updateResults ? stack : lean(stack));
            // Other processes' `pulumi` commands read this Pulumi.yaml while they run: it is written only when
            // it changes, whole (the Automation API would rewrite it in place on every open).
            writeIfChanged(
                path.join(workDir, "Pulumi.yaml"),
                [
                    `name: ${JSON.stringify(opts.projectName)}`,
                    "runtime: nodejs",
                    `main: ${JSON.stringify(packageRoot)}`,
                    "backend:",
                    `  url: ${JSON.stringify(opts.backendUrl)}`,
                    "",
                ].join("\n"),
            );
            const workspace = await LocalWorkspace.create({
                program: opts.program,
                workDir,
                pulumiCommand,
                secretsProvider: "passphrase",
                envVars: { ...engineEnv(opts), ...opts.extraEnv },
            });
            // Every command we run names its stack (`--stack`), so selecting one only checks that it exists: a
            // `pulumi stack select` of its own. Where the backend's files show whether the stack exists, skip
            // that check (and the failed select before a new stack's `stack init`).
            const seen = stackSeen(opts.backendUrl, opts.projectName, opts.stackName);
            if (seen === "exists") {
                workspace.selectStack = () => Promise.resolve();
            } else if (seen === "absent") {
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

/** Writes `text` to `file` through a temporary file and a rename, unless the file already holds it. */
function writeIfChanged(file: string, text: string): void {
    if (readOr(file, "") === text) {
        return;
    }
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
}

/** The directory of a `file://` backend's files, when it uses the project layout (or is still empty). */
function projectLayoutRoot(backendUrl: string): string | undefined {
    if (!backendUrl.startsWith("file://")) {
        return undefined;
    }
    const root = path.join(fileUrlPath(backendUrl), ".pulumi");
    const meta = readOr(path.join(root, "meta.yaml"), "version: 1");
    return /^version: *1\b/m.test(meta) ? root : undefined;
}

/** The stack's checkpoint file in a `file://` backend (project layout), when it exists. */
function stackFileOf(backendUrl: string, project: string, stack: string): string | undefined {
    const root = projectLayoutRoot(backendUrl);
    const base = root && path.join(root, "stacks", project, stack);
    return base ? [`${base}.json`, `${base}.json.gz`].find((f) => fs.existsSync(f)) : undefined;
}

/** Whether the backend's files show the stack, or `unknown` (another backend or layout: ask the engine). */
function stackSeen(backendUrl: string, project: string, stack: string): "exists" | "absent" | "unknown" {
    if (projectLayoutRoot(backendUrl) === undefined) {
        return "unknown";
    }
    return stackFileOf(backendUrl, project, stack) === undefined ? "absent" : "exists";
}

/**
 * The names of a project's stacks: from a `file://` backend's directory, else asked of the engine through
 * a stack of that project (`open`).
 */
export async function listStackNames(
    backendUrl: string,
    project: string,
    open: () => Promise<Stack>,
): Promise<string[]> {
    const root = projectLayoutRoot(backendUrl);
    if (root !== undefined) {
        let files: string[] = [];
        try {
            files = fs.readdirSync(path.join(root, "stacks", project));
        } catch {
            return [];
        }
        return files.filter((f) => /\.json(\.gz)?$/.test(f)).map((f) => f.replace(/\.json(\.gz)?$/, ""));
    }
    const stacks = await (await open()).workspace.listStacks();
    return stacks.map((s) => s.name.split("/").pop() ?? s.name);
}

/** A checkpoint resource as the backend stores it. */
export interface StoredResource {
    readonly urn: string;
    readonly type: string;
    readonly outputs?: Record<string, unknown>;
}

/**
 * The resources of a stack's latest checkpoint, read straight from a `file://` backend (the backend writes
 * each checkpoint whole with a rename, so a reader never sees half of one): a file read instead of a
 * `pulumi stack export` process. `undefined` where that is not possible (another backend, another layout,
 * no such stack yet); callers then ask the engine.
 */
export function readStackResources(
    backendUrl: string,
    project: string,
    stack: string,
): StoredResource[] | undefined {
    const file = stackFileOf(backendUrl, project, stack);
    if (file === undefined) {
        return undefined;
    }
    try {
        const raw = fs.readFileSync(file);
        const text = file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
        const parsed = JSON.parse(text) as {
            version?: number;
            checkpoint?: { latest?: { resources?: StoredResource[] } };
        };
        return parsed.version === 3 ? (parsed.checkpoint?.latest?.resources ?? []) : undefined;
    } catch {
        return undefined;
    }
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

/** The environment every Pulumi command we run gets: backend, passphrase, quiet checks, and the PATH. */
function engineEnv(opts: {
    engine: EngineLocation;
    backendUrl: string;
    passphrase: string;
    inheritedPath?: string;
}): Record<string, string> {
    return {
        PULUMI_BACKEND_URL: opts.backendUrl,
        PULUMI_CONFIG_PASSPHRASE: opts.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        PATH: enginePath(opts.engine, opts.inheritedPath ?? process.env.PATH ?? ""),
    };
}

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

function defaultWorkDir(backendUrl: string, project: string): string {
    if (backendUrl.startsWith("file://")) {
        return path.join(fileUrlPath(backendUrl), "workspaces", project);
    }
    return path.join(packageRoot, ".promotions", "workspaces", project);
}

/** The directory of a `file://` backend URL (`file:///abs`, `file://~/x`, or `file://relative`). */
export function fileUrlPath(url: string): string {
    const rest = url.slice("file://".length).split("?")[0];
    if (rest.startsWith("~")) {
        return path.join(process.env.HOME ?? "", rest.slice(1));
    }
    return path.resolve(rest);
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
