import * as fs from "fs";
import * as path from "path";
import { scmConfigFrom } from "../provider/dynamic/processEnv";
import type { Catalog } from "../components/catalog";
import { defaultCacheDir } from "../engine/pulumi/engineLocator";
import type { EngineLocation } from "../engine/pulumi/engineLocator";
import type { TokenStore } from "../engine/governance/accessTokens";
import type { EngineMetrics } from "../engine/notifications/metrics";
import type { ProgressEvent, PromoteEngine } from "../engine/promoteEngine";
import type { TriggerWatcher } from "../engine/triggers/triggerWatcher";
import { InvalidInputError } from "../model/errors";
import type { HostEntry } from "../provider/scm/scm";
import type { ActorSources } from "./actor";
import { resolveActor, systemActorSources } from "./actor";
import type { RemoteServer } from "./remote";

/** Colours only when writing to a terminal and neither NO_COLOR nor --no-color is set. */
export interface Style {
    readonly green: (s: string) => string;
    readonly red: (s: string) => string;
    readonly yellow: (s: string) => string;
    readonly dim: (s: string) => string;
    readonly bold: (s: string) => string;
}

export function makeStyle(enabled: boolean): Style {
    const wrap = (code: number, reset: number) => (s: string) =>
        enabled ? `\x1b[${code}m${s}\x1b[${reset}m` : s;
    return {
        green: wrap(32, 39),
        red: wrap(31, 39),
        yellow: wrap(33, 39),
        dim: wrap(2, 22),
        bold: wrap(1, 22),
    };
}

/** The passphrase used when PULUMI_CONFIG_PASSPHRASE is unset: fine for local state, documented in the README. */
export const localDefaultPassphrase = "promotions-local";

/** `PULUMI_CONFIG_PASSPHRASE`, else the content of `PULUMI_CONFIG_PASSPHRASE_FILE` (as Pulumi reads them). */
function passphraseFrom(env: NodeJS.ProcessEnv): string {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return env.PULUMI_CONFIG_PASSPHRASE;
    }
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        try {
            return fs.readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").replace(/\r?\n$/, "");
        } catch (e) {
            throw new InvalidInputError(
                `PULUMI_CONFIG_PASSPHRASE_FILE ${env.PULUMI_CONFIG_PASSPHRASE_FILE} cannot be read (${(e as Error).message}): point it at the file holding the state's passphrase`,
                { path: "PULUMI_CONFIG_PASSPHRASE_FILE" },
            );
        }
    }
    return localDefaultPassphrase;
}

/**
 * Everything the CLI takes from its global options and the process environment, read in this one place
 * (README: "Releases", "Git remotes and tokens", "Automatic triggers").
 */
