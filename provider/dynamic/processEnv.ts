/**
 * What a dynamic provider learns from the environment of the Pulumi CLI that started it: credentials and API
 * settings. They travel only this way (never as resource inputs), so nothing secret reaches the state.
 */
import { InvalidInputError } from "../../model/errors";
import type { GitCredentials } from "../git/git";
import { redact } from "../git/git";
import { hostsFrom } from "../scm/hosts";
import type { ScmConfig } from "../scm/scm";

/** Git tokens: host to token, as JSON in `PROMOTIONS_GIT_TOKENS`. */
export function credentials(): GitCredentials {
    const raw = process.env.PROMOTIONS_GIT_TOKENS;
    if (!raw) {
        return {};
    }
    try {
        return { tokens: JSON.parse(raw) as Record<string, string> };
    } catch {
        throw new InvalidInputError('PROMOTIONS_GIT_TOKENS is not valid JSON: set it to {"host": "token"}', {
            path: "PROMOTIONS_GIT_TOKENS",
        });
    }
}

/**
 * The environment variables that configure the code host's API, each with the older GitHub-named alias it
 * still accepts (the host-neutral name wins when both are set).
 */
export const scmEnvironment = {
    apiUrl: ["PROMOTIONS_SCM_API_URL", "PROMOTIONS_GITHUB_API_URL"],
    token: ["PROMOTIONS_SCM_TOKEN", "PROMOTIONS_GITHUB_TOKEN"],
} as const;

/**
 * The code hosts' APIs from an environment: the hosts configuration (`PROMOTIONS_HOSTS`, provider/scm/hosts.ts)
 * and GitHub's API root and token (see {@link scmEnvironment}). Empty values count as unset.
 */
export function scmConfigFrom(env: NodeJS.ProcessEnv): ScmConfig {
    const first = (names: readonly string[]) => names.map((n) => env[n]).find((v) => v);
    const apiUrl = first(scmEnvironment.apiUrl);
    const token = first(scmEnvironment.token);
    const hosts = hostsFrom(env);
    return {
        ...(apiUrl ? { apiUrl } : {}),
        ...(token ? { token } : {}),
        ...(hosts.length > 0 ? { hosts } : {}),
    };
}

/** The code hosts' APIs: `PROMOTIONS_HOSTS`, `PROMOTIONS_SCM_API_URL` and `PROMOTIONS_SCM_TOKEN` (or their GitHub-named aliases). */
export function scmConfig(): ScmConfig {
    return scmConfigFrom(process.env);
}

/** Errors leave the provider process as messages: make sure no token is in one. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        // Every API token variable, the alias too: either may hold a token even when the other wins.
        const hostTokens = (() => {
            try {
                return hostsFrom(process.env).map((h) => h.token);
            } catch {
                return [];
            }
        })();
        const apiTokens = [...scmEnvironment.token.map((n) => process.env[n]), ...hostTokens].filter(
            (t): t is string => !!t,
        );
        let redacted = redact(message, credentials());
        for (const t of apiTokens) {
            redacted = redacted.split(t).join("***");
        }
        throw new Error(redacted);
    }
}
