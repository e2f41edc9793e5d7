import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import type { AccessToken } from "../../../engine/governance/accessTokens";
import { hashToken, newTokenSecret } from "../../../engine/governance/accessTokens";
import type { ReleaseOptions, RetryOptions, TerminateOptions } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { InvalidInputError } from "../../../model/errors";
import type { Subject } from "../../../model/subject";
import type { ServerEngine } from "../../../server/api";
import { createApi } from "../../../server/api";
import { ApiRefusal } from "../../../server/errors";
import { checkExposure, hasPermissionRules } from "../../../server/auth/exposure";
import type { IdentityOptions } from "../../../server/auth/identify";
import { Identity } from "../../../server/auth/identify";
import { OidcVerifier } from "../../../server/auth/oidc";
import { plainAddress, TrustedProxies } from "../../../server/auth/proxy";
import type { OpenApiDoc } from "../../support/apiSchema";
import { ApiSchema } from "../../support/apiSchema";
import { OidcIssuer } from "../../support/oidcIssuer";
import { scenarioDefinitions } from "../../support/scenario";

const t0 = Date.parse("2026-11-23T12:00:00Z");

function stored(token: string, over: Partial<AccessToken> = {}): AccessToken {
    return {
        id: "tok-1",
        hash: hashToken(token),
        user: "ci-bot",
        groups: ["deployers"],
        createdAt: new Date(t0).toISOString(),
        createdBy: "alice",
        ...over,
    };
}

/** A token list the test changes, counting reads, and a clock the test moves. */
function tokenSource(initial: AccessToken[]) {
    const state = { tokens: initial, reads: 0, now: t0 };
    const opts: Pick<IdentityOptions, "tokens" | "now"> = {
        tokens: async () => {
            state.reads++;
            return state.tokens;
        },
        now: () => state.now,
    };
    return { state, opts };
}

/** The 401 an identify call is refused with: its message. */
async function refusal(p: Promise<Subject>): Promise<string> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof ApiRefusal, String(e));
        assert.strictEqual(e.status, 401);
        assert.strictEqual(e.code, "unauthenticated");
        return e.message;
    }
    assert.fail("expected a 401");
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