export interface CliSettings {
    /** `--config` (or PROMOTIONS_CONFIG): a directory of YAML manifests or a JS/TS module (default ./promotions). */
    readonly configPath: string;
    /** stdout is a terminal (`serve` then logs text lines instead of JSON). */
    readonly stdoutIsTerminal?: boolean;
    /** `--config` or PROMOTIONS_CONFIG named the definitions (not the default). */
    readonly configNamed: boolean;
    /** The directory of the definitions (local workflow commands run there). */
    readonly configDir: string;
    /** `--state` (or PROMOTIONS_STATE): a Pulumi backend URL (default file://<config dir>/.promotions/state). */
    readonly stateUrl: string;
    /**
     * PROMOTIONS_STORE: where release records and coordination live (engine/store/), when not in the state
     * backend itself (needed for a backend without one: Pulumi Cloud, azblob://, gs://).
     */
    readonly storeUrl?: string;
    readonly passphrase: string;
    /** Where the provisioned engine lives (PULUMI_PROMOTIONS_CACHE, else ~/.cache/pulumi-promotions). */
    readonly cacheDir: string;
    /** Bare clones of the GitOps repositories (PROMOTIONS_GIT_CACHE, else <cacheDir>/git). */
    readonly gitCacheDir: string;
    /** Parsed definitions kept while their files are unchanged (<cacheDir>/definitions). */
    readonly definitionsCacheDir: string;
    /** PROMOTIONS_GIT_TOKENS (JSON, host to token) and PROMOTIONS_GIT_TOKEN (`*`: any host). */
    readonly gitTokens: Readonly<Record<string, string>>;
    /** The PATH Pulumi and git run with. */
    readonly searchPath?: string;
    readonly argo?: { readonly url: string; readonly namespace: string; readonly token?: string };
    readonly argocd?: { readonly url: string; readonly token?: string };
    /**
     * The code hosts' APIs: the hosts configuration (PROMOTIONS_HOSTS, each entry's token from the variable it
     * names) and GitHub's API root and token (PROMOTIONS_SCM_API_URL, PROMOTIONS_SCM_TOKEN, or their
     * PROMOTIONS_GITHUB_* aliases).
     */
    readonly scm: {
        readonly apiUrl?: string;
        readonly token?: string;
        readonly hosts?: readonly HostEntry[];
        readonly commitStatus: boolean;
        readonly pollIntervalMs?: number;
    };
    /** PROMOTIONS_WEBHOOK_SECRET, for `serve`. */
    readonly webhookSecret?: string;
    /** PROMOTIONS_BASE_PATH: the path prefix `serve` is reached under (as `--base-path`, which wins). */
    readonly basePath?: string;
    /** Colours on stdout and stderr. */
    readonly colour: boolean;
    /** PROMOTIONS_DEBUG=1: stack traces for unexpected errors. */
    readonly debug: boolean;
    /**
     * Who acts without `--as` (releases, holds, approvals, tokens): the CI's actor, else git's user.name and
     * user.email, else the OS user (cli/actor.ts). Read on first use: git is not run for commands that need none.
     */
    readonly actor: string;
    /** PROMOTIONS_HEARTBEAT_SECONDS: how often a running release says it is alive (default 30). */
    readonly heartbeatMs?: number;
    /** PROMOTIONS_SERVER (and PROMOTIONS_TOKEN): approve, reject and promote act through this server, not the state. */
    readonly server?: RemoteServer;
    /** PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS: how long a command waits at exit for notifications (default 5). */
    readonly notificationsWaitMs: number;
    /** PROMOTIONS_PUBLIC_URL: where people reach the console (hooks' `RELEASE_URL` links into it). */
    readonly publicUrl?: string;
    /** PROMOTIONS_RUNTIME: this runner's name, the gates' `RUNTIME` (default: the host name). */
    readonly runtime?: string;
    /**
     * PROMOTIONS_ARGOCD_NAMESPACE: the namespace of an Argo CD Application without `metadata.namespace`, as
     * Argo CD gives it (default `argocd`): `APP_NAMESPACE` and the Argo CD API read it.
     */
    readonly applicationNamespace?: string;
}

/** Tokens for http(s) Git remotes. They reach git as an HTTP header through the environment, never a URL. */
function gitTokens(env: NodeJS.ProcessEnv): Record<string, string> {
    const tokens: Record<string, string> = {};
    if (env.PROMOTIONS_GIT_TOKENS) {
        try {
            Object.assign(tokens, JSON.parse(env.PROMOTIONS_GIT_TOKENS) as Record<string, string>);
        } catch {
            throw new InvalidInputError('PROMOTIONS_GIT_TOKENS must be JSON: {"host": "token"}', {
                path: "PROMOTIONS_GIT_TOKENS",
            });
        }
    }
    if (env.PROMOTIONS_GIT_TOKEN) {
        tokens["*"] = env.PROMOTIONS_GIT_TOKEN;
    }
    return tokens;
}

function seconds(name: string, raw: string): number {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) {
        throw new InvalidInputError(`${name} must be a positive number of seconds (got "${raw}")`, {
            path: name,
        });
    }
    return n;
}

/** The bound on the wait at exit for notifications still being delivered. */
export const defaultNotificationsWaitSeconds = 5;

function notificationsWaitMs(raw: string | undefined): number {
    if (raw === undefined || raw === "") {
        return defaultNotificationsWaitSeconds * 1000;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) {
        throw new InvalidInputError(
            `PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS must be a number of seconds, 0 or more (got "${raw}"): how long a command waits at exit for notifications (default ${defaultNotificationsWaitSeconds})`,
            { path: "PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS" },
        );
    }
    return n * 1000;
}

