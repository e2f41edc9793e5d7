import * as assert from "assert";
import { InvalidInputError } from "../../../../model/errors";
import { hostEntryFor, hostsEnvironment, hostsFrom } from "../../../../provider/scm/hosts";
import { resolveRepository, scmFor, scmHosts, tokenFor } from "../../../../provider/scm/registry";
import type { HostEntry } from "../../../../provider/scm/scm";

const hostsJson = JSON.stringify([
    { prefix: "https://git.example.com/", kind: "gitlab", tokenEnv: "CORP_GITLAB_TOKEN" },
    { prefix: "https://git.example.com/legacy/", kind: "gitea", apiUrl: "https://gitea.example.com/api/v1" },
    {
        prefix: "https://ghe.example.com/",
        kind: "github",
        tokenEnv: "GHE_TOKEN",
        webhookSecretEnv: "GHE_HOOK",
    },
    { prefix: "https://lab2.example.com/", kind: "gitlab" },
]);

describe("the hosts configuration (PROMOTIONS_HOSTS)", () => {
    it("reads each entry's token from the variable it names, and the webhook secret from its own or the default", () => {
        const hosts = hostsFrom({
            PROMOTIONS_HOSTS: hostsJson,
            CORP_GITLAB_TOKEN: "glpat-corp",
            GHE_TOKEN: "ghp-ghe",
            GHE_HOOK: "ghe-hook",
            PROMOTIONS_WEBHOOK_SECRET: "default-hook",
        });
        assert.deepStrictEqual(
            hosts.map((h) => [h.kind, h.token, h.webhookSecret]),
            [
                ["gitlab", "glpat-corp", "default-hook"],
                ["gitea", undefined, "default-hook"],
                ["github", "ghp-ghe", "ghe-hook"],
                ["gitlab", undefined, "default-hook"],
            ],
        );
        assert.deepStrictEqual(hostsFrom({}), []);
    });

    it("refuses a bad entry naming the entry, the field and the fix", () => {
        const bad: [unknown, RegExp][] = [
            ["not json", /PROMOTIONS_HOSTS is not valid JSON: set it to \[\{"prefix"/],
            [{ prefix: "x" }, /PROMOTIONS_HOSTS must be a JSON array/],
            [
                [{ prefix: "https://h/", kind: "svn" }],
                /PROMOTIONS_HOSTS\[0\]\.kind: must be one of github, gitlab, gitea, bitbucket, azure-devops \(got "svn"\)/,
            ],
            [
                [{ prefix: "h/", kind: "gitlab" }],
                /PROMOTIONS_HOSTS\[0\]\.prefix: must be an http\(s\) URL prefix/,
            ],
            [
                [{ prefix: "https://h/", kind: "gitlab", token: "x" }],
                /PROMOTIONS_HOSTS\[0\]\.token: unknown field/,
            ],
            [
                [{ prefix: "https://h/", kind: "gitlab", tokenEnv: "a-b" }],
                /PROMOTIONS_HOSTS\[0\]\.tokenEnv: must be the name of an environment variable/,
            ],
        ];
        for (const [raw, message] of bad) {
            assert.throws(
                () => hostsFrom({ PROMOTIONS_HOSTS: typeof raw === "string" ? raw : JSON.stringify(raw) }),
                (e: unknown) => e instanceof InvalidInputError && message.test(e.message),
                String(message),
            );
        }
    });

    it("matches the longest prefix, by host and path, for web and SSH URLs", () => {
        const hosts = hostsFrom({ PROMOTIONS_HOSTS: hostsJson });
        const kind = (url: string) => hostEntryFor(url, hosts)?.kind;
        assert.strictEqual(kind("https://git.example.com/platform/deploy.git"), "gitlab");
        assert.strictEqual(kind("https://git.example.com/legacy/deploy.git"), "gitea");
        assert.strictEqual(kind("git@git.example.com:legacy/deploy.git"), "gitea");
        assert.strictEqual(kind("ssh://git@ghe.example.com:2222/a/b.git"), "github");
        assert.strictEqual(kind("https://git.example.com.evil.test/a/b.git"), undefined);
        assert.strictEqual(kind("https://other.example.com/a/b.git"), undefined);
    });

    it("hands a child process the entries without secrets, and each token under its own variable", () => {
        const hosts = hostsFrom({
            PROMOTIONS_HOSTS: hostsJson,
            CORP_GITLAB_TOKEN: "glpat-corp",
            PROMOTIONS_WEBHOOK_SECRET: "w",
        });
        const env = hostsEnvironment(hosts);
        assert.strictEqual(env.CORP_GITLAB_TOKEN, "glpat-corp");
        assert.ok(!env.PROMOTIONS_HOSTS.includes("glpat-corp") && !env.PROMOTIONS_HOSTS.includes('"w"'));
        assert.deepStrictEqual(
            hostsFrom(env),
            hostsFrom({ PROMOTIONS_HOSTS: hostsJson, CORP_GITLAB_TOKEN: "glpat-corp" }),
        );
    });
});

describe("the host registry with hosts configured", () => {
    const hosts: HostEntry[] = hostsFrom({
        PROMOTIONS_HOSTS: hostsJson,
        CORP_GITLAB_TOKEN: "glpat-corp",
        GHE_TOKEN: "ghp-ghe",
    });

    it("a self-managed GitLab is GitLab (nested groups, its own API root), never GitHub Enterprise", () => {
        const r = resolveRepository("https://git.example.com/platform/team/deploy.git", { hosts })!;
        assert.strictEqual(r.scmHost.kind, "gitlab");
        assert.strictEqual(r.apiUrl, "https://git.example.com/api/v4");
        assert.deepStrictEqual(r.repo, { owner: "platform/team", name: "deploy" });
    });

    it("public hosts need no entry: gitlab.com, github.com", () => {
        assert.strictEqual(
            resolveRepository("https://gitlab.com/a/b/c.git", { hosts })?.scmHost.kind,
            "gitlab",
        );
        assert.strictEqual(
            resolveRepository("https://github.com/a/b.git", { hosts })?.apiUrl,
            "https://api.github.com",
        );
    });

    it("a host in no entry is unknown once hosts are configured: the error names the repository, the host and the fix", () => {
        assert.strictEqual(resolveRepository("https://code.example.org/a/b.git", { hosts }), undefined);
        assert.throws(
            () => scmFor("https://code.example.org/a/b.git", { hosts }),
            (e: unknown) =>
                e instanceof InvalidInputError &&
                /^Repository "https:\/\/code\.example\.org\/a\/b\.git": unknown code host code\.example\.org: .*add \{"prefix": "https:\/\/code\.example\.org\/", "kind": "<github\|gitlab/.test(
                    e.message,
                ),
        );
        // Without a hosts configuration, as before: GitHub Enterprise.
        assert.strictEqual(resolveRepository("https://code.example.org/a/b.git")?.scmHost.kind, "github");
    });

    it("an entry whose URL its kind cannot read, or whose kind this build lacks, is named with the fix", () => {
        assert.throws(
            () => scmFor("https://git.example.com/only-one-segment.git", { hosts }),
            /not a GitLab repository URL \(https:\/\/host\/group\[\/subgroup\]\/project\(\.git\)\), though the PROMOTIONS_HOSTS entry https:\/\/git\.example\.com\/ says gitlab/,
        );
        const unknownKind = [{ prefix: "https://forge.example.com/", kind: "svn" as never }];
        assert.throws(
            () => scmFor("https://forge.example.com/a/b.git", { hosts: unknownKind }),
            /the PROMOTIONS_HOSTS entry https:\/\/forge\.example\.com\/ names kind svn, which this build's host registry does not have/,
        );
    });

    it("sends each token to its own host only", () => {
        const git = { tokens: { "*": "git-any", "gitlab.com": "git-gitlab-com" } };
        const config = { hosts, token: "legacy-github" };
        const token = (url: string) => tokenFor(resolveRepository(url, config)!, config, git);
        assert.strictEqual(token("https://git.example.com/a/b.git"), "glpat-corp");
        assert.strictEqual(token("https://ghe.example.com/a/b.git"), "ghp-ghe");
        assert.strictEqual(token("https://lab2.example.com/a/b.git"), undefined, "the entry names no token");
        assert.strictEqual(token("https://gitlab.com/a/b.git"), "git-gitlab-com", "its own Git token, not *");
        assert.strictEqual(token("https://github.com/a/b.git"), "legacy-github");
    });

    it("lists one host per kind, each with its webhook and its public hosts", () => {
        for (const h of scmHosts) {
            assert.ok(h.webhook.proofHeader, h.name);
            assert.ok(h.tokenNeeds, h.name);
        }
        assert.strictEqual(new Set(scmHosts.map((h) => h.kind)).size, scmHosts.length);
    });
});
