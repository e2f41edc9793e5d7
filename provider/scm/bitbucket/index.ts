import type { RepositoryRef, ScmHost } from "../scm";
import { repositoryURLParts, urlHost } from "../scm";
import { BitbucketClient } from "./client";
import { bitbucketWebhook } from "./webhook";

export { BitbucketClient } from "./client";
export { bitbucketWebhook } from "./webhook";

/** The workspace and repository slug of a Bitbucket URL (exactly two path segments). */
function locate(repoURL: string): { host: string; repo: RepositoryRef } | undefined {
    const parts = repositoryURLParts(repoURL);
    return parts && parts.segments.length === 2
        ? { host: parts.host, repo: { owner: parts.segments[0], name: parts.segments[1] } }
        : undefined;
}

/**
 * Bitbucket Cloud: `https://bitbucket.org/workspace/repo(.git)` (an `https://user@bitbucket.org/…` clone URL
 * too) or `git@bitbucket.org:workspace/repo.git`. The API is api.bitbucket.org/2.0.
 */
export const bitbucketHost: ScmHost = {
    kind: "bitbucket",
    name: "Bitbucket",
    urlForm: "https://bitbucket.org/workspace/repo(.git)",
    publicHosts: ["bitbucket.org"],
    locate,
    defaultApiUrl: (url: string) => {
        const h = urlHost(url);
        return !h || h.host === "bitbucket.org"
            ? "https://api.bitbucket.org/2.0"
            : `${h.scheme === "http" ? "http" : "https"}://${h.host}/2.0`;
    },
    create: (opts) => new BitbucketClient(opts),
    webhook: bitbucketWebhook,
    tokenNeeds:
        "a repository or workspace access token (or username:app-password) with pullrequest:write and repository:write",
};
