import { loadCatalog } from "../components/config";
import { locateEngine } from "../engine/engineLocator";
import { InvalidInputError } from "../engine/errors";
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
        ...(ctx.env.PROMOTIONS_ARGOCD_URL
            ? { argocd: { url: ctx.env.PROMOTIONS_ARGOCD_URL, token: ctx.env.PROMOTIONS_ARGOCD_TOKEN } }
            : {}),
        onProgress,
    });
}
