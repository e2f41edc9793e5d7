import type { RepositoryRef, ScmHost } from "../scm";
import { apiRootOn, repositoryURLParts } from "../scm";
import { GiteaClient } from "./client";
import { giteaWebhook } from "./webhook";

export { GiteaClient, GiteaError } from "./client";
export { giteaWebhook } from "./webhook";

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

/**
 * Gitea and Forgejo: one API (`/api/v1`), one webhook format. A self-hosted instance's URLs look like any
 * other host's, so it is never guessed: a hosts entry (`{"prefix": "https://git.example.com/", "kind":
 * "gitea"}`) says which repositories are on it. gitea.com and codeberg.org (Forgejo) need no entry. An
 * instance under a sub-path needs the entry's `apiUrl` (`https://example.com/git/api/v1`).
 */
export const giteaHost: ScmHost = {
    kind: "gitea",
    name: "Gitea",
    urlForm: 'https://host/owner/repo(.git) under a PROMOTIONS_HOSTS prefix of kind "gitea"',
    publicHosts: ["gitea.com", "codeberg.org"],
    locate,
    defaultApiUrl: (url: string) => apiRootOn(url, "/api/v1", "gitea.com"),
    create: (opts) => new GiteaClient(opts),
    webhook: giteaWebhook,
    tokenNeeds: "a token with the write:repository scope (Settings → Applications)",
};