describe("identify: who sends a request", () => {
    it("an API token is its user and groups; an unknown one is refused without echoing it", async () => {
        const token = newTokenSecret();
        const { opts } = tokenSource([stored(token)]);
        const identity = new Identity({ loopback: true, ...opts });
        assert.deepStrictEqual(await identity.identify(bearer(token), "127.0.0.1"), {
            user: "ci-bot",
            groups: ["deployers"],
            via: "token",
        });
        const other = newTokenSecret();
        const message = await refusal(identity.identify(bearer(other), "127.0.0.1"));
        assert.match(message, /unknown API token: .*promote token create --user NAME/);
        assert.ok(!message.includes(other) && !message.includes(other.slice(3, 20)), message);
    });

    it("a revoked token is refused once the cached list is older than its ttl; a new one is read at once", async () => {
        const token = newTokenSecret();
        const { state, opts } = tokenSource([stored(token)]);
        const identity = new Identity({ loopback: false, ...opts, tokenCacheMs: 5_000 });
        assert.strictEqual((await identity.identify(bearer(token), "10.0.0.9")).user, "ci-bot");
        assert.strictEqual(state.reads, 1);
        state.tokens = [stored(token, { revokedAt: new Date(t0 + 1000).toISOString(), revokedBy: "alice" })];
        state.now = t0 + 4_000;
        // Within the ttl the cached list still answers (and no read is made for a known token).
        assert.strictEqual((await identity.identify(bearer(token), "10.0.0.9")).user, "ci-bot");
        assert.strictEqual(state.reads, 1);
        state.now = t0 + 5_000;
        assert.match(
            await refusal(identity.identify(bearer(token), "10.0.0.9")),
            /API token tok-1 was revoked at 2026-11-23T12:00:01\.000Z: create a new one with 'promote token create --user ci-bot'/,
        );
        assert.strictEqual(state.reads, 2);
        // A token created after the last read is found by reading again (at most once a second).
        const fresh = newTokenSecret();
        state.tokens = [...state.tokens, stored(fresh, { id: "tok-2", user: "bob", groups: [] })];
        state.now = t0 + 5_500;
        await refusal(identity.identify(bearer(fresh), "10.0.0.9"));
        assert.strictEqual(state.reads, 2, "no second read within a second");
        state.now = t0 + 6_000;
        assert.strictEqual((await identity.identify(bearer(fresh), "10.0.0.9")).user, "bob");
        assert.strictEqual(state.reads, 3);
    });

    it("trusted proxy headers from a --trusted-proxy address; from any other address a 401", async () => {
        const identity = new Identity({ loopback: false, trustedProxies: ["10.1.0.0/16", "fd00::1"] });
        const headers = {
            "x-forwarded-user": "alice",
            "x-forwarded-email": "alice@example.com",
            "x-forwarded-groups": "release-managers, devs,,devs",
        };
        for (const peer of ["10.1.2.3", "::ffff:10.1.200.1", "fd00::1"]) {
            assert.deepStrictEqual(await identity.identify(headers, peer), {
                user: "alice",
                email: "alice@example.com",
                groups: ["release-managers", "devs"],
                via: "proxy",
            });
        }
        for (const peer of ["10.2.0.1", "127.0.0.1", "fd00::2", undefined]) {
            assert.match(
                await refusal(identity.identify(headers, peer)),
                /X-Forwarded-User\/-Email\/-Groups headers from .* refused: that address is not a --trusted-proxy/,
            );
        }
        assert.deepStrictEqual(
            await identity.identify({ "x-forwarded-email": "bob@example.com" }, "10.1.0.1"),
            { user: "bob@example.com", email: "bob@example.com", groups: [], via: "proxy" },
        );
        assert.match(
            await refusal(identity.identify({ "x-forwarded-groups": "admins" }, "10.1.0.1")),
            /X-Forwarded-Groups without X-Forwarded-User/,
        );
        // On a loopback server without identity sources too: the headers never fall back to "local".
        const local = new Identity({ loopback: true });
        await refusal(local.identify({ "x-forwarded-user": "root" }, "127.0.0.1"));
    });

    it("no credentials: 'local' on a loopback server without sources, 'anonymous' with --insecure-no-auth, else 401", async () => {
        assert.deepStrictEqual(await new Identity({ loopback: true }).identify({}, "127.0.0.1"), {
            user: "local",
            groups: [],
            via: "loopback",
        });
        assert.strictEqual(
            (await new Identity({ loopback: false, insecureNoAuth: true }).identify({}, "10.0.0.1")).user,
            "anonymous",
        );
        // A caller from the network is recorded by its address, never as loopback (issue 23, item 11).
        const insecure = new Identity({ loopback: false, insecureNoAuth: true });
        assert.deepStrictEqual(await insecure.identify({}, "10.0.0.1"), {
            user: "anonymous",
            groups: [],
            via: "network",
            address: "10.0.0.1",
        });
        assert.deepStrictEqual(await insecure.identify({}, "::ffff:192.0.2.7"), {
            user: "anonymous",
            groups: [],
            via: "network",
            address: "192.0.2.7",
        });
        assert.deepStrictEqual(await insecure.identify({}, "::ffff:127.0.0.1"), {
            user: "anonymous",
            groups: [],
            via: "loopback",
            address: "127.0.0.1",
        });
        assert.match(
            await refusal(new Identity({ loopback: false }).identify({}, "10.0.0.1")),
            /no credentials: send Authorization: Bearer <token>/,
        );
        assert.match(
            await refusal(
                new Identity({ loopback: true, trustedProxies: ["10.0.0.0/8"] }).identify({}, "127.0.0.1"),
            ),
            /no credentials: .*or come through the trusted auth proxy/,
        );
        const oidc = { verify: async (): Promise<Subject> => ({ user: "x", groups: [], via: "oidc" }) };
        await refusal(new Identity({ loopback: true, oidc }).identify({}, "127.0.0.1"));
    });

    it("a malformed Authorization header, a non-token non-JWT, or a JWT without --oidc-issuer: 401", async () => {
        const identity = new Identity({ loopback: false });
        assert.match(
            await refusal(identity.identify({ authorization: "Basic YWxpY2U6cHc=" }, "127.0.0.1")),
            /must be 'Bearer <credential>'/,
        );
        assert.match(
            await refusal(identity.identify(bearer("opaque-credential"), "127.0.0.1")),
            /neither an API token \(pp_…\) nor a JWT/,
        );
        assert.match(
            await refusal(identity.identify(bearer("a.b.c"), "127.0.0.1")),
            /start it with --oidc-issuer/,
        );
        // A token on a server without a token store is unknown, not an error.
        assert.match(
            await refusal(identity.identify(bearer(newTokenSecret()), "127.0.0.1")),
            /unknown API token/,
        );
        // Where requests without credentials are let in, a credential the server cannot check changes nothing;
        // one of its own tokens is still checked.
        const local = new Identity({ loopback: true });
        for (const authorization of ["Bearer any", "Basic YWxpY2U6cHc=", "Bearer a.b.c"]) {
            assert.strictEqual(
                (await local.identify({ authorization }, "127.0.0.1")).user,
                "local",
                authorization,
            );
        }
        assert.match(
            await refusal(local.identify(bearer(newTokenSecret()), "127.0.0.1")),
            /unknown API token/,
        );
    });

    it("parses --trusted-proxy and refuses what is not an address or block", () => {
        assert.strictEqual(plainAddress("::ffff:192.168.1.1"), "192.168.1.1");
        const p = new TrustedProxies(["192.168.0.0/24"]);
        assert.ok(p.has("192.168.0.255") && !p.has("192.168.1.0") && !p.has("not-an-ip"));
        for (const bad of ["10.0.0.0/33", "example.com", "10.0.0.0/8/8", "10.0.0.0/x", "fd00::/129"]) {
            assert.throws(
                () => new TrustedProxies([bad]),
                (e: unknown) => e instanceof InvalidInputError && e.path === "--trusted-proxy",
                bad,
            );
        }
    });

    it("a non-loopback bind needs permission rules or --insecure-no-auth", () => {
        const none = buildCatalog({}).catalog;
        const withRules = { ...none, permissions: [{ name: "admins" }] } as unknown as typeof none;
        assert.strictEqual(hasPermissionRules(none), false);
        assert.strictEqual(hasPermissionRules(withRules), true);
        assert.strictEqual(checkExposure("127.0.0.1", { insecureNoAuth: false, hasRules: false }), undefined);
        assert.strictEqual(checkExposure("0.0.0.0", { insecureNoAuth: false, hasRules: true }), undefined);
        assert.throws(
            () => checkExposure("0.0.0.0", { insecureNoAuth: false, hasRules: false }),
            /--host 0\.0\.0\.0 would expose the API .*PromotionPermission rules.* add --insecure-no-auth/,
        );
        assert.match(
            checkExposure("0.0.0.0", { insecureNoAuth: true, hasRules: false }) ?? "",
            /warning: .*without authentication/,
        );
    });
});

