import type { Context, MiddlewareHandler } from "hono";
import type { AccessToken } from "../../engine/governance/accessTokens";
import { matchToken, tokenCacheMs, tokenPrefix } from "../../engine/governance/accessTokens";
import type { Subject } from "../../model/subject";
import { loopbackSubject } from "../../model/subject";
import { isLoopback } from "../access";
import { apiError, ApiRefusal } from "../errors";
import type { OidcVerifier } from "./oidc";
import { JwtRefused } from "./oidc";
import { hasProxyHeaders, proxySubject, TrustedProxies } from "./proxy";

declare module "hono" {
    interface ContextVariableMap {
        /** Who sent the request: set by {@link identifyMiddleware} before every /api/v1 route. */
        subject: Subject;
    }
}

/** An unknown token makes the server read the list again, at most this often (a token created meanwhile works). */
export const tokenRereadMs = 1_000;

/** The subject of a request without credentials on a server started with `--insecure-no-auth`. */
export const anonymousSubject: Subject = { user: "anonymous", groups: [], via: "loopback" };

/**
 * An anonymous caller (`--insecure-no-auth`) as releases record it: `via: loopback` only from a loopback
 * address, else `via: network`; the address either way, the one thing known about who it was.
 */
export function anonymousFrom(peer: string | undefined): Subject {
    const address = peer?.replace(/^::ffff:(?=\d+\.)/, "");
    return {
        ...anonymousSubject,
        via: address !== undefined && isLoopback(address) ? "loopback" : "network",
        ...(address !== undefined ? { address } : {}),
    };
}

export interface IdentityOptions {
    /** The server listens on loopback only. */
    readonly loopback: boolean;
    /** `--insecure-no-auth`: a request without credentials is {@link anonymousSubject}. */
    readonly insecureNoAuth?: boolean;
    /** Reads every stored API token (the access store); without it API tokens are refused. */
    readonly tokens?: () => Promise<AccessToken[]>;
    /** How long the token list is cached (ms; default {@link tokenCacheMs}). */
    readonly tokenCacheMs?: number;
    /** OIDC bearer JWTs (`--oidc-issuer`). */
    readonly oidc?: Pick<OidcVerifier, "verify">;
    /** `--trusted-proxy` CIDR blocks whose X-Forwarded-User/Email/Groups headers are believed. */
    readonly trustedProxies?: readonly string[];
    /** Milliseconds since the epoch (tests pass a fake clock). */
    readonly now?: () => number;
}

/** A 401 answer. Its message says what was wrong and the fix, and never quotes the credential. */
export function unauthenticated(message: string): ApiRefusal {
    return new ApiRefusal(401, "unauthenticated", message);
}

/** The token list, read at most once per cache period (and again, at most once a second, for an unknown token). */
class TokenCache {
    private tokens: AccessToken[] = [];
    private readAt = Number.NEGATIVE_INFINITY;
    private reading?: Promise<AccessToken[]>;

    constructor(
        private readonly read: () => Promise<AccessToken[]>,
        private readonly ttlMs: number,
        private readonly now: () => number,
    ) {}

    private async current(maxAgeMs: number): Promise<AccessToken[]> {
        if (this.now() - this.readAt < maxAgeMs) {
            return this.tokens;
        }
        this.reading ??= this.read().then(
            (tokens) => {
                this.tokens = tokens;
                this.readAt = this.now();
                this.reading = undefined;
                return tokens;
            },
            (e: unknown) => {
                this.reading = undefined;
                throw e;
            },
        );
        return this.reading;
    }

    async find(token: string): Promise<AccessToken | undefined> {
        return (
            matchToken(await this.current(this.ttlMs), token) ??
            matchToken(await this.current(tokenRereadMs), token)
        );
    }
}

/**
 * Who sent a request, from (in this order) an `Authorization: Bearer` API token or OIDC JWT, a trusted proxy's
 * `X-Forwarded-*` headers, or nothing at all (a loopback server without identity sources, or one started with
 * `--insecure-no-auth`). A token or JWT that does not verify, or proxy headers from elsewhere, are a 401, never
 * a fall back to the anonymous subject; only a credential the server has no way to check (not an API token,
 * and not a JWT where OIDC is configured) is ignored where requests without credentials are let in anyway.
 */
export class Identity {
    private readonly proxies: TrustedProxies;
    private readonly cache?: TokenCache;
    /** Who a request without credentials is, if it may be anyone. */
    readonly anonymous?: Subject;

