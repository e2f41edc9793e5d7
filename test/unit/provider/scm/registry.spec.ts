import * as assert from "assert";
import { InvalidInputError } from "../../../../model/errors";
import { githubHost } from "../../../../provider/scm/github";
import { hostedRepository, scmFor, scmHostFor, scmHosts, tokenFor } from "../../../../provider/scm/registry";
import { repositoryURLParts } from "../../../../provider/scm/scm";

describe("hostedRepository", () => {
    const cases: [string, string | undefined, ReturnType<typeof hostedRepository>][] = [
        [
            "https://github.com/acme/gitops.git",
            undefined,
            { apiUrl: "https://api.github.com", host: "github.com", repo: { owner: "acme", name: "gitops" } },
        ],
        [
            "https://github.com/acme/gitops",
            undefined,
            { apiUrl: "https://api.github.com", host: "github.com", repo: { owner: "acme", name: "gitops" } },
        ],
        [
            "https://ghe.example.com/platform/deploy.git",
            undefined,
            {
                apiUrl: "https://ghe.example.com/api/v3",
                host: "ghe.example.com",
                repo: { owner: "platform", name: "deploy" },
            },
        ],
        [
            "git@github.com:acme/gitops.git",
            undefined,
            { apiUrl: "https://api.github.com", host: "github.com", repo: { owner: "acme", name: "gitops" } },
        ],
        [
            "ssh://git@ghe.example.com:2222/acme/gitops.git",
            undefined,
            {
                apiUrl: "https://ghe.example.com/api/v3",
                host: "ghe.example.com",
                repo: { owner: "acme", name: "gitops" },
            },
        ],
        [
            "http://127.0.0.1:8080/acme/gitops.git",
            "http://127.0.0.1:9090/api",
            {
                apiUrl: "http://127.0.0.1:9090/api",
                host: "127.0.0.1:8080",
                repo: { owner: "acme", name: "gitops" },
            },
        ],
        ["file:///tmp/gitops.git", undefined, undefined],
        ["https://gitlab.example.com/group/sub/repo.git", undefined, undefined],
        ["/srv/git/gitops.git", undefined, undefined],
    ];
    for (const [url, apiUrl, expected] of cases) {
        it(`${url}${apiUrl ? ` (apiUrl ${apiUrl})` : ""}`, () => {
            assert.deepStrictEqual(hostedRepository(url, apiUrl), expected);
        });
    }

    it("takes the API token first, then the Git token for the host, then the Git token for any host", () => {
        const hosted = hostedRepository("https://github.com/a/b")!;
        assert.strictEqual(tokenFor(hosted, { token: "api" }, { tokens: { "github.com": "git" } }), "api");
        assert.strictEqual(tokenFor(hosted, {}, { tokens: { "github.com": "git", "*": "any" } }), "git");
        assert.strictEqual(tokenFor(hosted, {}, { tokens: { "*": "any" } }), "any");
        assert.strictEqual(tokenFor(hosted, {}, {}), undefined);
    });

    it("a repository that cannot take pull requests is refused with the fix (exit 2)", () => {
        assert.throws(
            () => scmFor("file:///tmp/x.git"),
            (e: unknown) =>
                e instanceof InvalidInputError &&
                e.entity === 'Repository "file:///tmp/x.git"' &&
                /not on a code host pull requests can go to \(GitHub: https:\/\/host\/owner\/repo.*\); use action "commit"/.test(
                    e.message,
                ),
        );
    });
});

describe("the SCM host registry", () => {
    it("lists GitHub, which serves GitHub-style URLs, among the hosts", () => {
        assert.strictEqual(scmHosts[0].name, "GitHub");
        assert.ok(scmHosts.some((h) => h.name === "GitLab"));
        assert.strictEqual(scmHostFor("https://github.com/acme/gitops.git"), githubHost);
        assert.strictEqual(scmHostFor("file:///tmp/gitops.git"), undefined);
    });

    it("one client per API root and token; the client comes from the host that serves the URL", () => {
        const a = scmFor("https://github.com/acme/one.git", { token: "t1" });
        const b = scmFor("https://github.com/acme/two.git", { token: "t1" });
        const c = scmFor("https://github.com/acme/one.git", { token: "t2" });
        const d = scmFor("https://ghe.example.com/acme/one.git", { token: "t1" });
        assert.strictEqual(a.client, b.client);
        assert.notStrictEqual(a.client, c.client);
        assert.notStrictEqual(a.client, d.client);
        assert.deepStrictEqual(
            [a.apiUrl, d.apiUrl],
            ["https://api.github.com", "https://ghe.example.com/api/v3"],
        );
        assert.deepStrictEqual(b.repo, { owner: "acme", name: "two" });
    });

    it("splits repository URLs the same way for every host", () => {
        assert.deepStrictEqual(repositoryURLParts("https://gitlab.example.com/group/sub/repo.git"), {
            scheme: "https",
            host: "gitlab.example.com",
            segments: ["group", "sub", "repo"],
        });
        assert.deepStrictEqual(repositoryURLParts("git@host:a/b.git"), {
            scheme: "ssh",
            host: "host",
            segments: ["a", "b"],
        });
        assert.deepStrictEqual(repositoryURLParts("ssh://git@host:2222/a/b.git"), {
            scheme: "ssh",
            host: "host",
            segments: ["a", "b"],
        });
        assert.strictEqual(repositoryURLParts("https://host//b"), undefined);
        assert.strictEqual(repositoryURLParts("/srv/git/x.git"), undefined);
    });
});
