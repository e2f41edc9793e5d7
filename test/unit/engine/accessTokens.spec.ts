import * as assert from "assert";
import type { AccessToken } from "../../../engine/governance/accessTokens";
import {
    AccessTokens,
    hashToken,
    looksLikeApiToken,
    matchToken,
    newTokenSecret,
    tokenPrefix,
} from "../../../engine/governance/accessTokens";
import { InvalidInputError } from "../../../model/errors";
import { FakeTokenStore } from "../../support/fakeTokenStore";

const t0 = Date.parse("2026-11-23T12:00:00Z");

describe("API tokens", () => {
    it("are the prefix and 32 random bytes, base64url; stored as their SHA-256", () => {
        const a = newTokenSecret();
        const b = newTokenSecret();
        assert.notStrictEqual(a, b);
        assert.ok(a.startsWith(tokenPrefix) && a.length === tokenPrefix.length + 43, a);
        assert.ok(looksLikeApiToken(a) && !looksLikeApiToken("pp_short") && !looksLikeApiToken("a.b.c"));
        assert.match(hashToken(a), /^[0-9a-f]{64}$/);
        // SHA-256 of the whole token, as `printf %s TOKEN | sha256sum` prints it.
        assert.strictEqual(
            hashToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        );
        assert.notStrictEqual(hashToken(a), hashToken(b));
    });

    it("match by hash only, revoked ones included (the caller refuses them)", () => {
        const a = newTokenSecret();
        const list: AccessToken[] = [
            {
                id: "t1",
                hash: hashToken(newTokenSecret()),
                user: "x",
                groups: [],
                createdAt: "",
                createdBy: "",
            },
            {
                id: "t2",
                hash: hashToken(a),
                user: "y",
                groups: [],
                createdAt: "",
                createdBy: "",
                revokedAt: "z",
            },
            { id: "bad", hash: "not hex", user: "z", groups: [], createdAt: "", createdBy: "" },
        ];
        assert.strictEqual(matchToken(list, a)?.id, "t2");
        assert.strictEqual(matchToken(list, newTokenSecret()), undefined);
        assert.strictEqual(matchToken(list, a.slice(0, -1)), undefined);
    });

    it("create stores the hash, never the token; list hides hashes; revoke keeps the record, refused twice", async () => {
        const store = new FakeTokenStore();
        let now = t0;
        const tokens = new AccessTokens(store, () => new Date(now));
        const { token, info } = await tokens.create({
            user: "ci-bot",
            groups: ["deployers", "deployers", "qa"],
            description: "GitHub Actions",
            createdBy: "alice",
        });
        assert.match(info.id, /^tok-[0-9a-f]{12}$/);
        assert.deepStrictEqual(info, {
            id: info.id,
            user: "ci-bot",
            groups: ["deployers", "qa"],
            description: "GitHub Actions",
            createdAt: "2026-11-23T12:00:00.000Z",
            createdBy: "alice",
        });
        assert.ok(
            store.writes.every((w) => !w.includes(token) && !w.includes(token.slice(tokenPrefix.length))),
        );
        assert.strictEqual(store.tokens.get(info.id)?.hash, hashToken(token));
        now += 1000;
        await tokens.create({ user: "bob", createdBy: "alice" });
        const listed = await tokens.list();
        assert.deepStrictEqual(
            listed.map((t) => t.user),
            ["bob", "ci-bot"],
        );
        assert.ok(listed.every((t) => !("hash" in t)));

        const revoked = await tokens.revoke(info.id, "carol");
        assert.strictEqual(revoked.revokedBy, "carol");
        assert.strictEqual(revoked.revokedAt, "2026-11-23T12:00:01.000Z");
        assert.ok(store.tokens.get(info.id)?.revokedAt);
        const writes = store.writes.length;
        await assert.rejects(
            tokens.revoke(info.id, "carol"),
            /already revoked at 2026-11-23T12:00:01\.000Z by carol/,
        );
        await assert.rejects(tokens.revoke("tok-nope", "carol"), /unknown token id "tok-nope": one of tok-/);
        assert.strictEqual(store.writes.length, writes, "nothing written for a refused revoke");
    });

    it("refuses user and group names that are not names, naming the flag", async () => {
        const tokens = new AccessTokens(new FakeTokenStore());
        for (const [o, flag] of [
            [{ user: "" }, "--user"],
            [{ user: "a b" }, "--user"],
            [{ user: "ok", groups: ["bad,group"] }, "--group"],
        ] as const) {
            await assert.rejects(
                tokens.create({ createdBy: "x", ...o }),
                (e: unknown) => e instanceof InvalidInputError && e.path === flag,
            );
        }
        await assert.rejects(
            tokens.create({ user: "ok", description: "x".repeat(201), createdBy: "x" }),
            /at most 200/,
        );
    });
});