/** PROMOTIONS_PUBLIC_URL: an http(s) URL, without a trailing slash. */
function publicUrlFrom(raw: string): string {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new InvalidInputError(
            `PROMOTIONS_PUBLIC_URL must be the console's http(s) URL, e.g. https://promotions.example.com (got "${raw}")`,
            { path: "PROMOTIONS_PUBLIC_URL" },
        );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        throw new InvalidInputError(
            `PROMOTIONS_PUBLIC_URL must be an http(s) URL (got the scheme ${url.protocol})`,
            { path: "PROMOTIONS_PUBLIC_URL" },
        );
    }
    return raw.replace(/\/+$/, "");
}

/** The global options argv gave (parsed in cli/args.ts), which settings take before the environment. */
export interface GlobalOptions {
    readonly config?: string;
    readonly state?: string;
    readonly noColor: boolean;
}

const yes = (v: string | undefined) => ["1", "true", "yes"].includes((v ?? "").toLowerCase());

export function settingsFrom(
    globals: GlobalOptions,
    env: NodeJS.ProcessEnv,
    cwd: string,
    stdoutIsTTY: boolean,
    actorSources: ActorSources = systemActorSources(env, cwd),
): CliSettings {
    // An empty PROMOTIONS_CONFIG names nothing (not the current directory).
    const namedConfig = globals.config ?? (env.PROMOTIONS_CONFIG || undefined);
    const configPath = path.resolve(cwd, namedConfig ?? "promotions");
    const configDir = /\.(js|ts|cjs|mjs)$/.test(configPath) ? path.dirname(configPath) : configPath;
    const cacheDir = defaultCacheDir(env);
    let actor: string | undefined;
    return {
        configPath,
        stdoutIsTerminal: stdoutIsTTY,
        configNamed: namedConfig !== undefined,
        configDir,
        stateUrl:
            globals.state ?? env.PROMOTIONS_STATE ?? `file://${path.join(configDir, ".promotions", "state")}`,
        ...(env.PROMOTIONS_STORE ? { storeUrl: env.PROMOTIONS_STORE } : {}),
        passphrase: passphraseFrom(env),
        cacheDir,
        gitCacheDir: env.PROMOTIONS_GIT_CACHE ?? path.join(cacheDir, "git"),
        definitionsCacheDir: path.join(cacheDir, "definitions"),
        gitTokens: gitTokens(env),
        ...(env.PATH !== undefined ? { searchPath: env.PATH } : {}),
        ...(env.PROMOTIONS_ARGO_URL
            ? {
                  argo: {
                      url: env.PROMOTIONS_ARGO_URL,
                      namespace: env.PROMOTIONS_ARGO_NAMESPACE ?? "argo",
                      ...(env.PROMOTIONS_ARGO_TOKEN ? { token: env.PROMOTIONS_ARGO_TOKEN } : {}),
                  },
              }
            : {}),
        ...(env.PROMOTIONS_ARGOCD_URL
            ? {
                  argocd: {
                      url: env.PROMOTIONS_ARGOCD_URL,
                      ...(env.PROMOTIONS_ARGOCD_TOKEN ? { token: env.PROMOTIONS_ARGOCD_TOKEN } : {}),
                  },
              }
            : {}),
        scm: {
            ...scmConfigFrom(env),
            commitStatus: yes(env.PROMOTIONS_COMMIT_STATUS),
            ...(env.PROMOTIONS_PR_POLL_SECONDS
                ? {
                      pollIntervalMs:
                          seconds("PROMOTIONS_PR_POLL_SECONDS", env.PROMOTIONS_PR_POLL_SECONDS) * 1000,
                  }
                : {}),
        },
        ...(env.PROMOTIONS_WEBHOOK_SECRET ? { webhookSecret: env.PROMOTIONS_WEBHOOK_SECRET } : {}),
        ...(env.PROMOTIONS_BASE_PATH ? { basePath: env.PROMOTIONS_BASE_PATH } : {}),
        ...(env.PROMOTIONS_HEARTBEAT_SECONDS
            ? {
                  heartbeatMs:
                      seconds("PROMOTIONS_HEARTBEAT_SECONDS", env.PROMOTIONS_HEARTBEAT_SECONDS) * 1000,
              }
            : {}),
        ...(env.PROMOTIONS_PUBLIC_URL ? { publicUrl: publicUrlFrom(env.PROMOTIONS_PUBLIC_URL) } : {}),
        ...(env.PROMOTIONS_RUNTIME ? { runtime: env.PROMOTIONS_RUNTIME } : {}),
        ...(env.PROMOTIONS_ARGOCD_NAMESPACE ? { applicationNamespace: env.PROMOTIONS_ARGOCD_NAMESPACE } : {}),
        colour: stdoutIsTTY && env.NO_COLOR === undefined && !globals.noColor,
        debug: yes(env.PROMOTIONS_DEBUG),
        get actor() {
            actor ??= resolveActor(undefined, actorSources);
            return actor;
        },
        ...(env.PROMOTIONS_SERVER
            ? {
                  server: {
                      url: env.PROMOTIONS_SERVER,
                      ...(env.PROMOTIONS_TOKEN ? { token: env.PROMOTIONS_TOKEN } : {}),
                  },
              }
            : {}),
        notificationsWaitMs: notificationsWaitMs(env.PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS),
    };
}

