import * as fs from "fs";
import * as path from "path";
import { buildCatalog } from "../../components/catalog";
import { loadDefinitions } from "../../components/config";
import { formatIssue } from "../../components/issues";
import type { EngineLocation } from "../../engine/pulumi/engineLocator";
import { enginePath, sdkVersion } from "../../engine/pulumi/engineLocator";
import { checkStacks, damageMessage, displayBackendUrl, fileUrlPath } from "../../engine/pulumi/stateBackend";
import { messageOf } from "../../model/errors";
import type { HostEntry } from "../../provider/scm/scm";
import type { DoctorCommandOptions } from "./doctor.args";
import type { CliDeps, SystemProbes } from "../context";
import { displayText } from "../display";

interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    readonly fix?: string;
    /** Nothing is wrong, but there is something to do first (shown as `next`, exit 0). */
    readonly next?: true;
}

/**
 * Which host the promote stacks' dynamic resources get: this project's shim runs our own (provider/dynamic/
 * providerHost.ts); any other (an older install's, a `pulumi` on PATH) runs the SDK's, about a second slower.
 */
function hostKind(shim: string): string {
    let text: string;
    try {
        text = fs.readFileSync(shim, "utf8");
    } catch {
        return "";
    }
    return text.includes("PROMOTIONS_DYNAMIC_PROVIDER_HOST")
        ? " (the promote stacks run this project's host)"
        : " (the SDK's host for every stack, about 1 s more per release: 'bash scripts/install.sh' installs ours)";
}

/** How long `pulumi stack ls` may take to reach a remote state backend. */
export const backendTimeoutMs = 20_000;

async function gitCheck(system: SystemProbes): Promise<Check> {
    try {
        const { stdout } = await system.exec("git", ["--version"], { timeoutMs: 10_000 });
        return { name: "git", ok: true, detail: stdout.trim() };
    } catch {
        return { name: "git", ok: false, detail: "not found", fix: "install git (e.g. apt-get install git)" };
    }
}

function nodeCheck(): Check {
    const major = Number(process.versions.node.split(".")[0]);
    return {
        name: "node",
        ok: major >= 22,
        detail: `${process.version} (${process.execPath})`,
        fix: "@pulumi/pulumi needs Node.js >= 22: run 'bash scripts/install.sh', or install Node.js 22+",
    };
}

/** The nearest directory that exists at or above `dir`. */
function existingAncestor(dir: string): string {
    let d = dir;
    while (!fs.existsSync(d) && path.dirname(d) !== d) {
        d = path.dirname(d);
    }
    return d;
}

/** A file:// backend: the directory is writable, or can be created (its nearest existing parent is writable). */
function fileBackendCheck(url: string): Check {
    const dir = fileUrlPath(url);
    const fix = "pass --state file://DIR with a directory you can write (or fix its permissions)";
    const at = existingAncestor(dir);
    try {
        if (!fs.statSync(at).isDirectory()) {
            return { name: "state backend", ok: false, detail: `${url}: ${at} is not a directory`, fix };
        }
        fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
        return {
            name: "state backend",
            ok: false,
            detail: `${url}: ${at} is not writable (${messageOf(e)})`,
            fix,
        };
    }
    return {
        name: "state backend",
        ok: true,
        detail: at === dir ? `${url} (writable)` : `${url} (will be created in ${at})`,
    };
}

