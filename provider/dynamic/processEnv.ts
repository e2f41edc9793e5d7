/**
 * What a dynamic provider learns from the environment of the Pulumi CLI that started it: credentials and API
 * settings. They travel only this way (never as resource inputs), so nothing secret reaches the state.
 */
import type { GitCredentials } from "../git/git";
import { redact } from "../git/git";
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
        throw new Error('PROMOTIONS_GIT_TOKENS is not valid JSON (expected {"host": "token"})');
    }
}

/** The code host's API: `PROMOTIONS_GITHUB_API_URL` and `PROMOTIONS_GITHUB_TOKEN`. */
export function scmConfig(): ScmConfig {
    return {
        ...(process.env.PROMOTIONS_GITHUB_API_URL ? { apiUrl: process.env.PROMOTIONS_GITHUB_API_URL } : {}),
        ...(process.env.PROMOTIONS_GITHUB_TOKEN ? { token: process.env.PROMOTIONS_GITHUB_TOKEN } : {}),
    };
}

/** Errors leave the provider process as messages: make sure no token is in one. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const api = scmConfig().token;
        const redacted = redact(message, credentials());
        throw new Error(api ? redacted.split(api).join("***") : redacted);
    }
}
