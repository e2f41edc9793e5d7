import type { ParseArgsConfig } from "node:util";
import { parseArgs } from "node:util";
import * as path from "path";
import type { PolicyFields } from "../components/promotionPolicy";
import type { ReleaseTarget } from "../engine/planRelease";
import { parseDuration } from "../model/duration";
import { InvalidInputError } from "../model/errors";
import { TrustedProxies } from "../server/auth/proxy";
import type { CliSettings } from "./context";

/**
 * The command line, parsed once: global options, then one options object per command (`XxxCommandOptions`)
 * built from its own flags. Nothing else reads argv.
 */

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
type Values = Readonly<Record<string, string | boolean | undefined>>;

/** Options every command takes. */
export const globalOptions = {
    config: { type: "string" },
    state: { type: "string" },
    "no-color": { type: "boolean" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
} as const satisfies OptionsConfig;

export interface GlobalOptions {
    readonly config?: string;
    readonly state?: string;
    readonly noColor: boolean;
}

/** A command's flags, usage and how its options object is built from them. */
export interface CommandSpec<O = unknown> {
    readonly summary: string;
    readonly usage: string;
    readonly options: OptionsConfig;
    /** Names of the positionals it takes (e.g. `["ID"]`); none by default. */
    readonly positionals?: readonly string[];
    readonly build: (values: Values, positionals: readonly string[], settings: CliSettings) => O;
}

/** A wrong command line: the message, and the usage to print after it. Exit code 2. */
export class UsageError extends InvalidInputError {
    constructor(
        message: string,
        readonly usage: string,
    ) {
        super(message, { path: "argv" });
    }
}

function text(values: Values, name: string): string | undefined {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
}

function required(values: Values, name: string, what: string): string {
    const v = text(values, name);
    if (v === undefined || v === "") {
        throw new InvalidInputError(`missing --${name}: ${what}`, { path: `--${name}` });
    }
    return v;
}

const flag = (values: Values, name: string): boolean => values[name] === true;

function duration(values: Values, name: string, fallback?: string): number | undefined {
    const raw = text(values, name) ?? fallback;
    if (raw === undefined) {
        return undefined;
    }
    const ms = parseDuration(raw);
    if (ms === undefined) {
        throw new InvalidInputError(`--${name} "${raw}": a positive duration such as 30s or 5m`, {
            path: `--${name}`,
        });
    }
    return ms;
}

/** A repeatable option (`multiple: true`): every value given, in order. */
function texts(values: Values, name: string): string[] {
    const v = (values as Readonly<Record<string, unknown>>)[name];
    return Array.isArray(v)
        ? v.filter((x): x is string => typeof x === "string")
        : typeof v === "string"
          ? [v]
          : [];
}

/** `--as USER`: who acts when the CLI writes the state directly (else the CI's actor, else the login). */
const asOption = { as: { type: "string" } } as const;
const actorOf = (v: Values, s: CliSettings) => text(v, "as") || s.actor;

function products(values: Values): readonly string[] | undefined {
    const list = text(values, "product")
        ?.split(",")
        .map((p) => p.trim())
        .filter(Boolean);
    return list && list.length > 0 ? list : undefined;
}

function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
    const v = text(values, name);
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) {
        throw new InvalidInputError(`unknown --${name} "${v}": ${allowed.join(", ")}`, { path: `--${name}` });
    }
    return v as T | undefined;
}

function distinct(from: string, to: string): void {
    if (from === to) {
        throw new InvalidInputError(`--from and --to are both "${from}": promote to another environment`, {
            path: "--to",
        });
    }
}

/** `--flow F` or `--from ENV --to ENV`. */
function target(values: Values): ReleaseTarget {
    const flow = text(values, "flow");
    const from = text(values, "from");
    const to = text(values, "to");
    if (flow && (from || to)) {
        throw new InvalidInputError("give either --flow F or --from ENV --to ENV, not both");
    }
    if (flow) {
        return { flow };
    }
    if (from && to) {
        distinct(from, to);
        return { from, to };
    }
    throw new InvalidInputError(
        `missing ${from ? "--to ENV" : to ? "--from ENV" : "--flow F (or --from ENV --to ENV)"}`,
    );
}