/** Any other backend: `pulumi stack ls --all` must answer within {@link backendTimeoutMs}. */
async function remoteBackendCheck(
    opts: DoctorCommandOptions,
    system: SystemProbes,
    engine: EngineLocation | undefined,
): Promise<Check> {
    if (!engine) {
        return {
            name: "state backend",
            ok: false,
            detail: `${displayBackendUrl(opts.stateUrl)}: not checked without the Pulumi CLI`,
            fix: "install the engine first (see pulumi above)",
        };
    }
    try {
        await system.exec(engine.pulumi, ["stack", "ls", "--all", "--non-interactive"], {
            timeoutMs: backendTimeoutMs,
            env: {
                PULUMI_BACKEND_URL: opts.stateUrl,
                PULUMI_CONFIG_PASSPHRASE: opts.passphrase,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
                PATH: enginePath(engine, opts.searchPath ?? ""),
            },
        });
        return { name: "state backend", ok: true, detail: `${displayBackendUrl(opts.stateUrl)} (reachable)` };
    } catch (e) {
        const err = e as { stderr?: string; killed?: boolean; signal?: string };
        const reason =
            err.killed || err.signal
                ? `no answer within ${backendTimeoutMs / 1000} s`
                : (err.stderr ?? messageOf(e))
                      .split("\n")
                      .map((l) => l.trim())
                      .filter((l) => l.startsWith("error:"))
                      .map((l) => l.replace(/^error:\s*/, ""))
                      .join("; ") || messageOf(e);
        return {
            name: "state backend",
            ok: false,
            detail: `${displayBackendUrl(opts.stateUrl)}: ${displayText(reason)}`,
            fix: reason.includes("PULUMI_ACCESS_TOKEN")
                ? "set PULUMI_ACCESS_TOKEN for Pulumi Cloud, or pass --state file://DIR or a bucket URL (s3://, azblob://, gs://)"
                : /^postgres(ql)?:/.test(opts.stateUrl)
                  ? "check that the PostgreSQL server is up at the URL's host and port, that the database exists, and the credentials (PGUSER/PGPASSWORD or the URL; sslmode)"
                  : "check the --state URL and the credentials it needs (e.g. AWS_*, AZURE_*, GOOGLE_APPLICATION_CREDENTIALS)",
        };
    }
}

/**
 * Every stack we own (records and holds, archive pages, promote stacks, tokens) reads: a checkpoint cut short
 * by a full disk is named with its good copy. Only where the backend is read directly (file://, postgres://);
 * elsewhere the engine reads it and says what it finds.
 */
async function stateFilesCheck(stateUrl: string): Promise<Check | undefined> {
    const name = "state files";
    // Loaded here: these modules bring in the Pulumi SDK, which the checks above may have found missing.
    let projects: string[];
    try {
        projects = [
            (await import("../../engine/pulumi/promoteProgram")).promoteProject,
            // Those of versions before the release store, if any are left (engine/store/migrate.ts).
            (await import("../../engine/store/migrate")).legacyRecordsProject,
            (await import("../../engine/store/migrate")).legacyAccessProject,
        ];
    } catch {
        return undefined;
    }
    try {
        const checked = await checkStacks(stateUrl, projects);
        if (checked === undefined) {
            return undefined;
        }
        const { read, damaged } = checked;
        const settings = await settingsDamage(stateUrl, checked.salts);
        if (damaged.length === 0 && settings.length > 0) {
            return {
                name,
                ok: false,
                detail: settings
                    .map((s) => `${s.file} does not hold the salt of stack ${s.stack}'s passphrase`)
                    .join("; "),
                fix: settings
                    .map((s) => `printf 'encryptionsalt: %s\\n' '${s.salt}' > '${s.file}'`)
                    .join(" && "),
            };
        }
        if (damaged.length === 0) {
            return {
                name,
                ok: true,
                detail: `${read} stack${read === 1 ? "" : "s"} of ${projects.join(", ")} read`,
            };
        }
        return {
            name,
            ok: false,
            detail: `${damaged.length} of ${read + damaged.length} stacks cannot be read: ${damaged.map((d) => displayText(damageMessage(d))).join("; ")}`,
            fix: damaged.every((d) => d.goodCopy)
                ? damaged.map((d) => `cp '${d.goodCopy}' '${d.where}'`).join(" && ")
                : "restore each file named above from a backup of the state",
        };
    } catch (e) {
        return { name, ok: false, detail: `${displayBackendUrl(stateUrl)}: ${displayText(messageOf(e))}` };
    }
}

/**
 * Every document of the release store reads whole (a file cut outside the store's writes is named, with how to
 * recover it).
 */