describe("identify: OIDC bearer JWTs against a stand-in issuer", function () {
    this.timeout(20_000);
    let issuer: OidcIssuer;
    let identity: Identity;
    const now = () => Math.floor(Date.now() / 1000);

    before(async () => {
        issuer = await OidcIssuer.start();
        const oidc = new OidcVerifier({ issuer: issuer.url, audience: "promotions", groupsClaim: "roles" });
        identity = new Identity({ loopback: true, oidc });
    });
    after(() => issuer.close());

    it("a valid JWT: preferred_username, else email, else sub; groups from the configured claim", async () => {
        const jwt = await issuer.sign({
            sub: "u-1",
            preferred_username: "alice",
            email: "alice@example.com",
            roles: ["release-managers"],
            groups: ["ignored"],
        });
        assert.deepStrictEqual(await identity.identify(bearer(jwt), "127.0.0.1"), {
            user: "alice",
            email: "alice@example.com",
            groups: ["release-managers"],
            via: "oidc",
        });
        const bySub = await identity.identify(bearer(await issuer.sign({ sub: "u-2" })), "127.0.0.1");
        assert.deepStrictEqual(bySub, { user: "u-2", groups: [], via: "oidc" });
        const byEmail = await identity.identify(
            bearer(await issuer.sign({ sub: "u-3", email: "e@x.io" })),
            "::1",
        );
        assert.strictEqual(byEmail.user, "e@x.io");
    });

    it("expired, not yet valid, wrongly signed, another audience or issuer: 401 saying which", async () => {
        const cases: [string, Promise<string>, RegExp][] = [
            [
                "expired",
                issuer.sign({ sub: "a" }, { expiresAt: now() - 120 }),
                /the bearer JWT expired at .*: get a new token from http/,
            ],
            ["not yet valid", issuer.sign({ sub: "a" }, { notBefore: now() + 600 }), /not valid yet \(nbf\)/],
            [
                "wrongly signed",
                issuer.sign({ sub: "a" }, { wrongKey: true }),
                /signature does not verify against the keys/,
            ],
            [
                "another audience",
                issuer.sign({ sub: "a" }, { audience: "other-app" }),
                /not for audience "promotions" \(--oidc-audience\)/,
            ],
            [
                "another issuer",
                issuer.sign({ sub: "a" }, { issuer: "https://evil.example" }),
                /not issued by http:\/\/127\.0\.0\.1:\d+ \(--oidc-issuer\)/,
            ],
        ];
        for (const [name, jwt, re] of cases) {
            const token = await jwt;
            const message = await refusal(identity.identify(bearer(token), "127.0.0.1"));
            assert.match(message, re, name);
            assert.ok(!message.includes(token.split(".")[2]), name);
        }
        // An altered payload under the issuer's own signature is refused too.
        const [h, , sig] = (await issuer.sign({ sub: "a" })).split(".");
        const forged = Buffer.from(
            JSON.stringify({ sub: "root", iss: issuer.url, aud: "promotions", exp: now() + 60 }),
        ).toString("base64url");
        assert.match(
            await refusal(identity.identify(bearer(`${h}.${forged}.${sig}`), "127.0.0.1")),
            /signature does not verify/,
        );
    });

    it("an unreachable issuer is an environment problem (503), not a 401", async () => {
        const gone = new OidcVerifier({ issuer: "http://127.0.0.1:9", audience: "promotions" });
        await assert.rejects(
            gone.discover(),
            /OIDC discovery at http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration failed/,
        );
        assert.throws(
            () => new OidcVerifier({ issuer: "not a url", audience: "a" }),
            /--oidc-issuer "not a url"/,
        );
        assert.throws(
            () => new OidcVerifier({ issuer: "https://idp", audience: "" }),
            /needs --oidc-audience/,
        );
    });
});

