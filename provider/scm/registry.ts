import { InvalidInputError } from "../../model/errors";
import type { GitCredentials } from "../git/git";
import { repositoryEntity } from "../git/git";
import { azureDevOpsHost } from "./azure-devops";
import { bitbucketHost } from "./bitbucket";
import { giteaHost } from "./gitea";
import { githubHost } from "./github";
import { gitlabHost } from "./gitlab";
import { hostEntryFor, hostsVariable } from "./hosts";
import type { HostEntry, HostKind, RepositoryRef, ScmClient, ScmConfig, ScmHost } from "./scm";
import { urlHost } from "./scm";

/**
 * The code hosts pull requests, commit statuses and push webhooks can go to, one folder each under
 * provider/scm/<kind>/. Adding a host is its folder and one line here (and its stand-in in test/support/).
 */
export const scmHosts: readonly ScmHost[] = [
    githubHost,
    gitlabHost,
    bitbucketHost,
    azureDevOpsHost,
    giteaHost,
];

/** The host of a kind, if the registry has it. */
export function scmHostOfKind(kind: HostKind | string): ScmHost | undefined {
    return scmHosts.find((h) => h.kind === kind);
}

/** Where a repository URL lives on its code host: the API root and the owner/name the API knows it by. */
export interface HostedRepository {
    readonly apiUrl: string;
    /** `host[:port]` of the repository URL (what its Git token is keyed by). */
    readonly host: string;
    readonly repo: RepositoryRef;
}

/** A repository URL resolved to its host: the kind, where its API is, and the hosts entry that said so. */
export interface ResolvedRepository extends HostedRepository {
    readonly scmHost: ScmHost;
    /** The hosts configuration's entry serving the URL (none: a public host, or GitHub Enterprise by default). */
    readonly entry?: HostEntry;
}

/**
 * Which host serves `repoURL`, in this order: the hosts configuration's entry with the longest matching
 * prefix; a kind's well-known public host (github.com, gitlab.com, …); and only while no hosts are configured,
 * GitHub Enterprise for any other `host/owner/name` (what this did before hosts could be configured). Once
 * hosts are configured, a self-managed GitLab or Gitea is never taken for GitHub Enterprise: an unlisted host
 * is unknown.
 */
export function resolveRepository(repoURL: string, config: ScmConfig = {}): ResolvedRepository | undefined {
    const hosts = config.hosts ?? [];
    const entry = hostEntryFor(repoURL, hosts);
    if (entry) {
        const scmHost = scmHostOfKind(entry.kind);
        const located = scmHost?.locate(repoURL);
        return scmHost && located
            ? { scmHost, entry, apiUrl: entry.apiUrl ?? scmHost.defaultApiUrl(entry.prefix), ...located }
            : undefined;
    }
    const host = urlHost(repoURL)?.host;
    const publicHost = scmHosts.find((h) => host !== undefined && h.publicHosts.includes(host));
    const scmHost = publicHost ?? (hosts.length === 0 ? githubHost : undefined);
    const located = scmHost?.locate(repoURL);
    if (!scmHost || !located) {
        return undefined;
    }
    // The GitHub-only settings (PROMOTIONS_SCM_API_URL) apply to GitHub hosts only.
    const apiUrl = scmHost === githubHost && config.apiUrl ? config.apiUrl : scmHost.defaultApiUrl(repoURL);
    return { scmHost, apiUrl, ...located };
}

/**
 * Where `repoURL` lives on a known code host; `config` (or the GitHub API root, as before hosts could be
 * configured) overrides the API root the host would derive. Undefined when no host serves the URL (a `file://`
 * path, a bare directory, an unknown host once hosts are configured).
 */
export function hostedRepository(
    repoURL: string,
    config: ScmConfig | string = {},
): HostedRepository | undefined {
    const resolved = resolveRepository(repoURL, typeof config === "string" ? { apiUrl: config } : config);
    return resolved ? { apiUrl: resolved.apiUrl, host: resolved.host, repo: resolved.repo } : undefined;
}