/** The engine methods the commands call (the facade's public surface; unit tests pass a hand-written fake). */
export type CliEngine = Pick<
    PromoteEngine,
    | "preview"
    | "previewWithEngine"
    | "savePlan"
    | "stackInfo"
    | "release"
    | "retry"
    | "terminate"
    | "releases"
    | "find"
    | "cursor"
    | "setCursor"
    | "holds"
    | "hold"
    | "releaseHold"
    | "rollback"
    | "prune"
    | "approve"
    | "reject"
    | "resume"
    | "resumeReady"
>;

/** The loop and one-shot poll of the trigger watcher, as `watch` and `serve` use them. */
export type CliWatcher = Pick<TriggerWatcher, "pollOnce" | "run" | "prompt">;

/** Where commands write: one line at a time to stdout or stderr, or raw to stderr (progress redraws). */
export interface Terminal {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly errRaw: (chunk: string) => void;
    /** stderr is a terminal: live progress redraws in place. */
    readonly interactive: boolean;
    readonly style: Style;
}

export interface Clock {
    /** Milliseconds since the epoch. */
    now(): number;
}

/** What `doctor` runs on this machine. */
export interface SystemProbes {
    readonly locateEngine: () => Promise<EngineLocation>;
    /** Runs a program (with this process's environment plus `env`); rejects on a non-zero exit or timeout. */
    readonly exec: (
        file: string,
        args: readonly string[],
        opts: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs: number },
    ) => Promise<{ stdout: string; stderr: string }>;
}

/** What a long-running command (`serve`) adds to its engines: a metrics sink, where warnings go. */
export interface EngineExtras {
    readonly metrics?: EngineMetrics;
    /** Notification delivery warnings (default: a `warning:` line on stderr). */
    readonly warn?: (line: string) => void;
    /** Aborts when `serve` shuts down (see PromoteEngineOptions.drain). */
    readonly drain?: AbortSignal;
}

/** Everything a command needs besides its options. Only cli/main.ts builds the real one. */
export interface CliDeps {
    /** The engine for --config and --state, reporting progress to `onProgress`. */
    readonly engine: (onProgress?: (e: ProgressEvent) => void, extras?: EngineExtras) => Promise<CliEngine>;
    /** The validated definitions of --config (throws an InvalidInputError listing every problem). */
    readonly catalog: () => Catalog;
    /** A trigger watcher over the engine, for these products (all by default; an unknown one is refused). */
    readonly watcher: (o: {
        readonly products?: readonly string[];
        readonly log: (line: string) => void;
        readonly onProgress?: (e: ProgressEvent) => void;
        readonly extras?: EngineExtras;
        /** A resume loop runs beside it: a release that waits is left Suspended for the loop. */
        readonly noWait?: boolean;
    }) => Promise<CliWatcher>;
    /** The API tokens of --state (the `promotions-access` stack). */
    readonly tokens: () => Promise<TokenStore>;
    readonly system: SystemProbes;
    readonly io: Terminal;
    readonly clock: Clock;
    /** Aborts on SIGINT or SIGTERM (the handlers are installed on the first call). */
    readonly stopSignal: () => AbortSignal;
    /** The server to act through (PROMOTIONS_SERVER), when there is one. */
    readonly server?: RemoteServer;
}