/** Remembers who the API said was acting. */
class RecordingEngine implements ServerEngine {
    released?: ReleaseOptions;
    retried?: RetryOptions;
    terminated?: TerminateOptions;
    private record(id: string, status: ReleaseRecord["status"]): ReleaseRecord {
        return {
            id,
            product: "web",
            flow: "seq",
            status,
            createdAt: new Date(t0).toISOString(),
            sourceApplication: "web-dev",
            sourceCommit: "a".repeat(40),
            environments: [],
            candidate: {
                sourceApplication: "web-dev",
                sourceRepoURL: "file:///r",
                sourcePath: "p",
                sourceCommit: "a",
                files: [],
            },
            plan: { trigger: "dev", timeoutMs: 1000, concurrency: "queue", environments: [] },
            attempts: 1,
        };
    }
    async preview(): Promise<never> {
        throw new InvalidInputError("not here");
    }
    async release(o: ReleaseOptions) {
        this.released = o;
        const r = this.record("r2", "Running");
        o.onCreated?.(r);
        return r;
    }
    async retry(id: string, o: RetryOptions = {}) {
        this.retried = o;
        return this.record(id, "Failed");
    }
    async terminate(id: string, o: TerminateOptions = {}) {
        this.terminated = o;
        return this.record(id, "Terminated");
    }
    async releases() {
        return [this.record("r1", "Failed")];
    }
    async find(id: string) {
        return this.record(id, "Failed");
    }
}

