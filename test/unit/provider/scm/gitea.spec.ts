import * as assert from "assert";
import { createHmac } from "crypto";
import { giteaHost, giteaWebhook } from "../../../../provider/scm/gitea";
import { githubHost } from "../../../../provider/scm/github";
import { hostsFrom } from "../../../../provider/scm/hosts";
import { resolveRepository, scmFor, scmHostFor, tokenFor } from "../../../../provider/scm/registry";
import type { ScmConfig } from "../../../../provider/scm/scm";

const hosts = (entries: object[], env: NodeJS.ProcessEnv = {}): ScmConfig => ({
    hosts: hostsFrom({ ...env, PROMOTIONS_HOSTS: JSON.stringify(entries) }),
});

describe("Gitea as a code host", () => {
    it("serves the repositories under a hosts prefix of kind gitea, and never one GitHub Enterprise would take", () => {
        const config = hosts([
            { prefix: "https://git.example.com/", kind: "gitea", tokenEnv: "GITEA_TOKEN" },
        ]);
        assert.strictEqual(scmHostFor("https://git.example.com/acme/gitops.git", config), giteaHost);
        assert.strictEqual(scmHostFor("git@git.example.com:acme/gitops.git", config), giteaHost);
        // Without the entry, the same URL is not Gitea's.
        assert.strictEqual(scmHostFor("https://git.example.com/acme/gitops.git", {}), githubHost);
        // With hosts configured, an unlisted host is nobody's (not GitHub Enterprise).
        assert.strictEqual(scmHostFor("https://other.example.com/acme/gitops.git", config), undefined);
        // The public instances need no entry.
        assert.strictEqual(scmHostFor("https://codeberg.org/forgejo/forgejo.git", {}), giteaHost);
        assert.strictEqual(scmHostFor("https://gitea.com/gitea/tea", {}), giteaHost);
    });

    it("derives the API root /api/v1 on the prefix's host, or takes the entry's (an instance under a sub-path)", () => {
        const plain = resolveRepository(
            "http://127.0.0.1:3000/acme/gitops.git",
            hosts([{ prefix: "http://127.0.0.1:3000/", kind: "gitea" }]),
        );
        assert.strictEqual(plain?.apiUrl, "http://127.0.0.1:3000/api/v1");
        assert.strictEqual(plain?.host, "127.0.0.1:3000");
        assert.deepStrictEqual(plain?.repo, { owner: "acme", name: "gitops" });
        const sub = resolveRepository(
            "https://example.com/git/acme/gitops.git",
            hosts([
                {
                    prefix: "https://example.com/git/",
                    kind: "gitea",
                    apiUrl: "https://example.com/git/api/v1",
                },
            ]),
        );
        assert.strictEqual(sub?.apiUrl, "https://example.com/git/api/v1");
        assert.deepStrictEqual(sub?.repo, { owner: "acme", name: "gitops" });
        assert.strictEqual(
            resolveRepository("https://codeberg.org/acme/gitops.git", {})?.apiUrl,
            "https://codeberg.org/api/v1",
        );
    });

    it("sends the entry's token to its own instance only, never GitHub's token", () => {
        const config: ScmConfig = {
            token: "github-token",
            ...hosts([{ prefix: "https://git.example.com/", kind: "gitea", tokenEnv: "GITEA_TOKEN" }], {
                GITEA_TOKEN: "gitea-token",
            }),
        };
        const gitea = resolveRepository("https://git.example.com/acme/gitops.git", config)!;
        assert.strictEqual(tokenFor(gitea, config, { tokens: { "*": "any" } }), "gitea-token");
        const github = resolveRepository("https://github.com/acme/gitops.git", config)!;
        assert.strictEqual(tokenFor(github, config), "github-token");
        const codeberg = resolveRepository("https://codeberg.org/acme/gitops.git", config)!;
        assert.strictEqual(tokenFor(codeberg, config, { tokens: { "*": "any" } }), undefined);
    });

    it("gets a Gitea client from the registry, one per API root and token", () => {
        const config = hosts([{ prefix: "https://git.example.com/", kind: "gitea", tokenEnv: "T" }], {
            T: "t1",
        });
        const a = scmFor("https://git.example.com/acme/one.git", config);
        const b = scmFor("https://git.example.com/acme/two.git", config);
        assert.strictEqual(a.client, b.client);
        assert.strictEqual(a.client.constructor.name, "GiteaClient");
        assert.strictEqual(a.scmHost, giteaHost);
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

    it("proves a delivery by X-Gitea-Signature (hex HMAC-SHA256 of the body, no prefix), or Forgejo's header", () => {
        const good = sign(body);
        for (const name of ["x-gitea-signature", "x-forgejo-signature"]) {
            assert.ok(giteaWebhook.precheck({ [name]: good }), name);
            assert.ok(giteaWebhook.verify({ [name]: good }, body, secret), name);
        }
    });

    it("refuses a wrong secret, a changed body, a GitHub-style prefix, a malformed or missing signature", () => {
        assert.ok(!giteaWebhook.verify({ "x-gitea-signature": sign(body, "other") }, body, secret));
        assert.ok(
            !giteaWebhook.verify(
                { "x-gitea-signature": sign(body) },
                Buffer.concat([body, Buffer.from(" ")]),
                secret,
            ),
        );
        assert.ok(!giteaWebhook.precheck({ "x-gitea-signature": `sha256=${sign(body)}` }));
        assert.ok(!giteaWebhook.precheck({ "x-gitea-signature": "abc" }));
        assert.ok(!giteaWebhook.precheck({ "x-hub-signature-256": `sha256=${sign(body)}` }));
        assert.ok(!giteaWebhook.verify({}, body, secret));
    });

    it("reads a push as the branch that moved, other events as ignored, and the delivery id", () => {
        assert.deepStrictEqual(giteaWebhook.parse({ "x-gitea-event": "push" }, body), {
            kind: "push",
            moved: [
                { repoURL: "http://127.0.0.1:3000/acme/gitops.git", branch: "main", sha: "a".repeat(40) },
            ],
        });
        assert.deepStrictEqual(giteaWebhook.parse({ "x-forgejo-event": "push" }, body).kind, "push");
        assert.deepStrictEqual(giteaWebhook.parse({ "x-gitea-event": "pull_request" }, body), {
            kind: "ignored",
            event: "pull_request",
        });
        const tag = Buffer.from(
            JSON.stringify({
                ref: "refs/tags/v1",
                after: "b",
                repository: { clone_url: "http://h/a/b.git" },
            }),
        );
        assert.deepStrictEqual(giteaWebhook.parse({ "x-gitea-event": "push" }, tag), {
            kind: "push",
            moved: [],
        });
        assert.throws(() => giteaWebhook.parse({ "x-gitea-event": "push" }, Buffer.from("not json")));
        assert.strictEqual(
            giteaWebhook.deliveryId({ "x-gitea-delivery": "9d1c3c36-5b1e-4f55-9a53-0d6a1a1f3b0e" }),
            "9d1c3c36-5b1e-4f55-9a53-0d6a1a1f3b0e",
        );
        assert.strictEqual(giteaWebhook.deliveryId({ "x-gitea-delivery": "<script>" }), undefined);
    });
});
