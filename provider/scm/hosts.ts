/**
 * The hosts configuration: one place saying which code host a repository URL belongs to, how to reach its
 * API, and which token (and webhook secret) is its own. It is read from `PROMOTIONS_HOSTS` (JSON) by the CLI,
 * the dynamic providers, `promote doctor` and the chart alike (docs/hosts.md).
 */
import { InvalidInputError } from "../../model/errors";
import type { HostEntry, HostKind } from "./scm";
import { hostKinds, repositoryURLParts } from "./scm";

/** The environment variable holding the hosts configuration. */
export const hostsVariable = "PROMOTIONS_HOSTS";

/** The environment variable holding the default push webhook secret (GitHub's, and any entry's without one). */
export const webhookSecretVariable = "PROMOTIONS_WEBHOOK_SECRET";

const entryFields = ["prefix", "kind", "apiUrl", "tokenEnv", "webhookSecretEnv"] as const;
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(index: number, field: string, why: string): InvalidInputError {
    return new InvalidInputError(`${hostsVariable}[${index}].${field}: ${why}`, {
        path: `${hostsVariable}[${index}].${field}`,
    });
}

/** A prefix as `host[:port]` and the path segments below it (lower-cased host; SSH URLs match by host name). */
interface ParsedPrefix {
    readonly scheme: string;
    readonly host: string;
    readonly segments: readonly string[];
}

function parsePrefix(prefix: string): ParsedPrefix | undefined {
    const m = /^(https?):\/\/(?:[^@/]*@)?([^/]+)(\/.*)?$/.exec(prefix);
    if (!m) {
        return undefined;
    }
    const segments = (m[3] ?? "").split("/").filter((s) => s !== "");
    return { scheme: m[1], host: m[2].toLowerCase(), segments };
}

/**
 * Reads one entry without its secrets: every field checked, unknown fields refused (a misspelt `tokenEnv`
 * would otherwise send no token and fail far from here).
 */
function entryFrom(raw: unknown, index: number): HostEntry {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        throw new InvalidInputError(
            `${hostsVariable}[${index}]: must be an object {"prefix", "kind", "apiUrl"?, "tokenEnv"?, "webhookSecretEnv"?}`,
            { path: `${hostsVariable}[${index}]` },
        );
    }
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) {
        if (!(entryFields as readonly string[]).includes(k)) {
            throw invalid(index, k, `unknown field (known: ${entryFields.join(", ")})`);
        }
    }
    if (typeof o.prefix !== "string" || !parsePrefix(o.prefix)) {
        throw invalid(index, "prefix", "must be an http(s) URL prefix, e.g. https://gitlab.example.com/");
    }
    if (typeof o.kind !== "string" || !(hostKinds as readonly string[]).includes(o.kind)) {
        throw invalid(
            index,
            "kind",
            `must be one of ${hostKinds.join(", ")} (got ${JSON.stringify(o.kind)})`,
        );
    }
    if (o.apiUrl !== undefined && (typeof o.apiUrl !== "string" || !/^https?:\/\/[^/]+/.test(o.apiUrl))) {
        throw invalid(
            index,
            "apiUrl",
            "must be the API's http(s) URL, e.g. https://gitlab.example.com/api/v4",
        );
    }
    for (const f of ["tokenEnv", "webhookSecretEnv"] as const) {
        if (o[f] !== undefined && (typeof o[f] !== "string" || !variableName.test(o[f]))) {
            throw invalid(index, f, "must be the name of an environment variable, e.g. GITLAB_TOKEN");
        }
    }
    return {
        prefix: o.prefix,
        kind: o.kind as HostKind,
        ...(typeof o.apiUrl === "string" ? { apiUrl: o.apiUrl.replace(/\/+$/, "") } : {}),
        ...(typeof o.tokenEnv === "string" ? { tokenEnv: o.tokenEnv } : {}),
        ...(typeof o.webhookSecretEnv === "string" ? { webhookSecretEnv: o.webhookSecretEnv } : {}),
    };
}

/**
 * The hosts configuration from an environment: `PROMOTIONS_HOSTS` parsed and checked, each entry's token read
 * from the variable it names (and its webhook secret from its own variable, else PROMOTIONS_WEBHOOK_SECRET).
 * Unset: no entries. A variable an entry names but the environment lacks leaves that entry without a token
 * (`promote doctor` says so).
 */
export function hostsFrom(env: NodeJS.ProcessEnv): HostEntry[] {
    const raw = env[hostsVariable];
    if (!raw) {
        return [];
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        throw new InvalidInputError(
            `${hostsVariable} is not valid JSON: set it to [{"prefix": "https://gitlab.example.com/", "kind": "gitlab", "tokenEnv": "GITLAB_TOKEN"}]`,
            { path: hostsVariable },
        );
    }
    if (!Array.isArray(parsed)) {
        throw new InvalidInputError(`${hostsVariable} must be a JSON array of host entries`, {
            path: hostsVariable,
        });
    }
    return parsed.map((r, i) => {
        const entry = entryFrom(r, i);
        const token = entry.tokenEnv ? env[entry.tokenEnv] : undefined;
        const secret = env[entry.webhookSecretEnv ?? webhookSecretVariable];
        return { ...entry, ...(token ? { token } : {}), ...(secret ? { webhookSecret: secret } : {}) };
    });
}

/**
 * The environment a child process (a dynamic provider) needs to read the same configuration: the entries
 * without secrets, and each token under the variable its entry names. Secrets travel only this way.
 */
export function hostsEnvironment(hosts: readonly HostEntry[]): Record<string, string> {
    if (hosts.length === 0) {
        return {};
    }
    const env: Record<string, string> = {};
    const entries = hosts.map((h) => {
        const { token, webhookSecret: _secret, ...rest } = h;
        if (token && h.tokenEnv) {
            env[h.tokenEnv] = token;
        }
        return rest;
    });
    env[hostsVariable] = JSON.stringify(entries);
    return env;
}

/**
 * The entry serving `repoURL`: the longest prefix it falls under. A prefix matches by host (and port, for
 * http(s) URLs; SSH URLs match by host name) and leading path segments, so an SSH URL of a configured host
 * finds its entry too.
 */
export function hostEntryFor(repoURL: string, hosts: readonly HostEntry[]): HostEntry | undefined {
    const parts = repositoryURLParts(repoURL);
    if (!parts) {
        return undefined;
    }
    const urlHost = parts.host.toLowerCase();
    let best: { entry: HostEntry; length: number } | undefined;
    for (const entry of hosts) {
        const p = parsePrefix(entry.prefix);
        if (!p) {
            continue;
        }
        const sameHost =
            parts.scheme === "ssh" ? urlHost === p.host.replace(/:\d+$/, "") : urlHost === p.host;
        const underPath = p.segments.every((s, i) => parts.segments[i]?.toLowerCase() === s.toLowerCase());
        if (sameHost && underPath && (!best || p.segments.length > best.length)) {
            best = { entry, length: p.segments.length };
        }
    }
    return best?.entry;
}

/** The `host[:port]` of a hosts prefix (for a kind's default API root). */
export function prefixHost(prefix: string): { readonly scheme: string; readonly host: string } | undefined {
    const p = parsePrefix(prefix);
    return p ? { scheme: p.scheme, host: p.host } : undefined;
}