/** The first host that serves `repoURL`, if any. */
export function scmHostFor(repoURL: string, config: ScmConfig = {}): ScmHost | undefined {
    return resolveRepository(repoURL, config)?.scmHost;
}

/**
 * The token for a resolved repository, and only its own: the hosts entry's token when an entry serves it (else
 * the Git token keyed by its exact host); for GitHub without an entry, the GitHub API token, then the Git token
 * for its host, then the Git token for any host (as before hosts could be configured). A token configured for
 * one host is never sent to another.
 */
export function tokenFor(
    resolved: HostedRepository & { readonly entry?: HostEntry; readonly scmHost?: ScmHost },
    config: ScmConfig,
    git?: GitCredentials,
): string | undefined {
    const ownGitToken = git?.tokens?.[resolved.host];
    if (resolved.entry) {
        return resolved.entry.token ?? ownGitToken;
    }
    const github = (resolved.scmHost ?? githubHost) === githubHost;
    return github ? (config.token ?? ownGitToken ?? git?.tokens?.["*"]) : ownGitToken;
}

/** The fix for a URL no host serves: which forms the hosts take, and where hosts are configured. */
function unknownHostMessage(repoURL: string, config: ScmConfig): string {
    const entry = hostEntryFor(repoURL, config.hosts ?? []);
    if (entry && !scmHostOfKind(entry.kind)) {
        return `${repositoryEntity(repoURL)}: the ${hostsVariable} entry ${entry.prefix} names kind ${entry.kind}, which this build's host registry does not have (it has ${scmHosts.map((h) => h.kind).join(", ")}); use action "commit" for this application, or upgrade`;
    }
    if (entry) {
        return `${repositoryEntity(repoURL)}: not a ${scmHostOfKind(entry.kind)!.name} repository URL (${scmHostOfKind(entry.kind)!.urlForm}), though the ${hostsVariable} entry ${entry.prefix} says ${entry.kind}; fix the URL or the entry`;
    }
    const host = urlHost(repoURL)?.host;
    const configured = (config.hosts ?? []).map((h) => h.prefix);
    if (host && configured.length > 0) {
        return `${repositoryEntity(repoURL)}: unknown code host ${host}: it is not under a prefix of ${hostsVariable} (${configured.join(", ")}) nor a public host (${scmHosts.flatMap((h) => h.publicHosts).join(", ")}); add {"prefix": "https://${host}/", "kind": "<${scmHosts.map((h) => h.kind).join("|")}>", "tokenEnv": "…"} to ${hostsVariable}, or use action "commit" for this application`;
    }
    return `${repositoryEntity(repoURL)}: not on a code host pull requests can go to (${scmHosts.map((h) => `${h.name}: ${h.urlForm}`).join("; ")}); use action "commit" for this application`;
}

const clients = new Map<string, ScmClient>();

/**
 * The client for a repository's code host (one per host kind, API root and token in a process, so rate-limit
 * bookkeeping is shared). Throws InvalidInputError, naming the repository and the fix, when no known host
 * serves the URL.
 */
export function scmFor(
    repoURL: string,
    config: ScmConfig = {},
    git?: GitCredentials,
): {
    readonly client: ScmClient;
    readonly repo: RepositoryRef;
    readonly apiUrl: string;
    readonly scmHost: ScmHost;
} {
    const resolved = resolveRepository(repoURL, config);
    if (!resolved) {
        throw new InvalidInputError(unknownHostMessage(repoURL, config), {
            entity: repositoryEntity(repoURL),
        });
    }
    const token = tokenFor(resolved, config, git);
    const key = `${resolved.scmHost.kind}\0${resolved.apiUrl}\0${token ?? ""}`;
    let client = clients.get(key);
    if (!client) {
        client = resolved.scmHost.create({ apiUrl: resolved.apiUrl, ...(token ? { token } : {}) });
        clients.set(key, client);
    }
    return { client, repo: resolved.repo, apiUrl: resolved.apiUrl, scmHost: resolved.scmHost };
}
