import * as fs from "fs";
import * as path from "path";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { setTimeout as sleep } from "node:timers/promises";
import {
    CommandError,
    LocalWorkspace,
    PulumiCommand,
    StackAlreadyExistsError,
} from "@pulumi/pulumi/automation";
import type { EngineLocation } from "./engineLocator";
import { enginePath, packageRoot } from "./engineLocator";

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
}

/**
 * Creates or selects a stack running `program` inline. The engine's plugins run with this package's root as
 * their working directory, so the dynamic-provider host always finds this package's @pulumi/pulumi, wherever
 * the user's configuration lives.
 */
export async function openStack(opts: StackOptions): Promise<Stack> {
    const pulumiCommand = await commandFor(opts.engine);
    const workDir = opts.workDir ?? defaultWorkDir(opts.backendUrl, opts.projectName);
    fs.mkdirSync(workDir, { recursive: true });
    if (opts.backendUrl.startsWith("file://")) {
        fs.mkdirSync(fileUrlPath(opts.backendUrl), { recursive: true });
    }
    // Processes starting at once share the workspace directory (its Pulumi.yaml and the stack's settings, which
    // hold the passphrase salt): they open it one at a time, and a stack another process created meanwhile is
    // selected, not created twice.
    return withDirLock(path.join(workDir, ".open-lock"), () =>
        retry(() =>
            LocalWorkspace.createOrSelectStack(
                { projectName: opts.projectName, stackName: opts.stackName, program: opts.program },
                {
                    workDir,
                    pulumiCommand,
                    secretsProvider: "passphrase",
                    projectSettings: {
                        name: opts.projectName,
                        runtime: "nodejs",
                        main: packageRoot,
                        backend: { url: opts.backendUrl },
                    },
                    envVars: { ...engineEnv(opts), ...opts.extraEnv },
                },
            ),
        ),
    );
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
 * A lock between processes of this host: a directory made atomically, holding the owner's pid. A lock whose
 * owner is gone (a SIGKILLed process) is taken over.
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            fs.mkdirSync(lockDir);
            fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
                throw e;
            }
            const owner = Number(readOr(path.join(lockDir, "pid"), "0"));
            const age = Date.now() - (statOr(lockDir)?.mtimeMs ?? Date.now());
            if ((owner > 0 && !alive(owner)) || (owner === 0 && age > 5_000) || Date.now() > deadline) {
                fs.rmSync(lockDir, { recursive: true, force: true });
                continue;
            }
            await sleep(50 + Math.random() * 100);
        }
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(lockDir, { recursive: true, force: true });
    }
}

function readOr(file: string, fallback: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return fallback;
    }
}

function statOr(p: string): fs.Stats | undefined {
    try {
        return fs.statSync(p);
    } catch {
        return undefined;
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
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

/** The Automation API's handle on our engine; `<root>/bin` goes first on PATH, so its plugins are found. */
function commandFor(engine: EngineLocation): Promise<PulumiCommand> {
    const binDir = path.dirname(engine.pulumi);
    return PulumiCommand.get({ root: path.basename(binDir) === "bin" ? path.dirname(binDir) : undefined });
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
            pulumiCommand: await commandFor(opts.engine),
            secretsProvider: "passphrase",
            envVars: engineEnv(opts),
        },
    );
}
