import type { GitCredentials } from "../git/git";
import { GitHubClient } from "./github";
import type { RepositoryRef, ScmClient, ScmConfig } from "./scm";

/** Where a repository URL lives on its code host: the API root and the owner/name the API knows it by. */
export interface HostedRepository {
    readonly apiUrl: string;
    readonly host: string;
    readonly repo: RepositoryRef;
}

/**
 * Reads a GitHub-style repository URL: `https://host/owner/name(.git)`, `ssh://git@host/owner/name.git` or
 * `git@host:owner/name.git`. github.com's API is api.github.com; any other host is taken for GitHub
 * Enterprise (`<scheme>://<host>/api/v3`) unless `apiUrl` says otherwise. Undefined when the URL cannot be
 * a hosted repository (a `file://` path, a bare directory).
 */
export function hostedRepository(repoURL: string, apiUrl?: string): HostedRepository | undefined {
    const m =
        /^(https?):\/\/(?:[^@/]*@)?([^/]+)\/(.+?)\/?$/.exec(repoURL) ??
        /^(ssh):\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?\/(.+?)\/?$/.exec(repoURL) ??
        /^()[^@/:]+@([^:/]+):(.+?)\/?$/.exec(repoURL);
    if (!m) {
        return undefined;
    }
    const [, scheme, host, rest] = m;
    const parts = rest.replace(/\.git$/, "").split("/");
    if (parts.length !== 2 || parts.some((p) => p === "")) {
        return undefined;
    }
    const web = scheme === "http" ? "http" : "https";
    const derived = host === "github.com" ? "https://api.github.com" : `${web}://${host}/api/v3`;
    return { apiUrl: apiUrl ?? derived, host, repo: { owner: parts[0], name: parts[1] } };
}

/** The token for a hosted repository: the configured API token, else the Git token for its host. */
export function tokenFor(
    hosted: HostedRepository,
    config: ScmConfig,
    git?: GitCredentials,
): string | undefined {
    return config.token ?? git?.tokens?.[hosted.host] ?? git?.tokens?.["*"];
}

const clients = new Map<string, ScmClient>();

/**
 * The client for a repository's code host (one per API root and token in a process, so rate-limit
 * bookkeeping is shared). Throws, naming the repository and the fix, when the URL is not a hosted one.
 */
export function scmFor(
    repoURL: string,
    config: ScmConfig = {},
    git?: GitCredentials,
): { readonly client: ScmClient; readonly repo: RepositoryRef; readonly apiUrl: string } {
    const hosted = hostedRepository(repoURL, config.apiUrl);
    if (!hosted) {
        throw new Error(
            `${repoURL} is not a GitHub repository URL (https://host/owner/repo): pull requests need one; use action "commit" for this application`,
        );
    }
    const token = tokenFor(hosted, config, git);
    const key = `${hosted.apiUrl}\0${token ?? ""}`;
    let client = clients.get(key);
    if (!client) {
        client = new GitHubClient({ apiUrl: hosted.apiUrl, token });
        clients.set(key, client);
    }
    return { client, repo: hosted.repo, apiUrl: hosted.apiUrl };
}
