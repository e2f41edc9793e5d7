import { InvalidInputError } from "../../model/errors";
import { normalizeBasePath } from "../../server/basePath";
import { TrustedProxies } from "../../server/auth/proxy";
import type { ServerLimits } from "../../server/limits";
import { defaultServerLimits, minIdleTimeoutMs } from "../../server/limits";
import type { WebhookSecret } from "../../engine/triggers/webhookSecrets";
import { webhookSecretsOf } from "../../engine/triggers/webhookSecrets";
import type { HostKind } from "../../provider/scm/scm";
import type { CliSettings } from "../context";
import type { LogFormat } from "../serveLog";
import type { CommandSpec, Values } from "../spec";
import { duration, flag, products, text, texts } from "../spec";

export interface ServeCommandOptions {
    readonly products?: readonly string[];
    /** Also poll this often (ms); without it only webhooks prompt a poll. */
    readonly intervalMs?: number;
    readonly port: number;
    readonly host: string;
    /** PROMOTIONS_WEBHOOK_SECRET: GitHub's webhook secret (and any hosts entry's without its own). */
    readonly secret?: string;
    /**
     * The webhook secrets of the configured hosts, per kind (PROMOTIONS_HOSTS entries' `webhookSecretEnv`); with
     * none here and no {@link secret}, the server takes no webhooks (the API and console work alike).
     */
    readonly webhookSecrets?: Partial<Record<HostKind, readonly WebhookSecret[]>>;
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
    /** `--max-connections N`, `--request-timeout D`, `--idle-timeout D` (server/limits.ts). */
    readonly limits?: Partial<ServerLimits>;
    /**
     * `--shutdown-grace D`: how long after SIGTERM the process may take to finish or hand over its work before
     * it exits anyway (default 55 s, under the chart's terminationGracePeriodSeconds of 60).
     */
    readonly shutdownGraceMs?: number;
    /** `--base-path /P` (or PROMOTIONS_BASE_PATH): the path prefix a reverse proxy serves the server under. */
    readonly basePath?: string;
    /** `--log-format`: JSON lines (default when stdout is not a terminal) or text lines (on a terminal). */
    readonly logFormat?: LogFormat;
    /** What `/readyz` checks: the state backend and the definitions (read again on each check). */
    readonly readiness?: {
        readonly stateUrl: string;
        readonly configPath: string;
        readonly applicationNamespace?: string;
    };
}

function logFormat(v: Values, stdoutIsTerminal: boolean | undefined): LogFormat {
    const raw = text(v, "log-format");
    if (raw === undefined) {
        return stdoutIsTerminal ? "text" : "json";
    }
    if (raw !== "json" && raw !== "text") {
        throw new InvalidInputError(
            `--log-format "${raw}": json (one JSON object a line) or text (lines for a terminal)`,
            { path: "--log-format" },
        );
    }
    return raw;
}

