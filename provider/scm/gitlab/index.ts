import type { RepositoryRef, ScmHost } from "../scm";
import { apiRootOn, repositoryURLParts } from "../scm";
import { GitLabClient } from "./client";
import { gitlabWebhook } from "./webhook";

export { GitLabClient } from "./client";
export { gitlabWebhook } from "./webhook";

/** The project path of a GitLab URL: any depth of groups, then the project (`group/sub/name`). */
function locate(repoURL: string): { host: string; repo: RepositoryRef } | undefined {
    const parts = repositoryURLParts(repoURL);
    if (!parts || parts.segments.length < 2 || parts.segments.includes("-")) {
        return undefined;
    }
    const name = parts.segments[parts.segments.length - 1];
    return { host: parts.host, repo: { owner: parts.segments.slice(0, -1).join("/"), name } };
}

/**
 * GitLab, gitlab.com and self-managed: `https://host/group[/subgroup…]/project(.git)` or its SSH forms. The API
 * is `<scheme>://<host>/api/v4` (a GitLab under a relative URL: set the hosts entry's apiUrl).
 */
export const gitlabHost: ScmHost = {
    kind: "gitlab",
    name: "GitLab",
    urlForm: "https://host/group[/subgroup]/project(.git)",
    publicHosts: ["gitlab.com"],
    locate,
    defaultApiUrl: (url: string) => apiRootOn(url, "/api/v4", "gitlab.com"),
    create: (opts) => new GitLabClient(opts),
    webhook: gitlabWebhook,
    tokenNeeds:
        "a personal, group or project access token with the api scope (Developer role on the project)",
};
