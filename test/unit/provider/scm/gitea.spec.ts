import * as assert from "assert";
import { createHmac } from "crypto";
import { giteaHost } from "../../../../provider/scm/gitea/host";
import {
    giteaDelivery,
    giteaEvent,
    giteaSignature,
    isGiteaDelivery,
    parseGiteaPush,
    verifyGiteaSignature,
} from "../../../../provider/scm/gitea/webhook";
import { githubHost } from "../../../../provider/scm/github";
import { hostedRepository, scmFor, scmHostFor } from "../../../../provider/scm/registry";

describe("Gitea as a code host", () => {
    it("is chosen only when the configured API root is an /api/v1 root on the repository's own host", () => {
        const cases: [string, string | undefined, string][] = [
            ["https://git.example.com/acme/gitops.git", "https://git.example.com/api/v1", "Gitea"],
            ["https://git.example.com/acme/gitops", "https://git.example.com/api/v1/", "Gitea"],
            ["http://127.0.0.1:3000/acme/gitops.git", "http://127.0.0.1:3000/api/v1", "Gitea"],
            ["https://example.com/git/acme/gitops.git", "https://example.com/git/api/v1", "Gitea"],
            ["git@git.example.com:acme/gitops.git", "https://git.example.com/api/v1", "Gitea"],
            // Never mistaken: no API root says nothing about the host, so it stays GitHub (Enterprise).
            ["https://git.example.com/acme/gitops.git", undefined, "GitHub"],
            ["https://git.example.com/acme/gitops.git", "https://git.example.com/api/v3", "GitHub"],
            // A Gitea API root on another host does not make this repository Gitea's (its token stays there).
            ["https://github.com/acme/gitops.git", "https://git.example.com/api/v1", "GitHub"],
            ["http://127.0.0.1:3001/acme/gitops.git", "http://127.0.0.1:3000/api/v1", "GitHub"],
            // Under a sub-path, the repository must be owner/name right below it.
            ["https://example.com/other/acme/gitops.git", "https://example.com/git/api/v1", "none"],
        ];
        for (const [url, apiUrl, expected] of cases) {
            const host = scmHostFor(url, apiUrl ? { apiUrl } : {});
            const name = host === undefined ? "none" : host.name;
            // GitHub takes exactly two segments; a deeper path is nobody's.
            assert.strictEqual(name, expected, `${url} with ${apiUrl ?? "no API root"}`);
        }
        assert.strictEqual(scmHostFor("https://git.example.com/a/b", {}), githubHost);
        assert.strictEqual(
            scmHostFor("https://git.example.com/a/b", { apiUrl: "https://git.example.com/api/v1" }),
            giteaHost,
        );
    });

    it("locates the repository and keys its token by host[:port]", () => {
        assert.deepStrictEqual(
            hostedRepository("https://example.com/git/acme/gitops.git", "https://example.com/git/api/v1"),
            {
                apiUrl: "https://example.com/git/api/v1",
                host: "example.com",
                repo: { owner: "acme", name: "gitops" },
            },
        );
        assert.deepStrictEqual(
            hostedRepository("http://127.0.0.1:3000/acme/gitops.git", "http://127.0.0.1:3000/api/v1"),
            {
                apiUrl: "http://127.0.0.1:3000/api/v1",
                host: "127.0.0.1:3000",
                repo: { owner: "acme", name: "gitops" },
            },
        );
    });

    it("gets a Gitea client from the registry, one per API root and token", () => {
        const a = scmFor("https://git.example.com/acme/one.git", {
            apiUrl: "https://git.example.com/api/v1",
            token: "t1",
        });
        const b = scmFor("https://git.example.com/acme/two.git", {
            apiUrl: "https://git.example.com/api/v1",
            token: "t1",
        });
        assert.strictEqual(a.client, b.client);
        assert.strictEqual(a.client.constructor.name, "GiteaClient");
        assert.deepStrictEqual(b.repo, { owner: "acme", name: "two" });
    });
});

describe("Gitea webhooks", () => {
    const secret = "s3cret-webhook";
    const body = Buffer.from(
        JSON.stringify({
            ref: "refs/heads/main",
            before: "0".repeat(40),
            after: "a".repeat(40),
            repository: {
                full_name: "acme/gitops",
                clone_url: "http://127.0.0.1:3000/acme/gitops.git",
                ssh_url: "git@127.0.0.1:acme/gitops.git",
            },
        }),
    );
    const sign = (b: Buffer, s = secret) => createHmac("sha256", s).update(b).digest("hex");

    it("verifies X-Gitea-Signature (hex HMAC-SHA256 of the body, no prefix) and Forgejo's header", () => {
        const good = sign(body);
        assert.strictEqual(giteaSignature({ "x-gitea-signature": good }), good);
        assert.strictEqual(giteaSignature({ "x-forgejo-signature": good }), good);
        assert.ok(verifyGiteaSignature(body, good, secret));
        assert.ok(isGiteaDelivery({ "x-gitea-signature": good }));
        assert.ok(!isGiteaDelivery({ "x-hub-signature-256": `sha256=${good}` }));
    });

    it("refuses a wrong secret, a changed body, a GitHub-style prefix and a malformed value", () => {
        assert.ok(!verifyGiteaSignature(body, sign(body, "other"), secret));
        assert.ok(!verifyGiteaSignature(Buffer.concat([body, Buffer.from(" ")]), sign(body), secret));
        assert.strictEqual(giteaSignature({ "x-gitea-signature": `sha256=${sign(body)}` }), undefined);
        assert.strictEqual(giteaSignature({ "x-gitea-signature": "abc" }), undefined);
        assert.ok(!verifyGiteaSignature(body, "z".repeat(64), secret));
    });

    it("reads the event, the delivery id and the push", () => {
        assert.strictEqual(giteaEvent({ "x-gitea-event": "push" }), "push");
        assert.strictEqual(giteaEvent({ "x-forgejo-event": "push" }), "push");
        assert.strictEqual(
            giteaDelivery({ "x-gitea-delivery": "9d1c3c36-5b1e-4f55-9a53-0d6a1a1f3b0e" }),
            "9d1c3c36-5b1e-4f55-9a53-0d6a1a1f3b0e",
        );
        assert.strictEqual(giteaDelivery({ "x-gitea-delivery": "<script>" }), "?");
        assert.deepStrictEqual(parseGiteaPush(body), {
            repository: "acme/gitops",
            branch: "main",
            after: "a".repeat(40),
            cloneUrls: ["http://127.0.0.1:3000/acme/gitops.git", "git@127.0.0.1:acme/gitops.git"],
        });
        assert.strictEqual(parseGiteaPush(Buffer.from("{}")), undefined);
        assert.strictEqual(parseGiteaPush(Buffer.from("not json")), undefined);
        const tag = parseGiteaPush(
            Buffer.from(
                JSON.stringify({ ref: "refs/tags/v1", after: "b", repository: { full_name: "a/b" } }),
            ),
        );
        assert.strictEqual(tag?.branch, undefined);
    });
});
