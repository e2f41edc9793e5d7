import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { EnvironmentError } from "../../model/errors";

const run = promisify(execFile);

/** The root of this package (where package.json and node_modules live), from dist/engine or engine/. */
export const packageRoot: string = findPackageRoot(__dirname);

function findPackageRoot(from: string): string {
    let dir = from;
    while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) === "engine") {
        const parent = path.dirname(dir);
        if (parent === dir) {
            throw new Error(`no package.json above ${from}`);
        }
        dir = parent;
    }
    return dir;
}

/** Where a Pulumi engine was found and what it reports. */
export interface EngineLocation {
    /** Absolute path of the `pulumi` executable. */
    readonly pulumi: string;
    /** What `pulumi version` printed, e.g. `v3.259.0`. */
    readonly version: string;
    /** The directory holding `bin/pulumi` when it is a provisioned engine (for `PulumiCommand.get({ root })`). */
    readonly root?: string;
    /** The Node.js language host next to the CLI or on PATH, if any. */
    readonly languageHost?: string;
    /** The dynamic-provider host next to the CLI or on PATH, if any. */
    readonly dynamicProviderHost?: string;
    /** `cache` for an engine provisioned by scripts/provision-engine.sh, `path` for one found on PATH. */
    readonly source: "cache" | "path";
}

export interface LocateEngineOptions {
    /** The provisioning cache (default: `$PULUMI_PROMOTIONS_CACHE`, else `~/.cache/pulumi-promotions`). */
    readonly cacheDir?: string;
    /** The PATH to search (default: this process's PATH). */
    readonly searchPath?: string;
}

/** The @pulumi/pulumi version this package runs with; the engine must be of the same major and not older. */
export function sdkVersion(): string {
    const pkg = JSON.parse(
        fs.readFileSync(require.resolve("@pulumi/pulumi/package.json", { paths: [packageRoot] }), "utf8"),
    ) as { version: string };
    return pkg.version;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
    if (env.PULUMI_PROMOTIONS_CACHE) {
        return env.PULUMI_PROMOTIONS_CACHE;
    }
    return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-promotions");
}

/** True when `got` (e.g. `v3.259.0`) has `want`'s major version and is not older. */
export function versionFits(got: string, want: string): boolean {
    const parse = (v: string) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim()) ?? []).slice(1).map(Number);
    const [g, w] = [parse(got), parse(want)];
    if (g.length !== 3 || w.length !== 3 || g[0] !== w[0]) {
        return false;
    }
    return g[1] > w[1] || (g[1] === w[1] && g[2] >= w[2]);
}

async function versionOf(executable: string): Promise<string | undefined> {
    try {
        const { stdout } = await run(executable, ["version"], { timeout: 30_000 });
        return stdout.trim().split("\n")[0];
    } catch {
        return undefined;
    }
}

function findOnPath(name: string, searchPath: string): string | undefined {
    for (const dir of searchPath.split(path.delimiter)) {
        if (!dir) {
            continue;
        }
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) {
                return candidate;
            }
        } catch {
            // not here
        }
    }
    return undefined;
}

function sibling(pulumi: string, name: string, searchPath: string): string | undefined {
    const next = path.join(path.dirname(fs.realpathSync(pulumi)), name);
    return fs.existsSync(next) ? next : findOnPath(name, searchPath);
}

/**
 * Finds a Pulumi engine that fits this package's SDK: the provisioned one for this version first, then a
 * `pulumi` on PATH. Throws an {@link EnvironmentError} saying how to install one when none fits.
 */
export async function locateEngine(opts: LocateEngineOptions = {}): Promise<EngineLocation> {
    const want = `v${sdkVersion()}`;
    const searchPath = opts.searchPath ?? process.env.PATH ?? "";
    const cacheDir = opts.cacheDir ?? defaultCacheDir(process.env);
    const root = path.join(cacheDir, "engine", want);
    const candidates: { pulumi: string; source: "cache" | "path"; root?: string }[] = [
        { pulumi: path.join(root, "bin", "pulumi"), source: "cache", root },
    ];
    const onPath = findOnPath("pulumi", searchPath);
    if (onPath) {
        candidates.push({ pulumi: onPath, source: "path" });
    }
    const seen: string[] = [];
    for (const c of candidates) {
        if (!fs.existsSync(c.pulumi)) {
            continue;
        }
        // The provisioned engine's directory is named by its version (the installer built that version there):
        // no `pulumi version` process to ask it.
        const version = c.source === "cache" ? want : await versionOf(c.pulumi);
        seen.push(`${c.pulumi} (${version ?? "no version"})`);
        if (version && versionFits(version, want)) {
            return {
                ...c,
                pulumi: fs.realpathSync(c.pulumi),
                version,
                languageHost: sibling(c.pulumi, "pulumi-language-nodejs", searchPath),
                dynamicProviderHost: sibling(c.pulumi, "pulumi-resource-pulumi-nodejs", searchPath),
            };
        }
    }
    throw new EnvironmentError(
        `no Pulumi CLI fitting @pulumi/pulumi ${want} was found` +
            (seen.length ? ` (found ${seen.join(", ")})` : "") +
            `. Run 'bash scripts/install.sh' (it provisions ${want} into ${root}), ` +
            `or install the Pulumi CLI ${want} or a newer 3.x on PATH.`,
    );
}

/**
 * The PATH every Pulumi process we start should see: the directory of the Node.js running this process
 * first (the engine spawns `node` for dynamic providers, and @pulumi/pulumi needs Node >= 22), then the
 * engine's own directory (language host and provider shims), then the inherited PATH.
 */
export function enginePath(engine: EngineLocation, inherited: string): string {
    return [path.dirname(process.execPath), path.dirname(engine.pulumi), inherited].join(path.delimiter);
}
