import type { RepositoryRef, ScmHost } from "../scm";
import { apiRootOn, repositoryURLParts, urlHost } from "../scm";
import { GitHubClient } from "./client";
import { githubWebhook } from "./webhook";

export { GitHubClient, GitHubError, rateLimitRetries } from "./client";
export { githubWebhook } from "./webhook";

/** The owner/name of a GitHub repository URL (exactly two path segments), and its host. */
function locate(repoURL: string): { host: string; repo: RepositoryRef } | undefined {
    const parts = repositoryURLParts(repoURL);
    return parts && parts.segments.length === 2
        ? { host: parts.host, repo: { owner: parts.segments[0], name: parts.segments[1] } }
        : undefined;
}

/**
 * GitHub and GitHub Enterprise: `https://host/owner/name(.git)`, `ssh://git@host/owner/name.git` or
 * `git@host:owner/name.git`. github.com's API is api.github.com; GitHub Enterprise's `<scheme>://<host>/api/v3`
 * (https for SSH URLs).
 */
export const githubHost: ScmHost = {
    kind: "github",
    name: "GitHub",
    urlForm: "https://host/owner/repo(.git) or git@host:owner/repo.git",
    publicHosts: ["github.com"],
    locate,
    defaultApiUrl: (url: string) =>
        (urlHost(url)?.host ?? "github.com") === "github.com"
            ? "https://api.github.com"
            : apiRootOn(url, "/api/v3", "github.com"),
    create: (opts) => new GitHubClient(opts),
    webhook: githubWebhook,
    tokenNeeds:
        "a classic token with the repo scope, or a fine-grained one with Contents, Pull requests and Commit statuses read and write",
};
