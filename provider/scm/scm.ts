/**
 * A repository on a code host, as its API names it. `owner` may hold slashes: GitLab's group path
 * (`group/subgroup`), Azure DevOps' `organization/project`.
 */
export interface RepositoryRef {
    readonly owner: string;
    readonly name: string;
}

/** `merged` is a closed pull request whose change landed; `closed` is one closed without merge. */
export type PullRequestState = "open" | "closed" | "merged";

export interface PullRequest {
    readonly number: number;
    /** The page people review it on. */
    readonly url: string;
    readonly state: PullRequestState;
    readonly title: string;
    readonly headBranch: string;
    readonly headSha: string;
    readonly baseBranch: string;
    /** Set once merged: the commit the base branch got (a merge, squash or the last rebased commit). */
    readonly mergeCommitSha?: string;
}

export type MergeMethod = "merge" | "squash" | "rebase";

export interface CommitStatus {
    readonly state: "pending" | "success" | "failure" | "error";
    /** The status's name on the commit (e.g. `promotions/<product>`); a later status with it replaces this one. */
    readonly context: string;
    readonly description: string;
    readonly targetUrl?: string;
}

/**
 * What promotions need from a code host. One implementation per host kind (provider/scm/<kind>/); every call
 * is safe to repeat. Pull requests are GitLab's merge requests; `number` is the number people see (GitLab's
 * `iid`, Azure DevOps' `pullRequestId`).
 */
export interface ScmClient {
    /** The newest pull request from `headBranch` in any state, if there is one. */
    findPullRequest(repo: RepositoryRef, headBranch: string): Promise<PullRequest | undefined>;
    openPullRequest(
        repo: RepositoryRef,
        pr: { readonly head: string; readonly base: string; readonly title: string; readonly body: string },
    ): Promise<PullRequest>;
    getPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest>;
    /** Reopens a pull request closed without merge (its head branch must exist). */
    reopenPullRequest(repo: RepositoryRef, number: number): Promise<PullRequest>;
    /**
     * Merges if the host allows it now; `merged: false` with the host's reason when it does not yet (checks
     * pending, reviews required, conflicts). `sha` guards against merging a head that moved.
     */
    mergePullRequest(
        repo: RepositoryRef,
        number: number,
        opts: { readonly method: MergeMethod; readonly sha: string },
    ): Promise<{ readonly merged: boolean; readonly reason?: string }>;
    /** Closes a pull request without merging it. */
    closePullRequest(repo: RepositoryRef, number: number): Promise<PullRequest>;
    /** Changes the title and body of an open pull request (the promotion was re-planned). */
    updatePullRequest(
        repo: RepositoryRef,
        number: number,
        change: { readonly title: string; readonly body: string },
    ): Promise<PullRequest>;
    setCommitStatus(repo: RepositoryRef, sha: string, status: CommitStatus): Promise<void>;
    /**
     * One cheap authenticated call: who the token is and whether it may do what promotions need. `prefix` is the
     * hosts entry's (some hosts need its organization or project to have something to ask about).
     */
    checkToken(prefix?: string): Promise<TokenFinding>;
}

/** The kinds of code host the registry (registry.ts) knows, one folder each under provider/scm/. */
export const hostKinds = ["github", "gitlab", "gitea", "bitbucket", "azure-devops"] as const;
export type HostKind = (typeof hostKinds)[number];

/**
 * One entry of the hosts configuration (hosts.ts, `PROMOTIONS_HOSTS`): the repositories under `prefix` live on
 * a host of `kind`, whose API is at `apiUrl`, reached with the token in the environment variable `tokenEnv`.
 * That token goes to this host's API only.
 */
export interface HostEntry {
    /** A repository URL prefix, e.g. `https://gitlab.example.com/` or `https://dev.azure.com/acme/`. */
    readonly prefix: string;
    readonly kind: HostKind;
    /** The API root; unset: the kind's default for the prefix's host (e.g. `https://<host>/api/v4` for GitLab). */
    readonly apiUrl?: string;
    /** The environment variable (the chart: the Secret key) holding the API token. */
    readonly tokenEnv?: string;
    /** The environment variable holding the push webhooks' secret (default: PROMOTIONS_WEBHOOK_SECRET). */
    readonly webhookSecretEnv?: string;
    /** The token, read from `tokenEnv` (never written to the configuration, logs or state). */
    readonly token?: string;
    /** The webhook secret, read from `webhookSecretEnv` (or PROMOTIONS_WEBHOOK_SECRET). */
    readonly webhookSecret?: string;
}

/** How to reach the code hosts' APIs. */
export interface ScmConfig {
    /**
     * GitHub's API root when no hosts entry names the repository, e.g. `https://ghe.example.com/api/v3`. Unset:
     * derived from the repository URL (github.com uses api.github.com, any other host `<host>/api/v3`, as GitHub
     * Enterprise does; only while no hosts are configured, see {@link hosts}).
     */
    readonly apiUrl?: string;
    /** GitHub's API token when no hosts entry names the repository (sent to GitHub hosts only). */
    readonly token?: string;
    /**
     * The hosts configuration: which host a repository URL belongs to, its API and its token. Once set, a URL
     * on none of these hosts nor a well-known public one (github.com, gitlab.com, bitbucket.org, dev.azure.com)
     * is refused instead of being taken for GitHub Enterprise.
     */
    readonly hosts?: readonly HostEntry[];
}

/** A push, as every host's webhook reports it: a branch of a repository moved to a commit. */
export interface BranchMoved {
    /** The repository's clone URL, as the host gives it. */
    readonly repoURL: string;
    readonly branch: string;
    /** The new tip (all zeros: the branch was deleted). */
    readonly sha: string;
}