async function storeCheck(storeUrl: string): Promise<Check | undefined> {
    const name = "state files";
    try {
        const { openKvStore } = await import("../../engine/store");
        const { DamagedDocumentError } = await import("../../engine/store/kv");
        const kv = openKvStore(storeUrl);
        try {
            const keys = await kv.list("");
            const damaged: string[] = [];
            for (const key of keys) {
                await kv.get(key).catch((e: unknown) => {
                    if (!(e instanceof DamagedDocumentError)) {
                        throw e;
                    }
                    damaged.push(e.where);
                });
            }
            if (damaged.length === 0) {
                return {
                    name,
                    ok: true,
                    detail: `${keys.length} release store document${keys.length === 1 ? "" : "s"} read (${kv.where})`,
                };
            }
            return {
                name,
                ok: false,
                detail: `${damaged.length} of ${keys.length} release store documents cannot be read: ${damaged.join(", ")}`,
                fix: `restore each from a backup of the state, or move it aside: ${damaged.map((d) => `mv '${d}' '${d}.damaged'`).join(" && ")}`,
            };
        } finally {
            await kv.close();
        }
    } catch (e) {
        return { name, ok: false, detail: `the release store: ${displayText(messageOf(e))}` };
    }
}

/**
 * The settings files of the stacks whose checkpoint records a passphrase salt, when they hold another or none (a
 * write cut short): Pulumi would then take the passphrase for a wrong one. A missing file is not counted.
 */
async function settingsDamage(
    stateUrl: string,
    salts: readonly { readonly project: string; readonly stack: string; readonly salt: string }[],
): Promise<{ file: string; stack: string; salt: string }[]> {
    const { stackSettingsFile } = await import("../../engine/pulumi/workspace");
    const damaged: { file: string; stack: string; salt: string }[] = [];
    for (const { project, stack, salt } of salts) {
        const file = stackSettingsFile(stateUrl, project, stack);
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch {
            continue;
        }
        const held = /^encryptionsalt:\s*"?([^"\s]+)"?\s*$/m.exec(text)?.[1];
        if (held !== salt) {
            damaged.push({ file, stack: `${project}/${stack}`, salt });
        }
    }
    return damaged;
}

/**
 * One configured code host: its kind is known, its token is set, and one cheap authenticated call says who the
 * token is and whether it has the scope promotions need. The token goes to this host's API only.
 */
async function hostCheck(entry: HostEntry): Promise<Check> {
    const name = `host ${entry.prefix}`;
    const { scmHostOfKind } = await import("../../provider/scm/registry");
    const host = scmHostOfKind(entry.kind);
    if (!host) {
        return {
            name,
            ok: false,
            detail: `kind ${entry.kind} is not in this build's host registry`,
            fix: "upgrade pulumi-promotions, or set the entry's kind to one it lists",
        };
    }
    const apiUrl = entry.apiUrl ?? host.defaultApiUrl(entry.prefix);
    const where = `${host.name} at ${apiUrl}`;
    if (!entry.tokenEnv || !entry.token) {
        return {
            name,
            ok: false,
            detail: `${where}: no token (${entry.tokenEnv ? `${entry.tokenEnv} is not set` : "the entry names no tokenEnv"})`,
            fix: `put ${host.tokenNeeds} in ${entry.tokenEnv ?? "a variable"} and name it as the entry's tokenEnv`,
        };
    }
    const finding = await host.create({ apiUrl, token: entry.token }).checkToken(entry.prefix);
    return {
        name,
        ok: finding.ok,
        detail: `${where}: ${displayText(finding.detail)}`,
        ...(finding.fix ? { fix: `${finding.fix} (${entry.tokenEnv})` } : {}),
    };
}

/** `dir` as the user would type it from the current directory (`./promotions`). */
function shownPath(dir: string): string {
    const rel = path.relative(process.cwd(), dir);
    return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? dir : `./${rel}`;
}

/**
 * The definitions exist and validate. On a fresh checkout the default ./promotions does not exist yet: that is
 * a next step, not a failure; definitions that --config (or PROMOTIONS_CONFIG) names must exist.
 */