const json = { json: { type: "boolean" } } as const;
const overrideHold = {
    "override-hold": { type: "boolean" },
    "override-window": { type: "boolean" },
} as const;
const noWait = { "no-wait": { type: "boolean" } } as const;
/** `--message TEXT`: written into the body of each promotion commit. */
const message = { message: { type: "string" } } as const;
const messageOf = (v: Values) => (text(v, "message") ? { message: text(v, "message")! } : {});
const noWaitOf = (v: Values) => (flag(v, "no-wait") ? { noWait: true as const } : {});
const overrideHoldOf = (v: Values) => ({
    ...(flag(v, "override-hold") ? { overrideHold: true } : {}),
    ...(flag(v, "override-window") ? { overrideWindow: true } : {}),
});

/** `--product P --environment E [--as USER]` of the hold and rollback commands. */
function holdTarget(v: Values, s: CliSettings, what: string) {
    return {
        product: required(v, "product", `the product whose environment to ${what}`),
        environment: required(v, "environment", `the environment to ${what}`),
        by: text(v, "as") || s.actor,
        json: flag(v, "json"),
    };
}
const sourceCommit = { "source-commit": { type: "string" } } as const;

/** `--policy-pack DIR`, repeatable: policy packs for every environment, on top of the policies' own. */
const policyPack = { "policy-pack": { type: "string", multiple: true } } as const;
const policyPacksOf = (v: Values): { policyPacks?: readonly string[] } => {
    const raw = (v as Readonly<Record<string, unknown>>)["policy-pack"];
    const dirs = (Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : []).filter(
        (d): d is string => typeof d === "string" && d !== "",
    );
    return dirs.length > 0 ? { policyPacks: dirs.map((d) => path.resolve(d)) } : {};
};

