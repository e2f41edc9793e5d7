import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { EnvironmentError, InvalidInputError, messageOf } from "../../model/errors";
import type { Subject } from "../../model/subject";

/**
 * OIDC bearer JWTs (`--oidc-issuer URL --oidc-audience AUD [--oidc-groups-claim NAME]`): verified with jose
 * against the keys the issuer publishes (its JWKS, found through `<issuer>/.well-known/openid-configuration`),
 * checking the signature, `iss`, `aud`, `exp` and `nbf`.
 */
export interface OidcOptions {
    /** The issuer URL, exactly as its tokens' `iss` claim has it. */
    readonly issuer: string;
    /** This server's audience: tokens must name it in `aud`. */
    readonly audience: string;
    /** The claim listing the user's groups (default `groups`). */
    readonly groupsClaim?: string;
    /** Allowed clock skew for `exp` and `nbf` (seconds; default 30). */
    readonly clockToleranceSeconds?: number;
}

/** A JWT was refused: the reason, said to the client (401). */
export class JwtRefused extends Error {}

export class OidcVerifier {
    private keys?: Promise<JWTVerifyGetKey>;

    constructor(readonly opts: OidcOptions) {
        let url: URL | undefined;
        try {
            url = new URL(opts.issuer);
        } catch {
            url = undefined;
        }
        if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
            throw new InvalidInputError(
                `--oidc-issuer "${opts.issuer}": the issuer's URL, e.g. https://idp.example.com`,
                {
                    path: "--oidc-issuer",
                },
            );
        }
        if (!opts.audience) {
            throw new InvalidInputError(
                "--oidc-issuer needs --oidc-audience: the audience (client id) this server's tokens are issued for",
                { path: "--oidc-audience" },
            );
        }
    }

    /** Reads the issuer's discovery document once (and again after a failure); rejects with an EnvironmentError. */
    discover(): Promise<JWTVerifyGetKey> {
        this.keys ??= this.readDiscovery();
        this.keys.catch(() => (this.keys = undefined));
        return this.keys;
    }

    private async readDiscovery(): Promise<JWTVerifyGetKey> {
        const where = `${this.opts.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
        let doc: { issuer?: unknown; jwks_uri?: unknown };
        try {
            const res = await fetch(where, { signal: AbortSignal.timeout(10_000) });
            if (!res.ok) {
                throw new Error(`HTTP ${res.status}`);
            }
            doc = (await res.json()) as typeof doc;
        } catch (e) {
            throw new EnvironmentError(
                `OIDC discovery at ${where} failed (${messageOf(e)}): check --oidc-issuer and that this server can reach it`,
                { path: "--oidc-issuer" },
            );
        }
        if (doc.issuer !== this.opts.issuer || typeof doc.jwks_uri !== "string") {
            throw new EnvironmentError(
                `OIDC discovery at ${where} names issuer ${JSON.stringify(doc.issuer)} and jwks_uri ${JSON.stringify(doc.jwks_uri)}: --oidc-issuer must be exactly the issuer it names, and it must publish jwks_uri`,
                { path: "--oidc-issuer" },
            );
        }
        return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: 10_000 });
    }

    /** The subject of a valid JWT; throws {@link JwtRefused} saying why one is not, EnvironmentError when the issuer is unreachable. */
    async verify(jwt: string): Promise<Subject> {
        const keys = await this.discover();
        let payload: JWTPayload;
        try {
            ({ payload } = await jwtVerify(jwt, keys, {
                issuer: this.opts.issuer,
                audience: this.opts.audience,
                clockTolerance: this.opts.clockToleranceSeconds ?? 30,
            }));
        } catch (e) {
            throw this.refusal(e);
        }
        return this.subjectOf(payload);
    }

    private refusal(e: unknown): Error {
        const issuer = this.opts.issuer;
        if (e instanceof errors.JWTExpired) {
            const exp =
                typeof e.payload.exp === "number"
                    ? ` at ${new Date(e.payload.exp * 1000).toISOString()}`
                    : "";
            return new JwtRefused(`the bearer JWT expired${exp}: get a new token from ${issuer}`);
        }
        if (e instanceof errors.JWTClaimValidationFailed) {
            switch (e.claim) {
                case "iss":
                    return new JwtRefused(`the bearer JWT was not issued by ${issuer} (--oidc-issuer)`);
                case "aud":
                    return new JwtRefused(
                        `the bearer JWT is not for audience "${this.opts.audience}" (--oidc-audience): request a token for this server's audience`,
                    );
                case "nbf":
                    return new JwtRefused(
                        "the bearer JWT is not valid yet (nbf): check the clocks of the issuer and this server",
                    );
                default:
                    return new JwtRefused(`the bearer JWT's claim "${e.claim}" is invalid (${e.reason})`);
            }
        }
        if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey) {
            return new JwtRefused(
                `the bearer JWT's signature does not verify against the keys ${issuer} publishes: it was not issued there, or it was altered`,
            );
        }
        if (e instanceof errors.JWKSTimeout || e instanceof TypeError) {
            return new EnvironmentError(`reading the signing keys of ${issuer} failed (${messageOf(e)})`, {
                path: "--oidc-issuer",
            });
        }
        if (e instanceof errors.JOSEError) {
            return new JwtRefused(`the bearer JWT is not a valid signed token (${e.code})`);
        }
        return e instanceof Error ? e : new Error(String(e));
    }

    private subjectOf(p: JWTPayload): Subject {
        const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
        const user = text(p.preferred_username) ?? text(p.email) ?? text(p.sub);
        if (!user) {
            throw new JwtRefused(
                "the bearer JWT names no user: it has none of preferred_username, email, sub",
            );
        }
        const claim = p[this.opts.groupsClaim ?? "groups"];
        const groups = Array.isArray(claim)
            ? claim.filter((g): g is string => typeof g === "string")
            : typeof claim === "string"
              ? claim
                    .split(",")
                    .map((g) => g.trim())
                    .filter((g) => g !== "")
              : [];
        const email = text(p.email);
        return { user, ...(email ? { email } : {}), groups: [...new Set(groups)], via: "oidc" };
    }
}
