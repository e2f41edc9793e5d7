import * as assert from "assert";
import * as path from "path";
import { createHmac } from "crypto";
import { AzureDevOpsServer } from "../../support/azureDevOpsServer";
import { BitbucketServer } from "../../support/bitbucketServer";
import { runCli, startCli } from "../../support/cli";
import { GitLabServer } from "../../support/gitlabServer";
import type { HostStandIn } from "../../support/hostStandIn";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const token = "host-token-0123456789-SECRET";
const hookSecret = "host-webhook-secret-SECRET";

/** What the end-to-end cases need from each host's stand-in. */
interface HostCase<S extends HostStandIn> {
    readonly kind: string;
    start(root: string): Promise<S>;
    /** The owner path the repository lives under, and its clone URL. */
    readonly owner: string;
    repoURL(s: S): string;
    /** The hosts entry (PROMOTIONS_HOSTS) for this server. */
    entry(s: S): Record<string, unknown>;
    /** The pull requests opened, oldest first. */
    pulls(s: S): { readonly state: string; readonly sha: string }[];
    /** As the CI: sets a status on a commit. */
    setStatus(s: S, sha: string, name: string): void;
    /** The state of the status `name` on a commit, in the host's words. */
    status(s: S, sha: string, name: string): string | undefined;
    /** A push delivery as the host sends it, proved with `secret`. */
    push(
        s: S,
        branch: string,
        before: string,
        after: string,
        secret: string,
    ): {
        headers: Record<string, string>;
        body: string;
    };
    /** The state the host reports for a success status. */
    readonly success: string;
}

const gitlab: HostCase<GitLabServer> = {
    kind: "gitlab",
    start: (root) => GitLabServer.start(root, token),
    owner: "acme/platform",
    repoURL: (s) => s.url("acme/platform", "gitops"),
    entry: (s) => ({
        prefix: s.prefix,
        kind: "gitlab",
        apiUrl: s.apiUrl,
        tokenEnv: "HOST_TOKEN",
        webhookSecretEnv: "HOST_HOOK",
    }),
    pulls: (s) => s.mergeRequests,
    setStatus: (s, sha, name) => s.setStatus("acme/platform/gitops", sha, name, "success"),
    status: (s, sha, name) => s.statuses.get(`acme/platform/gitops@${sha}`)?.get(name),
    push: (s, branch, before, after, secret) => ({
        headers: { "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret, "X-Gitlab-Event-UUID": "gl-1" },
        body: JSON.stringify(s.pushPayload("acme/platform", "gitops", branch, before, after)),
    }),
    success: "success",
};

const bitbucket: HostCase<BitbucketServer> = {
    kind: "bitbucket",
    start: (root) => BitbucketServer.start(root, token),
    owner: "acme",
    repoURL: (s) => s.url("acme", "gitops"),
    entry: (s) => ({
        prefix: s.prefix,
        kind: "bitbucket",
        apiUrl: s.apiUrl,
        tokenEnv: "HOST_TOKEN",
        webhookSecretEnv: "HOST_HOOK",
    }),
    pulls: (s) => s.pulls,
    setStatus: (s, sha, name) => s.setStatus("acme/gitops", sha, name, "SUCCESSFUL"),
    status: (s, sha, name) => s.statuses.get(`acme/gitops@${sha}`)?.get(name),
    push: (s, branch, before, after, secret) => {
        const body = JSON.stringify(s.pushPayload("acme", "gitops", branch, before, after));
        return {
            headers: {
                "X-Event-Key": "repo:push",
                "X-Request-UUID": "bb-1",
                "X-Hub-Signature": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
            },
            body,
        };
    },
    success: "SUCCESSFUL",
};

const azure: HostCase<AzureDevOpsServer> = {
    kind: "azure-devops",
    start: (root) => AzureDevOpsServer.start(root, token),
    owner: "acme/platform/_git",
    repoURL: (s) => s.url("acme", "platform", "gitops"),
    entry: (s) => ({
        prefix: s.prefix,
        kind: "azure-devops",
        apiUrl: s.apiUrl,
        tokenEnv: "HOST_TOKEN",
        webhookSecretEnv: "HOST_HOOK",
    }),
    pulls: (s) => s.pullRequests.map((p) => ({ state: p.status, sha: p.sha })),
    // Azure DevOps' status-check policy reads statuses posted on the pull request.
    setStatus: (s, sha, name) =>
        s.setPullRequestStatus(s.pullRequests.find((p) => p.sha === sha)!.id, name, "succeeded"),
    status: (s, sha, name) => s.statuses.get(`acme/platform/gitops@${sha}`)?.get(name),
    push: (s, branch, before, after, secret) => ({
        headers: { Authorization: `Basic ${Buffer.from(`hooks:${secret}`).toString("base64")}` },
        body: JSON.stringify(s.pushPayload("acme", "platform", "gitops", branch, before, after)),
    }),
    success: "succeeded",
};

function scenario<S extends HostStandIn>(
    host: HostCase<S>,
    server: S,
    dir: string,
    policy: Record<string, unknown>,
) {
    const repo = gitopsRepoFor(server.bareDir(host.owner), "web", ["dev", "prod"]);
    const config = writeConfigModule(
        dir,
        scenarioDefinitions({
            product: "web",
            repoURL: host.repoURL(server),
            environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "prod", dependsOn: ["dev"] }],
                },
            ],
            policies: [{ name: "p", priority: 1, policy }],
        }),
    );
    const args = ["--config", config, "--state", `file://${path.join(dir, "state")}`];
    const env = {
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
        PROMOTIONS_HOSTS: JSON.stringify([host.entry(server)]),
        HOST_TOKEN: token,
        HOST_HOOK: hookSecret,
        PROMOTIONS_GIT_TOKENS: JSON.stringify({ [server.host]: token }),
        PROMOTIONS_PR_POLL_SECONDS: "0.2",
        PROMOTIONS_COMMIT_STATUS: "1",
    };
    return { repo, args, env };
}

