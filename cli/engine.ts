import { loadCatalog } from "../components/config";
import { locateEngine } from "../engine/engineLocator";
import { InvalidInputError } from "../model/errors";
import type { ProgressEvent } from "../engine/promoteEngine";
import { gitCacheDir, PromoteEngine } from "../engine/promoteEngine";
import type { CliContext } from "./context";

/**
 * Tokens for http(s) Git remotes: `PROMOTIONS_GIT_TOKENS` (JSON, host to token) and/or `PROMOTIONS_GIT_TOKEN`
 * (any host). They reach git as an HTTP header through the environment, never a URL, a log or the state.
 */
export function gitTokens(env: NodeJS.ProcessEnv): Record<string, string> {
    const tokens: Record<string, string> = {};
    if (env.PROMOTIONS_GIT_TOKENS) {
        try {
            Object.assign(tokens, JSON.parse(env.PROMOTIONS_GIT_TOKENS) as Record<string, string>);
        } catch {
            throw new InvalidInputError('PROMOTIONS_GIT_TOKENS must be JSON: {"host": "token"}');
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
        throw new InvalidInputError(`${name} must be a positive number of seconds (got "${raw}")`);
    }
    return n;
}

/** The engine for the CLI's --config and --state. */
export async function engineFor(
    ctx: CliContext,
    onProgress?: (e: ProgressEvent) => void,
): Promise<PromoteEngine> {
    const catalog = loadCatalog(ctx.configPath);
    return PromoteEngine.create({
        catalog,
        engine: await locateEngine({ cacheDir: ctx.cacheDir, searchPath: ctx.env.PATH }),
        backendUrl: ctx.stateUrl,
        passphrase: ctx.passphrase,
        gitCacheDir: ctx.env.PROMOTIONS_GIT_CACHE ?? gitCacheDir(ctx.cacheDir),
        gitTokens: gitTokens(ctx.env),
        inheritedPath: ctx.env.PATH,
        workflowDir: ctx.configDir,
        ...(ctx.env.PROMOTIONS_ARGO_URL
            ? {
                  argo: {
                      url: ctx.env.PROMOTIONS_ARGO_URL,
                      namespace: ctx.env.PROMOTIONS_ARGO_NAMESPACE ?? "argo",
                      token: ctx.env.PROMOTIONS_ARGO_TOKEN,
                  },
              }
            : {}),
        github: {
            ...(ctx.env.PROMOTIONS_GITHUB_API_URL ? { apiUrl: ctx.env.PROMOTIONS_GITHUB_API_URL } : {}),
            ...(ctx.env.PROMOTIONS_GITHUB_TOKEN ? { token: ctx.env.PROMOTIONS_GITHUB_TOKEN } : {}),
            commitStatus: ["1", "true", "yes"].includes(
                (ctx.env.PROMOTIONS_COMMIT_STATUS ?? "").toLowerCase(),
            ),
            ...(ctx.env.PROMOTIONS_PR_POLL_SECONDS
                ? {
                      pollIntervalMs:
                          seconds("PROMOTIONS_PR_POLL_SECONDS", ctx.env.PROMOTIONS_PR_POLL_SECONDS) * 1000,
                  }
                : {}),
        },
        ...(ctx.env.PROMOTIONS_ARGOCD_URL
            ? { argocd: { url: ctx.env.PROMOTIONS_ARGOCD_URL, token: ctx.env.PROMOTIONS_ARGOCD_TOKEN } }
            : {}),
        onProgress,
    });
}