export interface ValidateCommandOptions {
    readonly configPath: string;
}
export interface GraphCommandOptions {
    readonly flow: string;
    readonly format: "text" | "mermaid" | "dot";
    readonly product?: string;
}
export interface PreviewCommandOptions {
    readonly product: string;
    readonly target: ReleaseTarget;
    readonly sourceCommit?: string;
    readonly json: boolean;
    /** Run a real `pulumi preview` on the promote stack instead of the in-process computation. */
    readonly engine: boolean;
    /** `--policy-pack DIR` (absolute): evaluated in the engine's preview (implies `engine`). */
    readonly policyPacks?: readonly string[];
    /** `--save-plan FILE`: save Pulumi's update plan of the release there (implies `engine`). */
    readonly savePlan?: string;
}
export interface StackCommandOptions {
    readonly product: string;
    /** The flow the shipped program previews (default: the product's first). */
    readonly flow?: string;
    readonly configPath: string;
    readonly gitCacheDir: string;
    readonly json: boolean;
}
/** `--no-wait`: return (exit code 4) as soon as the release is Suspended, leaving it for `resume`. */
export interface NoWaitOption {
    readonly noWait?: true;
}
export interface TriggerCommandOptions extends NoWaitOption {
    /** `--message TEXT`: for the body of each promotion commit. */
    readonly message?: string;
    readonly product: string;
    readonly flow: string;
    readonly sourceCommit?: string;
    readonly json: boolean;
    /** Run through held environments (recorded on the release). */
    readonly overrideHold?: boolean;
    /** Run outside the environments' promotion windows (recorded on the release). */
    readonly overrideWindow?: boolean;
    /** `--policy-pack DIR` (absolute), for every environment. */
    readonly policyPacks?: readonly string[];
    /** `--plan FILE`: apply exactly the plan `preview --save-plan` saved. */
    readonly planFile?: string;
    /** Who triggers (recorded on the release as its initiator, via `local`). */
    readonly by?: string;
}
export interface PromoteCommandOptions extends NoWaitOption {
    /** `--message TEXT`: for the body of each promotion commit. */
    readonly message?: string;
    readonly product: string;
    readonly from: string;
    readonly to: string;
    readonly overrides: PolicyFields;
    readonly sourceCommit?: string;
    readonly json: boolean;
    /** Promote to a held environment (recorded on the release). */
    readonly overrideHold?: boolean;
    /** Promote outside the environment's promotion windows (recorded on the release). */
    readonly overrideWindow?: boolean;
    /** `--policy-pack DIR` (absolute). */
    readonly policyPacks?: readonly string[];
    /** Who promotes (recorded on the release as its initiator, via `local`). */
    readonly by?: string;
}
/** `hold` and `release-hold`: one environment of a product, and who acts. */
export interface HoldCommandOptions {
    readonly product: string;
    readonly environment: string;
    readonly by: string;
    readonly reason?: string;
    readonly json: boolean;
}
export interface HoldsCommandOptions {
    readonly product: string;
    readonly json: boolean;
}
export interface PruneCommandOptions {
    readonly product: string;
    /** The newest this many releases, or every release newer than this many ms. */
    readonly keep: { readonly count: number } | { readonly maxAgeMs: number };
    readonly dryRun: boolean;
    readonly json: boolean;
}
export interface RollbackCommandOptions {
    readonly product: string;
    readonly environment: string;
    readonly toRelease?: string;
    readonly toVersion?: string;
    readonly by: string;
    readonly json: boolean;
}
export interface ReleasesCommandOptions {
    readonly product: string;
    readonly json: boolean;
    /** At most this many (newest first); every release when absent. */
    readonly limit?: number;
    /** Only releases older than this id (the last id of the previous page). */
    readonly before?: string;
}
/** `release`, `retry` and `terminate`: one release by id. */
export interface ReleaseIdCommandOptions {
    readonly id: string;
    readonly json: boolean;
    /** Who retries or terminates (appended to the release's audit, via `local`). */
    readonly by?: string;
}
export interface RetryCommandOptions extends ReleaseIdCommandOptions, NoWaitOption {
    /** Retry even though newer releases succeeded in some of its environments (it rolls them back). */
    readonly forceOlder: boolean;
}
/** `approve` and `reject`: a decision on an environment of a release waiting for approval. */
export interface DecisionCommandOptions {
    readonly id: string;
    readonly environment: string;
    readonly comment?: string;
    /** Who decides: `--as`, else the CI's actor. */
    readonly by: string;
    /** `--group G[,H]`: the groups the local identity claims (direct state access is only as strong as the backend's). */
    readonly groups: readonly string[];
    readonly json: boolean;
}
/** `resume [ID]`: one Suspended release, or every one whose wait is over (of `--product`). */
export interface ResumeCommandOptions extends NoWaitOption {
    readonly id?: string;
    readonly products?: readonly string[];
    readonly json: boolean;
}
export interface WatchCommandOptions {
    readonly products?: readonly string[];
    readonly intervalMs: number;
    readonly once: boolean;
}
export interface ServeCommandOptions {
    readonly products?: readonly string[];
    /** Also poll this often (ms); without it only webhooks prompt a poll. */
    readonly intervalMs?: number;
    readonly port: number;
    readonly host: string;
    readonly secret: string;
    /** `--insecure-no-auth`: listen on a non-loopback host without permission rules; requests need no credentials. */
    readonly insecureNoAuth?: true;
    /** `--oidc-issuer URL --oidc-audience AUD [--oidc-groups-claim NAME]`: accept the issuer's bearer JWTs. */
    readonly oidc?: { readonly issuer: string; readonly audience: string; readonly groupsClaim?: string };
    /** `--trusted-proxy CIDR` (repeatable): peers whose X-Forwarded-User/Email/Groups headers are believed. */
    readonly trustedProxies?: readonly string[];
    /** How often Suspended releases are checked for a wait that is over (ms; default 30 s). */
    readonly resumeIntervalMs?: number;
    /** Argo CD (PROMOTIONS_ARGOCD_URL), for health and sync in the API. */
    readonly argocd?: CliSettings["argocd"];
    /** The clone cache and tokens, for the versions in Git the API shows. */
    readonly git?: { readonly cacheDir: string; readonly tokens: Readonly<Record<string, string>> };
}
/** `promote token create|list|revoke`. */
export type TokenCommandOptions =
    | {
          readonly action: "create";
          readonly user: string;
          readonly groups: readonly string[];
          readonly description?: string;
          readonly by: string;
          readonly json: boolean;
      }
    | { readonly action: "list"; readonly json: boolean }
    | { readonly action: "revoke"; readonly id: string; readonly by: string; readonly json: boolean };

const tokenActions = ["create", "list", "revoke"] as const;

