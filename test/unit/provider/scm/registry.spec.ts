import * as assert from "assert";
import { hostedRepository, scmFor, tokenFor } from "../../../../provider/scm/registry";

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

    it("a repository that cannot take pull requests is refused with the fix", () => {
        assert.throws(
            () => scmFor("file:///tmp/x.git"),
            /not a GitHub repository URL .* use action "commit"/,
        );
    });
});
