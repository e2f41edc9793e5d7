/**
 * Who is asking: the identity the server establishes for a request (server/auth/identify.ts), or the one the
 * CLI is given when it acts directly on the state (`--as`, else as cli/actor.ts resolves it). Permission rules match
 * `user` and `groups`; releases record `user` and `via` (see {@link Initiator}).
 */

/**
 * How the identity was established: an API token (`promote token create`), an OIDC bearer JWT, a trusted
 * auth proxy's `X-Forwarded-*` headers, no credentials at all on a loopback server without identity sources
 * (or from a loopback address to one started with `--insecure-no-auth`), no credentials from another address
 * to a server started with `--insecure-no-auth` (`network`: only its `address` says who), or the CLI acting
 * directly on the state.
 */
export const subjectSources = ["token", "oidc", "proxy", "loopback", "network", "local"] as const;
export type SubjectSource = (typeof subjectSources)[number];

export interface Subject {
    readonly user: string;
    readonly email?: string;
    readonly groups: readonly string[];
    readonly via: SubjectSource;
    /** The caller's network address, where nothing else identifies it (`--insecure-no-auth`). */
    readonly address?: string;
}

/** What a release records about who started or changed it. */
export interface Initiator {
    readonly user: string;
    readonly via: SubjectSource;
    /** Where an anonymous caller came from (see {@link Subject.address}). */
    readonly address?: string;
}

/** The subject of a request without credentials to a loopback server that has no identity sources. */
export const loopbackSubject: Subject = { user: "local", groups: [], via: "loopback" };

/** The CLI acting directly on the state as `user` (`--as`, else as cli/actor.ts resolves it). */
export function localSubject(user: string): Subject {
    return { user, groups: [], via: "local" };
}

/** Who the CLI acts as when it writes the state directly, as a release records it. */
export function localInitiator(user: string): Initiator {
    return { user, via: "local" };
}

/** The part of a subject a release records. */
export function initiatorOf(s: Pick<Subject, "user" | "via" | "address">): Initiator {
    return { user: s.user, via: s.via, ...(s.address !== undefined ? { address: s.address } : {}) };
}