function tokenOptions(v: Values, positionals: readonly string[], s: CliSettings): TokenCommandOptions {
    const action = positionals[0];
    if (!(tokenActions as readonly string[]).includes(action ?? "")) {
        throw new InvalidInputError(
            `${action === undefined ? "missing action" : `unknown action "${action}"`}: promote token create|list|revoke`,
            { path: "--action" },
        );
    }
    const onlyCreate = ["user", "group", "description"].filter((n) => v[n] !== undefined);
    if (action !== "create" && onlyCreate.length > 0) {
        throw new InvalidInputError(`--${onlyCreate[0]} is for 'promote token create' only`, {
            path: `--${onlyCreate[0]}`,
        });
    }
    if (action !== "revoke" && positionals[1] !== undefined) {
        throw new InvalidInputError(
            `unexpected argument '${positionals[1]}': only 'token revoke' takes an ID`,
            {
                path: "--id",
            },
        );
    }
    const json = flag(v, "json");
    switch (action) {
        case "create":
            return {
                action,
                user: required(v, "user", "the user the token stands for"),
                groups: texts(v, "group"),
                ...(text(v, "description") ? { description: text(v, "description") } : {}),
                by: actorOf(v, s),
                json,
            };
        case "list":
            return { action, json };
        default: {
            const id = positionals[1];
            if (!id) {
                throw new InvalidInputError(
                    "missing token ID: promote token revoke ID (see 'promote token list')",
                    {
                        path: "--id",
                    },
                );
            }
            return { action: "revoke", id, by: actorOf(v, s), json };
        }
    }
}

export interface DoctorCommandOptions {
    readonly configPath: string;
    readonly stateUrl: string;
    readonly passphrase: string;
    readonly cacheDir: string;
    readonly searchPath?: string;
}

const releaseId =
    (command: string) =>
    (values: Values, positionals: readonly string[]): ReleaseIdCommandOptions => {
        const id = positionals[0];
        if (!id) {
            throw new InvalidInputError(`missing release ID: promote ${command} ID`, { path: "ID" });
        }
        return { id, json: flag(values, "json") };
    };

/** `--keep`: a count of releases (`500`), or an age: days (`270d`), weeks (`40w`), months (`9m`, `9mo`), years. */
function keepOf(raw: string): PruneCommandOptions["keep"] {
    if (/^[1-9]\d*$/.test(raw)) {
        return { count: Number(raw) };
    }
    const m = /^([1-9]\d*)(d|w|m|mo|y)$/.exec(raw);
    if (!m) {
        throw new InvalidInputError(
            `--keep "${raw}": a number of releases (500) or an age in days, weeks, months or years (270d, 40w, 9m, 1y)`,
            { path: "--keep" },
        );
    }
    const day = 86_400_000;
    const unit = { d: day, w: 7 * day, m: 30 * day, mo: 30 * day, y: 365 * day }[
        m[2] as "d" | "w" | "m" | "mo" | "y"
    ];
    return { maxAgeMs: Number(m[1]) * unit };
}

function port(values: Values): number {
    const raw = text(values, "port") ?? "8080";
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n > 65535) {
        throw new InvalidInputError(`--port "${raw}": a port number from 0 to 65535 (0: any free port)`, {
            path: "--port",
        });
    }
    return n;
}

/** `--oidc-issuer URL --oidc-audience AUD [--oidc-groups-claim NAME]`, both or neither of the first two. */
function oidc(v: Values): ServeCommandOptions["oidc"] {
    const issuer = text(v, "oidc-issuer");
    const audience = text(v, "oidc-audience");
    const groupsClaim = text(v, "oidc-groups-claim");
    if (!issuer) {
        const stray =
            audience !== undefined ? "oidc-audience" : groupsClaim !== undefined ? "oidc-groups-claim" : "";
        if (stray) {
            throw new InvalidInputError(`--${stray} needs --oidc-issuer URL`, { path: `--${stray}` });
        }
        return undefined;
    }
    if (!audience) {
        throw new InvalidInputError(
            "--oidc-issuer needs --oidc-audience AUD: the audience (client id) the issuer's tokens name for this server",
            { path: "--oidc-audience" },
        );
    }
    return { issuer, audience, ...(groupsClaim ? { groupsClaim } : {}) };
}

function host(values: Values): string {
    const h = text(values, "host") ?? "127.0.0.1";
    if (!/^[\w.:-]+$/.test(h)) {
        throw new InvalidInputError(`--host "${h}": a host name or IP address (e.g. 127.0.0.1 or 0.0.0.0)`, {
            path: "--host",
        });
    }
    return h;
}