async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; !check(); i++) {
        if (i > 1200) {
            throw new Error(`gave up waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

for (const host of [gitlab, bitbucket, azure] as HostCase<HostStandIn>[]) {
    describe(`promotions on ${host.kind} (CLI, the ${host.kind} stand-in)`, function () {
        this.timeout(300_000);
        after(removeTempDirs);

        it("a pull request per environment, merged once the required check an outside CI sets passes; the release's status on the source commit", async () => {
            const dir = tempDir(`${host.kind}-pr`);
            const server = await host.start(path.join(dir, "host"));
            try {
                server.requiredChecks.set("main", ["ci/build"]);
                const { repo, args, env } = scenario(host, server, dir, {
                    action: "pr",
                    pullRequest: { autoMerge: true, mergeMethod: "squash" },
                });
                repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "5.0.0"'));
                const source = repo.tip();
                const run = startCli([...args, "trigger", "--product", "web", "--flow", "f"], { env });
                await until("the pull request", () => host.pulls(server).length > 0);
                // The engine waits: nothing merged before the CI says so.
                assert.strictEqual(host.pulls(server)[0].state.match(/merged|MERGED|completed/), null);
                host.setStatus(server, host.pulls(server)[0].sha, "ci/build");
                const done = await run.done;
                assert.strictEqual(done.code, 0, done.stderr);
                assert.match(done.stdout, /pull request #1 merged/);
                assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "5\.0\.0"/);
                assert.strictEqual(host.status(server, source, "promotions/web"), host.success);
                assert.deepStrictEqual(
                    server.problems,
                    [],
                    "every request conforms to the vendor's description",
                );
                assert.ok(server.calls.length > 0 && server.calls.every((c) => c.authorized));
            } finally {
                await server.stop();
            }
        });

        it("a push webhook starts a flow; a wrong secret is refused (401) and starts nothing", async () => {
            const dir = tempDir(`${host.kind}-hook`);
            const server = await host.start(path.join(dir, "host"));
            const { repo, args, env } = scenario(host, server, dir, { action: "commit" });
            const serve = startCli([...args, "serve", "--port", "0"], { env });
            try {
                await serve.waitFor(/listening on (http:\S+)/);
                const url = `${/listening on (http:\S+)/.exec(serve.output())![1]}/webhooks/${host.kind}`;
                await serve.waitFor(/web-dev: watching main from/);
                const before = repo.tip();
                const after = repo.edit(
                    "apps/web/dev/values.yaml",
                    (t) => t.replace('tag: "1.0.0"', 'tag: "6.0.0"'),
                    "deploy 6",
                );
                const forged = host.push(server, "main", before, after, "wrong-secret");
                const refused = await fetch(url, {
                    method: "POST",
                    headers: { "content-type": "application/json", ...forged.headers },
                    body: forged.body,
                });
                assert.strictEqual(refused.status, 401);
                await serve.waitFor(/rejected webhook delivery .*: bad or missing/);
                assert.doesNotMatch(serve.output(), /deploy 6/);
                const good = host.push(server, "main", before, after, hookSecret);
                const accepted = await fetch(url, {
                    method: "POST",
                    headers: { "content-type": "application/json", ...good.headers },
                    body: good.body,
                });
                assert.strictEqual(accepted.status, 202);
                await serve.waitFor(
                    new RegExp(`${after.slice(0, 12)} "deploy 6" → flow f: release r\\S+ Succeeded`),
                );
                assert.ok(!serve.output().includes(hookSecret) && !serve.output().includes(token));
            } finally {
                serve.child.kill("SIGTERM");
                await serve.done;
                await server.stop();
            }
        });
    });
}

describe("hosts configuration: bad input (CLI)", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    it("an unknown host with hosts configured is refused naming the repository, the host and the fix; nothing is sent anywhere", async () => {
        const dir = tempDir("unknown-host");
        const server = await GitLabServer.start(path.join(dir, "host"), token);
        try {
            const { repo, args, env } = scenario(gitlab, server, dir, { action: "pr" });
            repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "7.0.0"'));
            const elsewhere = JSON.stringify([
                { prefix: "https://gitlab.example.com/", kind: "gitlab", tokenEnv: "HOST_TOKEN" },
            ]);
            const run = await runCli([...args, "trigger", "--product", "web", "--flow", "f"], {
                env: { ...env, PROMOTIONS_HOSTS: elsewhere },
            });
            assert.notStrictEqual(run.code, 0);
            assert.match(
                run.stdout + run.stderr,
                /unknown code host 127\.0\.0\.1:\d+: it is not under a prefix of PROMOTIONS_HOSTS \(https:\/\/gitlab\.example\.com\/\).*add \{"prefix": "https:\/\/127\.0\.0\.1:\d+\/"/,
            );
            assert.strictEqual(server.calls.length, 0, "no API call reached any host");
            assert.ok(!(run.stdout + run.stderr).includes(token));
        } finally {
            await server.stop();
        }
    });

    it("a token without the needed scope: the release fails naming the host, the repository and the fix; nothing is written", async () => {
        const dir = tempDir("scope");
        const server = await GitLabServer.start(path.join(dir, "host"), token);
        try {
            server.scopes = ["read_api"];
            const { repo, args, env } = scenario(gitlab, server, dir, { action: "pr" });
            repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "9.0.0"'));
            const before = repo.tip();
            const run = await runCli([...args, "trigger", "--product", "web", "--flow", "f"], { env });
            assert.strictEqual(run.code, 1, run.stderr);
            assert.match(
                run.stdout + run.stderr,
                /GitLab open a merge request in acme\/platform\/gitops: 403 insufficient_scope.*\(the token lacks the api scope/,
            );
            assert.strictEqual(server.mergeRequests.length, 0, "no merge request");
            assert.strictEqual(repo.tip(), before, "main unmoved");
            assert.ok(!(run.stdout + run.stderr).includes(token));
        } finally {
            await server.stop();
        }
    });

    it("a merge the branch protection refuses: the environment waits, nothing lands, and goes on once a person merges", async () => {
        const dir = tempDir("protected");
        const server = await GitLabServer.start(path.join(dir, "host"), token);
        try {
            server.protectedBranches.add("main");
            const { repo, args, env } = scenario(gitlab, server, dir, {
                action: "pr",
                pullRequest: { autoMerge: true },
            });
            repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "8.0.0"'));
            const before = repo.tip();
            const run = startCli([...args, "trigger", "--product", "web", "--flow", "f"], { env });
            const merges = () =>
                server.calls.filter(
                    (c) => c.operationId === "putApiV4ProjectsIdMergeRequestsMergeRequestIidMerge",
                );
            // Asked to merge, refused (401: the token's user may not merge into main), asked again later.
            await until("two refused merges", () => merges().filter((c) => c.status === 401).length >= 2);
            await run.waitFor(/prod Suspended waiting for pull request/);
            assert.strictEqual(server.mergeRequests[0].state, "opened");
            assert.strictEqual(repo.tip(), before, "nothing landed on main");
            server.mergeAsPerson("acme/platform/gitops", 1);
            const done = await run.done;
            assert.strictEqual(done.code, 0, done.stderr);
            assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "8\.0\.0"/);
            assert.strictEqual(server.mergeRequests[0].mergedBy, "reviewer");
            assert.deepStrictEqual(server.problems, []);
        } finally {
            await server.stop();
        }
    });

    it("doctor checks each configured host's token: a missing scope and an unset variable are findings naming the host and the fix", async () => {
        const dir = tempDir("doctor-hosts");
        const gl = await GitLabServer.start(path.join(dir, "gl"), token);
        const bb = await BitbucketServer.start(path.join(dir, "bb"), token);
        try {
            gl.scopes = ["read_api"];
            const hosts = [
                { prefix: gl.prefix, kind: "gitlab", apiUrl: gl.apiUrl, tokenEnv: "GL_TOKEN" },
                { prefix: bb.prefix, kind: "bitbucket", apiUrl: bb.apiUrl, tokenEnv: "BB_TOKEN" },
                { prefix: "https://dev.azure.com/acme/", kind: "azure-devops", tokenEnv: "AZ_TOKEN" },
            ];
            const r = await runCli(["--state", `file://${path.join(dir, "state")}`, "doctor"], {
                cwd: dir,
                env: {
                    PROMOTIONS_HOSTS: JSON.stringify(hosts),
                    GL_TOKEN: token,
                    BB_TOKEN: token,
                    AZ_TOKEN: "",
                },
            });
            assert.strictEqual(r.code, 3, r.stdout + r.stderr);
            const line = (prefix: string) =>
                r.stdout.split("\n").find((l) => l.includes(`host ${prefix}`)) ?? "";
            assert.match(
                line(gl.prefix),
                /^FAIL host http:\/\/127\.0\.0\.1:\d+\/ +GitLab at http:\/\/127\.0\.0\.1:\d+\/api\/v4: token "promotions" lacks the api scope \(has read_api\)/,
            );
            assert.match(r.stdout, /fix: create a token with the api scope .*\(GL_TOKEN\)/);
            assert.match(
                line(bb.prefix),
                /^ok +host .*Bitbucket at .*: token of promotions, scopes pullrequest:write, repository:write/,
            );
            assert.match(
                line("https://dev.azure.com/acme/"),
                /^FAIL .*Azure DevOps at https:\/\/dev\.azure\.com: no token \(AZ_TOKEN is not set\)/,
            );
            assert.match(r.stderr, /host https:\/\/dev\.azure\.com\/acme\//);
            assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
            assert.ok(
                gl.calls.every((c) => c.path === "/api/v4/personal_access_tokens/self"),
                "one cheap call, to its own host",
            );
        } finally {
            await gl.stop();
            await bb.stop();
        }
    });
});