/** What a verified delivery is about. */
export type WebhookEvent =
    | { readonly kind: "push"; readonly moved: readonly BranchMoved[] }
    | { readonly kind: "ping" }
    | { readonly kind: "ignored"; readonly event: string };

/** Request headers, lower-cased names, as node:http gives them. */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * A host's push webhooks: how a delivery proves it comes from the host (a signature over the body, or a shared
 * token or password in a header), and what it says. The receiver (engine/triggers/webhookReceiver.ts) calls
 * {@link precheck} before reading the body, {@link verify} with each secret that may apply, then {@link parse}.
 */
export interface PushWebhook {
    /** The header that proves the delivery, for messages (e.g. `X-Hub-Signature-256`, `X-Gitlab-Token`). */
    readonly proofHeader: string;
    /** The host's delivery id, for log lines (undefined: it sends none). */
    deliveryId(headers: WebhookHeaders): string | undefined;
    /** False when the proof header is missing or malformed: refused before any byte of the body is read. */
    precheck(headers: WebhookHeaders): boolean;
    /** True when the delivery is proved with `secret` (compared in constant time). */
    verify(headers: WebhookHeaders, body: Buffer, secret: string): boolean;
    /** What the (verified) delivery says; throws on a body that is not the host's JSON. */
    parse(headers: WebhookHeaders, body: Buffer): WebhookEvent;
}

/** What `promote doctor` finds about a host's token. */
export interface TokenFinding {
    readonly ok: boolean;
    /** Who the token is, and what it may do (never the token). */
    readonly detail: string;
    /** What to do when not ok, naming the scope or permission to grant. */
    readonly fix?: string;
}

/**
 * One kind of code host, as {@link scmHosts} (registry.ts) lists them: everything host-specific lives in its
 * folder (provider/scm/<kind>/). The registry decides which host a URL belongs to (the hosts configuration
 * first, then each kind's {@link publicHosts}), picks its token, and keeps one client per host, API root and
 * token.
 */
export interface ScmHost {
    readonly kind: HostKind;
    /** Shown in messages, e.g. `GitHub`. */
    readonly name: string;
    /** The repository URLs it takes, for messages, e.g. `https://host/owner/repo`. */
    readonly urlForm: string;
    /** The hosts (`host[:port]`) it serves without configuration, e.g. `gitlab.com`. */
    readonly publicHosts: readonly string[];
    /** The repository as the host's API names it, and the `host[:port]` its Git token is keyed by. */
    locate(repoURL: string): { readonly host: string; readonly repo: RepositoryRef } | undefined;
    /** The API root when the configuration names none, from a repository URL or a hosts prefix. */
    defaultApiUrl(url: string): string;
    /** A client talking to `apiUrl` with `token` (none: anonymous). */
    create(opts: { readonly apiUrl: string; readonly token?: string }): ScmClient;
    /** Its push webhooks, delivered to `/webhooks/<kind>`. */
    readonly webhook: PushWebhook;
    /** What the token needs, for messages (e.g. `the api scope`). */
    readonly tokenNeeds: string;
}

/** The parts of a repository URL every host reads the same way. */
export interface RepositoryURLParts {
    /** `http` or `https` for web URLs; `ssh` for both SSH forms. */
    readonly scheme: "http" | "https" | "ssh";
    /** `host[:port]` for web URLs; the host alone for SSH. */
    readonly host: string;
    /** The path segments after the host, without a trailing `.git`. */
    readonly segments: readonly string[];
}

/**
 * Splits `https://host/group/name(.git)`, `ssh://git@host[:port]/group/name.git` and `git@host:group/name.git`;
 * undefined for anything else (a `file://` URL, a local path).
 */
export function repositoryURLParts(repoURL: string): RepositoryURLParts | undefined {
    const m =
        /^(https?):\/\/(?:[^@/]*@)?([^/]+)\/(.+?)\/?$/.exec(repoURL) ??
        /^(ssh):\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?\/(.+?)\/?$/.exec(repoURL) ??
        /^()[^@/:]+@([^:/]+):(.+?)\/?$/.exec(repoURL);
    if (!m) {
        return undefined;
    }
    const [, scheme, host, rest] = m;
    const segments = rest.replace(/\.git$/, "").split("/");
    if (segments.some((p) => p === "")) {
        return undefined;
    }
    return { scheme: scheme === "" ? "ssh" : (scheme as "http" | "https" | "ssh"), host, segments };
}

/**
 * The scheme and `host[:port]` of a repository URL or a hosts prefix (`https://host/…`, `ssh://git@host/…`,
 * `git@host:…`); SSH gives the host name alone. Undefined for anything else.
 */
export function urlHost(
    url: string,
): { readonly scheme: "http" | "https" | "ssh"; readonly host: string } | undefined {
    const web = /^(https?):\/\/(?:[^@/]*@)?([^/]+)/.exec(url);
    if (web) {
        return { scheme: web[1] as "http" | "https", host: web[2].toLowerCase() };
    }
    const ssh = /^ssh:\/\/(?:[^@/]*@)?([^/:]+)/.exec(url) ?? /^[^@/:]+@([^:/]+):/.exec(url);
    return ssh ? { scheme: "ssh", host: ssh[1].toLowerCase() } : undefined;
}

/** `<scheme>://<host><path>` for a kind's default API root: https for SSH URLs, as the web UI is. */
export function apiRootOn(url: string, path: string, fallbackHost: string): string {
    const h = urlHost(url);
    return `${h?.scheme === "http" ? "http" : "https"}://${h?.host ?? fallbackHost}${path}`;
}
