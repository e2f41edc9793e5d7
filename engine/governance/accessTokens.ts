/**
 * API tokens for `promote serve` (README, "Permissions and approvals"): random secrets handed out once by
 * `promote token create`, stored only as their SHA-256 hash with who they stand for. The rules are pure and
 * the storage is a small interface, so the CLI tests use a fake store and the server a cached one.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidInputError } from "../../model/errors";

/** Every API token starts with this: recognisable in a leaked-secret scan, and told apart from a JWT. */
export const tokenPrefix = "pp_";

/** How long `promote serve` trusts its copy of the token list: a revoked token is refused at most this long after. */
export const tokenCacheMs = 5_000;

/** One token as stored: its hash, never the token. */
export interface AccessToken {
    readonly id: string;
    /** SHA-256 of the whole token (prefix included), lower-case hex. */
    readonly hash: string;
    readonly user: string;
    readonly groups: readonly string[];
    readonly description?: string;
    /** ISO time. */
    readonly createdAt: string;
    /** Who created it (`--as`, else the CI's actor, else the login). */
    readonly createdBy: string;
    /** ISO time; a revoked token is kept (with who revoked it) and never accepted again. */
    readonly revokedAt?: string;
    readonly revokedBy?: string;
}

/** A token as `promote token list` and the API show it: no hash. */
export type AccessTokenInfo = Omit<AccessToken, "hash">;

/** Where tokens are kept (engine/store/accessStore.ts: the `promotions-access` stack; tests: a fake). */
export interface TokenStore {
    /** Every token, revoked ones included. */
    list(): Promise<AccessToken[]>;
    /** Creates or replaces one token by id. */
    put(token: AccessToken): Promise<void>;
}

/** A fresh token: the prefix and 32 random bytes, base64url (43 characters). */
export function newTokenSecret(): string {
    return tokenPrefix + randomBytes(32).toString("base64url");
}

/** The stored form of a token. */
export function hashToken(token: string): string {
    return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Does a presented credential have the shape of one of our tokens? */
export function looksLikeApiToken(credential: string): boolean {
    return /^pp_[A-Za-z0-9_-]{43}$/.test(credential);
}

/**
 * The stored token a presented one hashes to, revoked or not (the caller tells them apart). Every stored hash
 * is compared, each in constant time, so the answer's timing does not depend on where (or whether) it matches.
 */
export function matchToken(tokens: readonly AccessToken[], presented: string): AccessToken | undefined {
    const given = Buffer.from(hashToken(presented), "hex");
    let found: AccessToken | undefined;
    for (const t of tokens) {
        const stored = Buffer.from(t.hash, "hex");
        if (stored.length === given.length && timingSafeEqual(stored, given) && found === undefined) {
            found = t;
        }
    }
    return found;
}

/** The public view of a token. */
export function tokenInfo(t: AccessToken): AccessTokenInfo {
    const { hash: _hash, ...info } = t;
    return info;
}

const namePattern = /^[A-Za-z0-9][\w.@+-]{0,127}$/;

function checkName(value: string, what: string, flag: string): void {
    if (!namePattern.test(value)) {
        throw new InvalidInputError(
            `${what} "${value}": letters, digits and . _ @ + - (at most 128, starting with a letter or digit)`,
            { path: flag },
        );
    }
}

export interface CreateTokenOptions {
    readonly user: string;
    readonly groups?: readonly string[];
    readonly description?: string;
    readonly createdBy: string;
}

/** Creating, listing and revoking tokens over a {@link TokenStore}. */
export class AccessTokens {
    constructor(
        private readonly store: TokenStore,
        private readonly now: () => Date = () => new Date(),
    ) {}

    /** Stores a new token's hash; returns the token (shown once, never stored) and its record. */
    async create(o: CreateTokenOptions): Promise<{ token: string; info: AccessTokenInfo }> {
        checkName(o.user, "user", "--user");
        const groups = [...new Set(o.groups ?? [])];
        groups.forEach((g) => checkName(g, "group", "--group"));
        if (o.description !== undefined && o.description.length > 200) {
            throw new InvalidInputError("--description: at most 200 characters", { path: "--description" });
        }
        const token = newTokenSecret();
        const record: AccessToken = {
            id: `tok-${randomBytes(6).toString("hex")}`,
            hash: hashToken(token),
            user: o.user,
            groups,
            ...(o.description ? { description: o.description } : {}),
            createdAt: this.now().toISOString(),
            createdBy: o.createdBy,
        };
        await this.store.put(record);
        return { token, info: tokenInfo(record) };
    }

    /** Every token, newest first, without hashes. */
    async list(): Promise<AccessTokenInfo[]> {
        return (await this.store.list())
            .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
            .map(tokenInfo);
    }

    /** Revokes a token by id; refused (nothing written) for an unknown or already revoked id. */
    async revoke(id: string, by: string): Promise<AccessTokenInfo> {
        const tokens = await this.store.list();
        const t = tokens.find((x) => x.id === id);
        if (!t) {
            throw new InvalidInputError(
                `unknown token id "${id}": one of ${tokens.map((x) => x.id).join(", ") || "(none created)"} (see 'promote token list')`,
                { entity: `token "${id}"` },
            );
        }
        if (t.revokedAt) {
            throw new InvalidInputError(
                `token ${id} was already revoked at ${t.revokedAt} by ${t.revokedBy}`,
                {
                    entity: `token "${id}"`,
                },
            );
        }
        const revoked: AccessToken = { ...t, revokedAt: this.now().toISOString(), revokedBy: by };
        await this.store.put(revoked);
        return tokenInfo(revoked);
    }
}