function configCheck(configPath: string, configNamed: boolean): Check {
    if (!configNamed && !fs.existsSync(configPath)) {
        return {
            name: "config",
            ok: true,
            next: true,
            detail: `no definitions at ${shownPath(configPath)}: run \`promote init\` or \`npm run demo\``,
        };
    }
    try {
        const { definitions, issues } = loadDefinitions(configPath);
        const all = [...issues, ...buildCatalog(definitions).issues];
        if (all.length === 0) {
            return { name: "config", ok: true, detail: configPath };
        }
        return {
            name: "config",
            ok: false,
            detail: `${all.length} problem${all.length === 1 ? "" : "s"}: ${displayText(formatIssue(all[0]))}`,
            fix: "pass --config DIR|MODULE with your definitions; 'promote validate' lists every problem",
        };
    } catch (e) {
        return {
            name: "config",
            ok: false,
            detail: `${configPath}: ${displayText(messageOf(e))}`,
            fix: "'promote validate' shows the problem",
        };
    }
}

/**
 * `promote doctor`: what this machine has, whether the state backend answers, the definitions validate and
 * each configured code host takes its token, and the fix for whatever is missing. Exit code 3 if anything is; missing default definitions are a next
 * step, not a failure.
 */
export async function doctor(
    opts: DoctorCommandOptions,
    deps: Pick<CliDeps, "io" | "system">,
): Promise<number> {
    const { io, system } = deps;
    const checks: Check[] = [nodeCheck(), await gitCheck(system)];
    checks.push({ name: "@pulumi/pulumi", ok: true, detail: sdkVersion() });
    let engine: EngineLocation | undefined;
    try {
        engine = await system.locateEngine();
        checks.push({
            name: "pulumi",
            ok: true,
            detail: `${engine.version} ${engine.pulumi} (${engine.source === "cache" ? "provisioned" : "on PATH"})`,
        });
        checks.push({
            name: "language host",
            ok: engine.languageHost !== undefined,
            detail: engine.languageHost ?? "pulumi-language-nodejs not found",
            fix: "run 'bash scripts/install.sh' to provision pulumi-language-nodejs next to the CLI",
        });
        checks.push({
            name: "dynamic providers",
            ok: engine.dynamicProviderHost !== undefined,
            detail: engine.dynamicProviderHost
                ? `${engine.dynamicProviderHost}${hostKind(engine.dynamicProviderHost)}`
                : "pulumi-resource-pulumi-nodejs not found",
            fix: "run 'bash scripts/install.sh' to install pulumi-resource-pulumi-nodejs next to the CLI",
        });
    } catch (err) {
        checks.push({
            name: "pulumi",
            ok: false,
            detail: `no CLI fitting v${sdkVersion()}`,
            fix: messageOf(err),
        });
    }
    checks.push(
        opts.stateUrl.startsWith("file://")
            ? fileBackendCheck(opts.stateUrl)
            : await remoteBackendCheck(opts, system, engine),
    );
    const backendOk = checks[checks.length - 1].ok;
    const stateFiles = backendOk ? await stateFilesCheck(opts.stateUrl) : undefined;
    const documents =
        backendOk || opts.storeUrl ? await storeCheck(opts.storeUrl ?? opts.stateUrl) : undefined;
    // One line for what the state holds: the stacks' findings, then the store's.
    const merged =
        stateFiles && documents
            ? {
                  name: stateFiles.name,
                  ok: stateFiles.ok && documents.ok,
                  detail: `${stateFiles.detail}; ${documents.detail}`,
                  ...(stateFiles.fix || documents.fix
                      ? { fix: [stateFiles.fix, documents.fix].filter(Boolean).join(" && ") }
                      : {}),
              }
            : (stateFiles ?? documents);
    if (merged) {
        checks.push(merged);
    }
    checks.push(configCheck(opts.configPath, opts.configNamed));
    for (const entry of opts.hosts ?? []) {
        checks.push(await hostCheck(entry));
    }

    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
        const mark = c.next ? io.style.yellow("next") : c.ok ? io.style.green("ok  ") : io.style.red("FAIL");
        io.out(`${mark} ${c.name.padEnd(width)}  ${c.detail}`);
        if (!c.ok && c.fix) {
            io.out(`     ${" ".repeat(width)}  fix: ${c.fix}`);
        }
    }
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0) {
        // The reasons and fixes are above: name the failed checks only, so each reason is printed once.
        io.err(
            `error: ${failed.length} check${failed.length === 1 ? "" : "s"} failed (${failed.map((c) => c.name).join(", ")}): see above`,
        );
        return 3;
    }
    return 0;
}
