import type { RepositoryRef, ScmHost } from "../scm";
import { repositoryURLParts, urlHost } from "../scm";
import { AzureDevOpsClient } from "./client";
import { azureDevOpsWebhook } from "./webhook";

export { AzureDevOpsClient } from "./client";
export { azureDevOpsWebhook } from "./webhook";

/**
 * The organization, project and repository of an Azure DevOps URL: `https://[org@]host/org/project/_git/repo`,
 * `git@ssh.dev.azure.com:v3/org/project/repo`, `https://org.visualstudio.com/project/_git/repo`.
 */
function locate(repoURL: string): { host: string; repo: RepositoryRef } | undefined {
    const parts = repositoryURLParts(repoURL);
    if (!parts) {
        return undefined;
    }
    const s = parts.segments.map((x) => decodeURIComponent(x));
    const vs = /^([^.]+)\.visualstudio\.com$/.exec(parts.host);
    const [org, project, repo] =
        s.length === 4 && s[2] === "_git"
            ? [s[0], s[1], s[3]]
            : s.length === 4 && s[0] === "v3"
              ? [s[1], s[2], s[3]]
              : s.length === 3 && s[1] === "_git" && vs
                ? [vs[1], s[0], s[2]]
                : [];
    return org && project && repo
        ? { host: parts.host, repo: { owner: `${org}/${project}`, name: repo } }
        : undefined;
}

/**
 * Azure DevOps Repos (Services): the Git REST API at `https://dev.azure.com` (`<scheme>://<host>` of a hosts
 * prefix otherwise), every path starting with the organization.
 */
export const azureDevOpsHost: ScmHost = {
    kind: "azure-devops",
    name: "Azure DevOps",
    urlForm: "https://dev.azure.com/org/project/_git/repo",
    publicHosts: ["dev.azure.com", "ssh.dev.azure.com"],
    locate,
    defaultApiUrl: (url: string) => {
        const h = urlHost(url);
        return !h || h.host.endsWith("dev.azure.com") || h.host.endsWith(".visualstudio.com")
            ? "https://dev.azure.com"
            : `${h.scheme === "http" ? "http" : "https"}://${h.host}`;
    },
    create: (opts) => new AzureDevOpsClient(opts),
    webhook: azureDevOpsWebhook,
    tokenNeeds: "a personal access token with Code (read & write) and Code (status)",
};