const decisionOptions = {
    environment: { type: "string" },
    comment: { type: "string" },
    as: { type: "string" },
    group: { type: "string" },
    ...json,
} as const;

/** `approve|reject ID --environment E [--comment TEXT] [--as USER] [--group G[,H]]`. */
const decision =
    (verb: "approve" | "reject") =>
    (v: Values, positionals: readonly string[], s: CliSettings): DecisionCommandOptions => {
        const id = positionals[0];
        if (!id) {
            throw new InvalidInputError(`missing release ID: promote ${verb} ID --environment E`, {
                path: "ID",
            });
        }
        const comment = text(v, "comment");
        return {
            id,
            environment: required(v, "environment", `the environment to ${verb}`),
            ...(comment ? { comment } : {}),
            by: text(v, "as") || s.actor,
            groups: (text(v, "group") ?? "")
                .split(",")
                .map((g) => g.trim())
                .filter(Boolean),
            json: flag(v, "json"),
        };
    };

/** The commands, in the order `promote --help` lists them. */
export const commandSpecs = {
    validate: {
        summary: "load and check the definitions; print a summary or every problem (exit code 2)",
        usage: "promote [--config DIR|MODULE] validate",
        options: {},
        build: (_v, _p, s): ValidateCommandOptions => ({ configPath: s.configPath }),
    },
    graph: {
        summary: "draw a flow: layers and critical path, or Mermaid / Graphviz DOT",
        usage: "promote graph --flow F [--format text|mermaid|dot] [--product P]",
        options: { flow: { type: "string" }, format: { type: "string" }, product: { type: "string" } },
        build: (v): GraphCommandOptions => ({
            flow: required(v, "flow", "the flow to draw"),
            format: oneOf(v, "format", ["text", "mermaid", "dot"] as const) ?? "text",
            ...(text(v, "product") ? { product: text(v, "product") } : {}),
        }),
    },
    preview: {
        summary: "show what a release would change in every environment (writes nothing)",
        usage:
            "promote preview --product P (--flow F | --from ENV --to ENV) [--source-commit SHA] [--engine] " +
            "[--policy-pack DIR]... [--save-plan FILE] [--json]",
        options: {
            product: { type: "string" },
            flow: { type: "string" },
            from: { type: "string" },
            to: { type: "string" },
            engine: { type: "boolean" },
            "save-plan": { type: "string" },
            ...sourceCommit,
            ...policyPack,
            ...json,
        },
        build: (v): PreviewCommandOptions => ({
            product: required(v, "product", "the product to preview"),
            target: target(v),
            ...(text(v, "source-commit") ? { sourceCommit: text(v, "source-commit") } : {}),
            json: flag(v, "json"),
            engine:
                flag(v, "engine") ||
                policyPacksOf(v).policyPacks !== undefined ||
                Boolean(text(v, "save-plan")),
            ...policyPacksOf(v),
            ...(text(v, "save-plan") ? { savePlan: path.resolve(text(v, "save-plan")!) } : {}),
        }),
    },
    stack: {
        summary: "how to use the plain Pulumi CLI on a product's promote stack (backend, names, environment)",
        usage: "promote stack --product P [--flow F] [--json]",
        options: { product: { type: "string" }, flow: { type: "string" }, ...json },
        build: (v, _p, s): StackCommandOptions => ({
            product: required(v, "product", "the product whose promote stack to show"),
            ...(text(v, "flow") ? { flow: text(v, "flow") } : {}),
            configPath: s.configPath,
            gitCacheDir: s.gitCacheDir,
            json: flag(v, "json"),
        }),
    },
    trigger: {
        summary: "run a flow as a release, with live progress",
        usage:
            "promote trigger --product P --flow F [--source-commit SHA] [--override-hold] [--override-window] " +
            "[--policy-pack DIR]... [--plan FILE] [--as USER] [--no-wait] [--message TEXT] [--json]",
        options: {
            product: { type: "string" },
            flow: { type: "string" },
            plan: { type: "string" },
            ...sourceCommit,
            ...overrideHold,
            ...policyPack,
            ...asOption,
            ...noWait,
            ...message,
            ...json,
        },
        build: (v, _p, s): TriggerCommandOptions => ({
            product: required(v, "product", "the product to release"),
            flow: required(v, "flow", "the flow to run"),
            ...(text(v, "source-commit") ? { sourceCommit: text(v, "source-commit") } : {}),
            json: flag(v, "json"),
            ...overrideHoldOf(v),
            ...policyPacksOf(v),
            ...(text(v, "plan") ? { planFile: path.resolve(text(v, "plan")!) } : {}),
            by: actorOf(v, s),
            ...noWaitOf(v),
            ...messageOf(v),
        }),
    },
    promote: {
        summary: "promote to one environment (flow 'manual'); policy fields overridable",
        usage:
            "promote promote --product P --from ENV --to ENV [--action commit|pr|none] [--pre-action W] " +
            "[--post-action W] [--source-commit SHA] [--override-hold] [--override-window] " +
            "[--policy-pack DIR]... [--as USER] [--no-wait] [--message TEXT] [--json]",
        options: {
            product: { type: "string" },
            from: { type: "string" },
            to: { type: "string" },
            action: { type: "string" },
            "pre-action": { type: "string" },
            "post-action": { type: "string" },
            ...sourceCommit,
            ...overrideHold,
            ...policyPack,
            ...asOption,
            ...noWait,
            ...message,
            ...json,
        },
        build: (v, _p, s): PromoteCommandOptions => {
            const product = required(v, "product", "the product to promote");
            const from = required(v, "from", "the environment to promote from");
            const to = required(v, "to", "the environment to promote to");
            distinct(from, to);
            const action = oneOf(v, "action", ["commit", "pr", "none"] as const);
            const pre = text(v, "pre-action");
            const post = text(v, "post-action");
            return {
                product,
                from,
                to,
                overrides: {
                    ...(action ? { action } : {}),
                    ...(pre ? { preAction: pre } : {}),
                    ...(post ? { postAction: post } : {}),
                },
                ...(text(v, "source-commit") ? { sourceCommit: text(v, "source-commit") } : {}),
                json: flag(v, "json"),
                ...overrideHoldOf(v),
                ...policyPacksOf(v),
                by: actorOf(v, s),
                ...noWaitOf(v),
                ...messageOf(v),
            };
        },
    },
    releases: {
        summary: "list a product's releases, newest first",
        usage: "promote releases --product P [--limit N] [--before ID] [--json]",
        options: {
            product: { type: "string" },
            limit: { type: "string" },
            before: { type: "string" },
            ...json,
        },
        build: (v): ReleasesCommandOptions => {
            const limit = text(v, "limit");
            if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) {
                throw new InvalidInputError(`--limit "${limit}": a whole number of releases, 1 or more`, {
                    path: "--limit",
                });
            }
            const before = text(v, "before");
            return {
                product: required(v, "product", "the product whose releases to list"),
                json: flag(v, "json"),
                ...(limit !== undefined ? { limit: Number(limit) } : {}),
                ...(before !== undefined ? { before } : {}),
            };
        },
    },
    release: {
        summary: "show one release: environments, applications, commits, changes",
        usage: "promote release ID [--json]",
        options: { ...json },
        positionals: ["ID"],
        build: releaseId("release"),
    },
    retry: {
        summary: "resume a Failed or Terminated release from where it stopped (same id)",
        usage: "promote retry ID [--force-older] [--as USER] [--no-wait] [--json]",
        options: { "force-older": { type: "boolean" }, ...asOption, ...noWait, ...json },
        positionals: ["ID"],
        build: (v, positionals, s): RetryCommandOptions => ({
            ...releaseId("retry")(v, positionals),
            by: actorOf(v, s),
            forceOlder: flag(v, "force-older"),
            ...noWaitOf(v),
        }),
    },
    approve: {
        summary: "approve an environment of a release waiting for approval",
        usage: "promote approve ID --environment E [--comment TEXT] [--as USER] [--group G[,H]] [--json]",
        options: decisionOptions,
        positionals: ["ID"],
        build: decision("approve"),
    },
    reject: {
        summary: "reject an environment of a release waiting for approval (it fails, left untouched)",
        usage: "promote reject ID --environment E [--comment TEXT] [--as USER] [--group G[,H]] [--json]",
        options: decisionOptions,
        positionals: ["ID"],
        build: decision("reject"),
    },
    resume: {
        summary:
            "continue a Suspended release (or every one whose wait is over: approved, window open, soaked)",
        usage: "promote resume [ID] [--product P[,Q]] [--no-wait] [--json]",
        options: { product: { type: "string" }, ...noWait, ...json },
        positionals: ["ID"],
        build: (v, positionals): ResumeCommandOptions => {
            if (positionals[0] && text(v, "product")) {
                throw new InvalidInputError("give either a release ID or --product P, not both", {
                    path: "--product",
                });
            }
            return {
                ...(positionals[0] ? { id: positionals[0] } : {}),
                ...(products(v) ? { products: products(v) } : {}),
                json: flag(v, "json"),
                ...noWaitOf(v),
            };
        },
    },
    terminate: {
        summary: "stop a queued or running release",
        usage: "promote terminate ID [--as USER] [--json]",
        options: { ...asOption, ...json },
        positionals: ["ID"],
        build: (v, positionals, s): ReleaseIdCommandOptions => ({
            ...releaseId("terminate")(v, positionals),
            by: actorOf(v, s),
        }),
    },
    hold: {
        summary: "hold an environment: flows and triggers skip it (and what follows it) until released",
        usage: "promote hold --product P --environment E [--reason R] [--as USER] [--json]",
        options: {
            product: { type: "string" },
            environment: { type: "string" },
            reason: { type: "string" },
            as: { type: "string" },
            ...json,
        },
        build: (v, _p, s): HoldCommandOptions => ({
            ...holdTarget(v, s, "hold"),
            ...(text(v, "reason") ? { reason: text(v, "reason") } : {}),
        }),
    },
    "release-hold": {
        summary: "release the hold on an environment",
        usage: "promote release-hold --product P --environment E [--as USER] [--json]",
        options: {
            product: { type: "string" },
            environment: { type: "string" },
            as: { type: "string" },
            ...json,
        },
        build: (v, _p, s): HoldCommandOptions => holdTarget(v, s, "release"),
    },
    holds: {
        summary: "list a product's held environments: who, when, why",
        usage: "promote holds --product P [--json]",
        options: { product: { type: "string" }, ...json },
        build: (v): HoldsCommandOptions => ({
            product: required(v, "product", "the product whose holds to list"),
            json: flag(v, "json"),
        }),
    },
    prune: {
        summary: "remove a product's oldest release records beyond --keep (a count, or an age such as 9m)",
        usage: "promote prune --product P --keep N|AGE [--dry-run] [--json]",
        options: {
            product: { type: "string" },
            keep: { type: "string" },
            "dry-run": { type: "boolean" },
            ...json,
        },
        build: (v): PruneCommandOptions => {
            const raw = required(
                v,
                "keep",
                "how many releases to keep (e.g. 500) or for how long (e.g. 9mo, 270d)",
            );
            return {
                product: required(v, "product", "the product whose records to prune"),
                keep: keepOf(raw),
                dryRun: flag(v, "dry-run"),
                json: flag(v, "json"),
            };
        },
    },
    rollback: {
        summary: "put an earlier release's candidate back in one environment, then hold it",
        usage: "promote rollback --product P --environment E [--to RELEASE_ID | --to-version V] [--as USER] [--json]",
        options: {
            product: { type: "string" },
            environment: { type: "string" },
            to: { type: "string" },
            "to-version": { type: "string" },
            as: { type: "string" },
            ...json,
        },
        build: (v, _p, s): RollbackCommandOptions => {
            const to = text(v, "to");
            const toVersion = text(v, "to-version");
            if (to && toVersion) {
                throw new InvalidInputError("give either --to RELEASE_ID or --to-version V, not both", {
                    path: "--to",
                });
            }
            return {
                ...holdTarget(v, s, "roll back"),
                ...(to ? { toRelease: to } : {}),
                ...(toVersion ? { toVersion } : {}),
            };
        },
    },
    watch: {
        summary: "follow the trigger branches and release what new commits call for",
        usage: "promote watch [--product P[,Q]] [--interval D] [--once]",
        options: { product: { type: "string" }, interval: { type: "string" }, once: { type: "boolean" } },
        build: (v): WatchCommandOptions => ({
            ...(products(v) ? { products: products(v) } : {}),
            intervalMs: duration(v, "interval", "1m")!,
            once: flag(v, "once"),
        }),
    },
    serve: {
        summary: "the server: JSON API and event stream under /api/v1, GitHub push webhooks (HMAC-verified)",
        usage:
            "promote serve [--port N] [--host H] [--insecure-no-auth] [--oidc-issuer URL --oidc-audience AUD " +
            "[--oidc-groups-claim NAME]] [--trusted-proxy CIDR]... [--product P[,Q]] [--interval D]",
        options: {
            port: { type: "string" },
            host: { type: "string" },
            "insecure-no-auth": { type: "boolean" },
            "oidc-issuer": { type: "string" },
            "oidc-audience": { type: "string" },
            "oidc-groups-claim": { type: "string" },
            "trusted-proxy": { type: "string", multiple: true },
            product: { type: "string" },
            interval: { type: "string" },
        },
        build: (v, _p, s): ServeCommandOptions => {
            const trustedProxies = texts(v, "trusted-proxy");
            new TrustedProxies(trustedProxies);
            const options = {
                ...(products(v) ? { products: products(v) } : {}),
                ...(text(v, "interval") ? { intervalMs: duration(v, "interval") } : {}),
                port: port(v),
                host: host(v),
                ...(flag(v, "insecure-no-auth") ? { insecureNoAuth: true as const } : {}),
                ...(oidc(v) ? { oidc: oidc(v) } : {}),
                ...(trustedProxies.length > 0 ? { trustedProxies } : {}),
                ...(s.argocd ? { argocd: s.argocd } : {}),
                git: { cacheDir: s.gitCacheDir, tokens: s.gitTokens },
            };
            if (!s.webhookSecret) {
                throw new InvalidInputError(
                    "set PROMOTIONS_WEBHOOK_SECRET to the webhook's secret (the same value as in GitHub's settings)",
                    { path: "PROMOTIONS_WEBHOOK_SECRET" },
                );
            }
            return { ...options, secret: s.webhookSecret };
        },
    },
    token: {
        summary: "API tokens for the server: create one (printed once), list them, revoke one",
        usage:
            "promote token create --user NAME [--group G]... [--description TEXT] [--as USER] [--json] | " +
            "promote token list [--json] | promote token revoke ID [--as USER] [--json]",
        options: {
            user: { type: "string" },
            group: { type: "string", multiple: true },
            description: { type: "string" },
            ...asOption,
            ...json,
        },
        positionals: ["ACTION", "ID"],
        build: tokenOptions,
    },
    init: {
        summary:
            "propose definitions from your GitOps repository (Argo CD Applications, Helm and Kustomize folders)",
        usage: "promote init --repo URL|DIR [--branch B] [--out DIR] [--force]",
        options: {
            repo: { type: "string" },
            branch: { type: "string" },
            out: { type: "string" },
            force: { type: "boolean" },
        },
        /** `out` is absolute; `force` writes over existing definitions. */
        build: (
            v,
            _p,
            s,
        ): {
            readonly repo: string;
            readonly branch?: string;
            readonly out: string;
            readonly force: boolean;
            readonly credentials?: { readonly tokens: Readonly<Record<string, string>> };
        } => ({
            repo: required(v, "repo", "the GitOps repository to read: a Git URL or a directory"),
            // A private repository is cloned with PROMOTIONS_GIT_TOKEN(S), as releases clone it.
            ...(Object.keys(s.gitTokens).length > 0 ? { credentials: { tokens: s.gitTokens } } : {}),
            ...(text(v, "branch") ? { branch: text(v, "branch") } : {}),
            // By default where the other commands look for definitions (--config, else ./promotions).
            out: text(v, "out") ? path.resolve(text(v, "out")!) : s.configDir,
            force: flag(v, "force"),
        }),
    },
    doctor: {
        summary: "check Node.js, git, the Pulumi engine, the state backend and the definitions",
        usage: "promote [--config DIR|MODULE] [--state URL] doctor",
        options: {},
        build: (_v, _p, s): DoctorCommandOptions => ({
            configPath: s.configPath,
            stateUrl: s.stateUrl,
            passphrase: s.passphrase,
            cacheDir: s.cacheDir,
            ...(s.searchPath !== undefined ? { searchPath: s.searchPath } : {}),
        }),
    },
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