describe("identify: the API middleware", () => {
    const catalog = buildCatalog(
        scenarioDefinitions({
            product: "web",
            repoURL: "file:///r",
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        }),
    ).catalog;
    const token = newTokenSecret();

    function setup() {
        const engine = new RecordingEngine();
        const identity = new Identity({
            loopback: false,
            tokens: async () => [
                stored(token),
                stored(newTokenSecret(), { id: "tok-9", revokedAt: new Date(t0).toISOString() }),
            ],
            trustedProxies: ["10.0.0.1"],
        });
        const api = createApi({ catalog, engine, csrfToken: "c".repeat(32), identity });
        const schema = Promise.resolve(
            api.app.request("/api/v1/openapi.json", { headers: bearer(token) }),
        ).then(async (r) => new ApiSchema((await r.json()) as OpenApiDoc));
        const call = async (
            method: string,
            path: string,
            headers: Record<string, string>,
            peer = "10.9.9.9",
            body?: unknown,
        ) => {
            const res = await api.app.request(
                path,
                {
                    method,
                    headers: {
                        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
                        ...headers,
                    },
                    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
                },
                { incoming: { socket: { remoteAddress: peer } } },
            );
            const text = await res.text();
            const json = JSON.parse(text) as Record<string, unknown>;
            assert.deepStrictEqual((await schema).violations(method, path, res.status, json), [], text);
            assert.ok(!text.includes(token), text);
            return { status: res.status, json, headers: res.headers };
        };
        return { engine, call };
    }

    it("GET /me answers the subject; a 401 is the error body with WWW-Authenticate, for every route", async () => {
        const { call } = setup();
        const me = await call("GET", "/api/v1/me", bearer(token));
        assert.deepStrictEqual(me.json, { user: "ci-bot", groups: ["deployers"], via: "token" });
        const proxied = await call("GET", "/api/v1/me", { "X-Forwarded-User": "alice" }, "10.0.0.1");
        assert.deepStrictEqual(proxied.json, { user: "alice", groups: [], via: "proxy" });
        for (const path of ["/api/v1/me", "/api/v1/products", "/api/v1/releases/r1", "/api/v1/session"]) {
            const none = await call("GET", path, {});
            assert.strictEqual(none.status, 401, path);
            assert.strictEqual((none.json.error as { code: string }).code, "unauthenticated");
            assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
        }
    });

    it("mutations record the subject as initiator; refused credentials reach no engine call", async () => {
        const { engine, call } = setup();
        const started = await call("POST", "/api/v1/releases", bearer(token), undefined, {
            product: "web",
            flow: "seq",
        });
        assert.strictEqual(started.status, 202);
        assert.deepStrictEqual(engine.released?.initiator, { user: "ci-bot", via: "token" });
        await call("POST", "/api/v1/releases/r1/retry", { "X-Forwarded-User": "alice" }, "10.0.0.1");
        assert.deepStrictEqual(engine.retried?.initiator, { user: "alice", via: "proxy" });
        await call("POST", "/api/v1/releases/r1/terminate", bearer(token));
        assert.deepStrictEqual(engine.terminated?.initiator, { user: "ci-bot", via: "token" });

        const fresh = setup();
        const refused: Record<string, string>[] = [
            bearer(newTokenSecret()),
            { "X-Forwarded-User": "alice" },
            { authorization: "Bearer a.b.c" },
            {},
        ];
        for (const headers of refused) {
            const r = await fresh.call("POST", "/api/v1/releases", headers, "10.9.9.9", {
                product: "web",
                flow: "seq",
            });
            assert.strictEqual(r.status, 401, JSON.stringify(headers));
            const t = await fresh.call("POST", "/api/v1/releases/r1/terminate", headers);
            assert.strictEqual(t.status, 401);
        }
        assert.strictEqual(fresh.engine.released, undefined);
        assert.strictEqual(fresh.engine.terminated, undefined);
    });
});
