import { InvalidInputError } from "../../model/errors";
import type { GitCredentials } from "../git/git";
import { repositoryEntity } from "../git/git";
import { githubHost } from "./github";
import type { RepositoryRef, ScmClient, ScmConfig, ScmHost } from "./scm";

/**
 * The code hosts pull requests and commit statuses can go to, tried in order: the first whose `matches`
 * accepts a repository URL serves it. Adding a host is one file (its {@link ScmHost}) and one line here;
 * list hosts that recognise their URLs narrowly before GitHub, which takes any `host/owner/name` for
 * GitHub Enterprise.
 */
export const scmHosts: readonly ScmHost[] = [githubHost];

/** Where a repository URL lives on its code host: the API root and the owner/name the API knows it by. */
export interface HostedRepository {
    readonly apiUrl: string;
    readonly host: string;
    readonly repo: RepositoryRef;
}

/** The first host in {@link scmHosts} that serves `repoURL`, if any. */
export function scmHostFor(repoURL: string, config: ScmConfig = {}): ScmHost | undefined {
    return scmHosts.find((h) => h.matches(repoURL, config));
}

/**
 * Where `repoURL` lives on a known code host (see each host's rules, e.g. GitHub's in github.ts); `apiUrl`
 * overrides the API root the host would derive. Undefined when no host serves the URL (a `file://` path, a
 * bare directory, a path deeper than owner/name).
 */
export function hostedRepository(repoURL: string, apiUrl?: string): HostedRepository | undefined {
    const config: ScmConfig = apiUrl ? { apiUrl } : {};
    const host = scmHostFor(repoURL, config);
    const located = host?.locate(repoURL);
    return host && located ? { apiUrl: host.apiRootFor(repoURL, config), ...located } : undefined;
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
 * The client for a repository's code host (one per host, API root and token in a process, so rate-limit
 * bookkeeping is shared). Throws InvalidInputError, naming the repository and the fix, when no known host
 * serves the URL.
 */
export function scmFor(
    repoURL: string,
    config: ScmConfig = {},
    git?: GitCredentials,
): { readonly client: ScmClient; readonly repo: RepositoryRef; readonly apiUrl: string } {
    const host = scmHostFor(repoURL, config);
    const hosted = hostedRepository(repoURL, config.apiUrl);
    if (!host || !hosted) {
        throw new InvalidInputError(
            `${repositoryEntity(repoURL)}: not on a code host pull requests can go to (${scmHosts.map((h) => `${h.name}: ${h.urlForm}`).join("; ")}); use action "commit" for this application`,
            { entity: repositoryEntity(repoURL) },
        );
    }
    const token = tokenFor(hosted, config, git);
    const key = `${host.name}\0${hosted.apiUrl}\0${token ?? ""}`;
    let client = clients.get(key);
    if (!client) {
        client = host.create({ apiUrl: hosted.apiUrl, token });
        clients.set(key, client);
    }
    return { client, repo: hosted.repo, apiUrl: hosted.apiUrl };
}