/** `--base-path`, else PROMOTIONS_BASE_PATH, normalised ("" for none); the error names whichever was given. */
function basePathOption(v: Values, fromEnv: string | undefined): string {
    const flagValue = text(v, "base-path");
    return flagValue !== undefined
        ? normalizeBasePath(flagValue, "--base-path")
        : normalizeBasePath(fromEnv, "PROMOTIONS_BASE_PATH");
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

/** `--max-connections N --request-timeout D --idle-timeout D`: what serve allows a connection (server/limits.ts). */
function serverLimitOptions(v: Values): Partial<ServerLimits> {
    const max = text(v, "max-connections");
    if (max !== undefined && (!/^\d+$/.test(max) || Number(max) < 1 || !Number.isSafeInteger(Number(max)))) {
        throw new InvalidInputError(
            `--max-connections "${max}": a positive number of connections (default ${defaultServerLimits.maxConnections})`,
            { path: "--max-connections" },
        );
    }
    const idle = duration(v, "idle-timeout");
    if (idle !== undefined && idle < minIdleTimeoutMs) {
        throw new InvalidInputError(
            `--idle-timeout "${text(v, "idle-timeout")}": at least ${minIdleTimeoutMs / 1000}s, ` +
                "so event streams (a comment every 15 s) stay open",
            { path: "--idle-timeout" },
        );
    }
    const request = duration(v, "request-timeout");
    return {
        ...(max !== undefined ? { maxConnections: Number(max) } : {}),
        ...(request !== undefined ? { requestTimeoutMs: request } : {}),
        ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
    };
}

export const serveSpec = {
    summary:
        "the server: JSON API and event stream under /api/v1, the console, push webhooks of every configured code host at /webhooks/<kind> (signed or token-checked, with PROMOTIONS_WEBHOOK_SECRET or each host's own secret)",
    usage:
        "promote serve [--port N] [--host H] [--insecure-no-auth] [--oidc-issuer URL --oidc-audience AUD " +
        "[--oidc-groups-claim NAME]] [--trusted-proxy CIDR]... [--product P[,Q]] [--interval D] " +
        "[--max-connections N] [--request-timeout D] [--idle-timeout D] [--shutdown-grace D] [--base-path /P] " +
        "[--log-format json|text]",
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
        "max-connections": { type: "string" },
        "request-timeout": { type: "string" },
        "idle-timeout": { type: "string" },
        "shutdown-grace": { type: "string" },
        "log-format": { type: "string" },
        "base-path": { type: "string" },
    },
    help: {
        port: "the port to listen on (default 8080; 0: any free port)",
        host: "the address to listen on (default 127.0.0.1)",
        "insecure-no-auth": "listen on a non-loopback address with no credentials and no permission rules",
        "oidc-issuer": "accept bearer JWTs from this OpenID Connect issuer (with --oidc-audience)",
        "oidc-audience": "the audience (client id) the issuer's tokens must name",
        "oidc-groups-claim": "the JWT claim that lists the user's groups (default groups)",
        "trusted-proxy": "believe X-Forwarded-User/Email/Groups from peers in this CIDR; repeatable",
        product: "serve only these products (comma-separated; default: every product)",
        interval: "also poll the trigger branches this often (default: only when a webhook arrives)",
        "max-connections": "the most connections open at once, event streams included (default 4096)",
        "request-timeout": "how long a request body may take after its headers: 408 after (default 30s)",
        "idle-timeout": "close a connection silent this long (default 2m, at least 30s)",
        "shutdown-grace":
            "after SIGTERM, finish or hand over the work under way for at most this long, then exit (default 55s; keep it under the pod's terminationGracePeriodSeconds)",
        "base-path":
            "serve the console, API and webhooks under this path prefix, as a reverse proxy or Ingress forwards them (e.g. /promotions; or PROMOTIONS_BASE_PATH)",
        "log-format":
            "json (one object a line, with release, product and environment) or text (default: json when stdout is not a terminal)",
    },
    build: (v, _p, s): ServeCommandOptions => {
        const trustedProxies = texts(v, "trusted-proxy");
        new TrustedProxies(trustedProxies);
        const limits = serverLimitOptions(v);
        const basePath = basePathOption(v, s.basePath);
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
            ...(Object.keys(limits).length > 0 ? { limits } : {}),
            ...(text(v, "shutdown-grace") !== undefined
                ? { shutdownGraceMs: duration(v, "shutdown-grace") }
                : {}),
            ...(basePath ? { basePath } : {}),
            logFormat: logFormat(v, s.stdoutIsTerminal),
            readiness: {
                stateUrl: s.stateUrl,
                configPath: s.configPath,
                ...(s.applicationNamespace ? { applicationNamespace: s.applicationNamespace } : {}),
            },
        };
        const webhookSecrets = webhookSecretsOf(s.scm.hosts ?? []);
        return {
            ...options,
            ...(s.webhookSecret ? { secret: s.webhookSecret } : {}),
            ...(Object.keys(webhookSecrets).length > 0 ? { webhookSecrets } : {}),
        };
    },
} satisfies CommandSpec<ServeCommandOptions>;