    constructor(private readonly opts: IdentityOptions) {
        this.proxies = new TrustedProxies(opts.trustedProxies ?? []);
        const now = opts.now ?? Date.now;
        this.cache = opts.tokens
            ? new TokenCache(opts.tokens, opts.tokenCacheMs ?? tokenCacheMs, now)
            : undefined;
        this.anonymous = opts.insecureNoAuth
            ? anonymousSubject
            : opts.loopback && !opts.oidc && this.proxies.size === 0
              ? loopbackSubject
              : undefined;
    }

    /** The request's subject; throws a 401 {@link ApiRefusal} (or an EnvironmentError when the issuer is unreachable). */
    async identify(
        headers: Readonly<Record<string, string | undefined>>,
        peer: string | undefined,
    ): Promise<Subject> {
        const authorization = headers.authorization;
        if (authorization !== undefined) {
            const credential = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
            if (credential?.startsWith(tokenPrefix)) {
                return this.byToken(credential);
            }
            if (credential !== undefined && this.opts.oidc && credential.split(".").length === 3) {
                return this.byJwt(credential, this.opts.oidc);
            }
            // A credential this server has no way to check: refused, unless a request without any is let in
            // anyway (then it could as well have been left out, and a script's unrelated header keeps working).
            if (!this.anonymous) {
                throw unauthenticated(foreignCredential(credential));
            }
        }
        if (hasProxyHeaders(headers)) {
            if (!this.proxies.has(peer)) {
                throw unauthenticated(
                    `X-Forwarded-User/-Email/-Groups headers from ${peer ?? "an unknown address"} refused: that address is not a --trusted-proxy; reach the server through the auth proxy, or send Authorization: Bearer <token>`,
                );
            }
            const subject = proxySubject(headers);
            if (typeof subject === "string") {
                throw unauthenticated(subject);
            }
            return subject;
        }
        if (this.anonymous) {
            return this.opts.insecureNoAuth ? anonymousFrom(peer) : this.anonymous;
        }
        throw unauthenticated(
            "no credentials: send Authorization: Bearer <token> (an API token from 'promote token create'" +
                `${this.opts.oidc ? ", or a JWT from the OIDC issuer" : ""})` +
                `${this.proxies.size > 0 ? ", or come through the trusted auth proxy" : ""}`,
        );
    }

    private async byToken(token: string): Promise<Subject> {
        const found = this.cache ? await this.cache.find(token) : undefined;
        if (!found) {
            throw unauthenticated(
                "unknown API token: it was never created on this state backend (see 'promote token list'); create one with 'promote token create --user NAME'",
            );
        }
        if (found.revokedAt) {
            throw unauthenticated(
                `API token ${found.id} was revoked at ${found.revokedAt}: create a new one with 'promote token create --user ${found.user}'`,
            );
        }
        return { user: found.user, groups: [...found.groups], via: "token" };
    }

    private async byJwt(jwt: string, oidc: NonNullable<IdentityOptions["oidc"]>): Promise<Subject> {
        try {
            return await oidc.verify(jwt);
        } catch (e) {
            throw e instanceof JwtRefused ? unauthenticated(e.message) : e;
        }
    }
}

/** Why an Authorization header this server cannot check is refused. */
function foreignCredential(credential: string | undefined): string {
    if (credential === undefined) {
        return "the Authorization header must be 'Bearer <credential>': an API token (promote token create) or an OIDC JWT";
    }
    return credential.split(".").length === 3
        ? "a bearer JWT was sent, but this server accepts none: start it with --oidc-issuer and --oidc-audience, or send an API token"
        : "the bearer credential is neither an API token (pp_…) nor a JWT: send a token from 'promote token create'";
}

/** The TCP peer of a request served by @hono/node-server (tests pass `{incoming: {socket: {remoteAddress}}}`). */
export function peerAddress(c: Context): string | undefined {
    return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
        ?.remoteAddress;
}

/** Sets `c.get("subject")`, or answers 401 `unauthenticated` with `WWW-Authenticate: Bearer`. */
export function identifyMiddleware(identity: Identity): MiddlewareHandler {
    return async (c, next) => {
        let subject: Subject;
        try {
            subject = await identity.identify(
                c.req.header() as Record<string, string | undefined>,
                peerAddress(c),
            );
        } catch (e) {
            if (e instanceof ApiRefusal) {
                const { status, body } = apiError(e);
                c.header("WWW-Authenticate", 'Bearer realm="promotions"');
                return c.json(body, status);
            }
            throw e;
        }
        c.set("subject", subject);
        await next();
        return undefined;
    };
}
