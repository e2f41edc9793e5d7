import type { RepositoryRef, ScmConfig, ScmHost } from "../scm";
import { repositoryURLParts } from "../scm";
import { GiteaClient } from "./client";

/**
 * The owner/name of a repository URL on a Gitea or Forgejo instance, and the `host[:port]` its Git token is
 * keyed by. An instance may live under a sub-path (`https://host/git/owner/name`): the repository is the
 * last two segments.
 */
function locate(repoURL: string): { host: string; repo: RepositoryRef } | undefined {
    const parts = repositoryURLParts(repoURL);
    if (!parts || parts.segments.length < 2) {
        return undefined;
    }
    const [owner, name] = parts.segments.slice(-2);
    return { host: parts.host, repo: { owner, name } };
}

/** An API root `<instance>/api/v1` split into the instance's host and its base path (`""` or `/git`). */
function instanceOf(apiUrl: string): { host: string; basePath: string } | undefined {
    let url: URL;
    try {
        url = new URL(apiUrl);
    } catch {
        return undefined;
    }
    const m = /^(.*?)\/api\/v1\/?$/.exec(url.pathname);
    return m ? { host: url.host, basePath: m[1] } : undefined;
}

/**
 * True when `repoURL` lives on the Gitea instance whose API root is `apiUrl`: same host, and for web URLs the
 * instance's base path followed by exactly owner/name. SSH URLs are matched by host (their port is SSH's).
 */
function onInstance(repoURL: string, apiUrl: string): boolean {
    const instance = instanceOf(apiUrl);
    const parts = repositoryURLParts(repoURL);
    if (!instance || !parts) {
        return false;
    }
    if (parts.scheme === "ssh") {
        return instance.host.replace(/:\d+$/, "") === parts.host && parts.segments.length === 2;
    }
    const base = instance.basePath.split("/").filter(Boolean);
    return (
        parts.host === instance.host &&
        parts.segments.length === base.length + 2 &&
        base.every((s, i) => parts.segments[i] === s)
    );
}

/**
 * Gitea and Forgejo (one API, `/api/v1`). A Gitea instance is never guessed from a repository URL: its URLs
 * look like any other host's, and GitHub takes unknown hosts for GitHub Enterprise. It is chosen when the
 * configured API root is an `/api/v1` root on the repository's own host (`PROMOTIONS_SCM_API_URL=
 * https://gitea.example.com/api/v1`), so a Gitea token is only ever sent to that instance.
 */
export const giteaHost: ScmHost = {
    name: "Gitea",
    urlForm: "https://host/owner/repo(.git) with PROMOTIONS_SCM_API_URL=https://host/api/v1",
    matches: (repoURL: string, config: ScmConfig) =>
        config.apiUrl !== undefined && onInstance(repoURL, config.apiUrl),
    locate,
    apiRootFor(repoURL: string, config: ScmConfig): string {
        if (config.apiUrl) {
            return config.apiUrl;
        }
        const parts = repositoryURLParts(repoURL);
        return `${parts?.scheme === "http" ? "http" : "https"}://${parts?.host ?? "localhost"}/api/v1`;
    },
    create: (opts) => new GiteaClient(opts),
};
