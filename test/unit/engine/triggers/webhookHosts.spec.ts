import * as assert from "assert";
import { createHmac } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { WebhookReceiver } from "../../../../engine/triggers/webhookReceiver";
import { webhookSecretsOf } from "../../../../engine/triggers/webhookSecrets";
import type { BranchMoved, HostKind } from "../../../../provider/scm/scm";

interface Pushed {
    readonly delivery: string;
    readonly moved: readonly BranchMoved[];
    readonly kind: HostKind;
}

const hosts = [
    { prefix: "https://gitlab.example.com/", kind: "gitlab" as const, webhookSecret: "gl-secret" },
    { prefix: "https://other.example.com/", kind: "gitlab" as const, webhookSecret: "other-secret" },
    { prefix: "https://bitbucket.org/", kind: "bitbucket" as const, webhookSecret: "bb-secret" },
    {
        prefix: "https://dev.azure.com/acme/",
        kind: "azure-devops" as const,
        webhookSecret: "hooks:az-secret",
    },
];

async function start() {
    const pushes: Pushed[] = [];
    const log: string[] = [];
    const receiver = new WebhookReceiver({
        secret: "gh-secret",
        secrets: webhookSecretsOf(hosts),
        onPush: (delivery, moved, kind) => pushes.push({ delivery, moved, kind }),
        log: (l) => log.push(l),
    });
    const server = http.createServer(receiver.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const post = async (path: string, headers: Record<string, string>, body: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body,
        });
        return res.status;
    };
    const stop = () =>
        new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
        });
    return { pushes, log, post, stop, receiver };
}

const gitlabPush = (url: string) =>
    JSON.stringify({
        object_kind: "push",
        ref: "refs/heads/main",
        after: "a".repeat(40),
        project: { git_http_url: url },
        commits: [{ message: "SECRET-PAYLOAD" }],
    });

describe("webhooks of every host at /webhooks/<kind>", () => {
    it("GitLab: X-Gitlab-Token checked; the push becomes 'branch moved'", async () => {
        const s = await start();
        try {
            const body = gitlabPush("https://gitlab.example.com/group/sub/deploy.git");
            const headers = (token: string) => ({
                "X-Gitlab-Event": "Push Hook",
                "X-Gitlab-Event-UUID": "gl-1",
                ...(token ? { "X-Gitlab-Token": token } : {}),
            });
            assert.strictEqual(await s.post("/webhooks/gitlab", headers(""), body), 401);
            assert.strictEqual(await s.post("/webhooks/gitlab", headers("wrong"), body), 401);
            assert.strictEqual(await s.post("/webhooks/gitlab", headers("gl-secret"), body), 202);
            assert.deepStrictEqual(s.pushes, [
                {
                    delivery: "gl-1",
                    kind: "gitlab",
                    moved: [
                        {
                            repoURL: "https://gitlab.example.com/group/sub/deploy.git",
                            branch: "main",
                            sha: "a".repeat(40),
                        },
                    ],
                },
            ]);
            assert.deepStrictEqual(s.log, [
                "rejected webhook delivery gl-1 (GitLab): bad or missing X-Gitlab-Token",
                "rejected webhook delivery gl-1 (GitLab): bad or missing X-Gitlab-Token",
            ]);
            assert.ok(!s.log.join("\n").includes("SECRET-PAYLOAD") && !s.log.join("\n").includes("wrong"));
        } finally {
            await s.stop();
        }
    });

    it("a host's secret admits its own repositories only: another host's push is refused (403), nothing starts", async () => {
        const s = await start();
        try {
            const body = gitlabPush("https://other.example.com/team/deploy.git");
            const status = await s.post(
                "/webhooks/gitlab",
                { "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl-secret" },
                body,
            );
            assert.strictEqual(status, 403);
            assert.deepStrictEqual(s.pushes, []);
            assert.match(
                s.log[0],
                /push of https:\/\/other\.example\.com\/team\/deploy\.git, which is not under the prefix of the host whose secret signed it/,
            );
            // Its own secret admits it.
            assert.strictEqual(
                await s.post(
                    "/webhooks/gitlab",
                    { "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "other-secret" },
                    body,
                ),
                202,
            );
        } finally {
            await s.stop();
        }
    });

    it("Bitbucket Cloud: X-Hub-Signature HMAC-SHA256; ping answered; changes become 'branch moved'", async () => {
        const s = await start();
        try {
            const body = JSON.stringify({
                repository: { links: { html: { href: "https://bitbucket.org/acme/gitops" } } },
                push: {
                    changes: [{ new: { type: "branch", name: "main", target: { hash: "b".repeat(40) } } }],
                },
            });
            const sign = (secret: string) =>
                `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
            const headers = (event: string, secret: string) => ({
                "X-Event-Key": event,
                "X-Request-UUID": "bb-1",
                "X-Hub-Signature": sign(secret),
            });
            assert.strictEqual(await s.post("/webhooks/bitbucket", headers("repo:push", "wrong"), body), 401);
            assert.strictEqual(
                await s.post("/webhooks/bitbucket", headers("diagnostics:ping", "bb-secret"), body),
                200,
            );
            assert.strictEqual(
                await s.post("/webhooks/bitbucket", headers("repo:push", "bb-secret"), body),
                202,
            );
            assert.deepStrictEqual(s.pushes[0].moved, [
                { repoURL: "https://bitbucket.org/acme/gitops", branch: "main", sha: "b".repeat(40) },
            ]);
        } finally {
            await s.stop();
        }
    });

    it("Azure DevOps: the service hook's basic authentication checked; git.push becomes 'branch moved'", async () => {
        const s = await start();
        try {
            const body = JSON.stringify({
                eventType: "git.push",
                resource: {
                    refUpdates: [{ name: "refs/heads/main", newObjectId: "c".repeat(40) }],
                    repository: { remoteUrl: "https://dev.azure.com/acme/platform/_git/gitops" },
                },
            });
            const basic = (cred: string) => ({
                Authorization: `Basic ${Buffer.from(cred).toString("base64")}`,
            });
            assert.strictEqual(await s.post("/webhooks/azure-devops", basic("hooks:wrong"), body), 401);
            assert.strictEqual(await s.post("/webhooks/azure-devops", basic("other:az-secret"), body), 401);
            assert.strictEqual(await s.post("/webhooks/azure-devops", basic("hooks:az-secret"), body), 202);
            assert.deepStrictEqual(s.pushes[0], {
                delivery: "?",
                kind: "azure-devops",
                moved: [
                    {
                        repoURL: "https://dev.azure.com/acme/platform/_git/gitops",
                        branch: "main",
                        sha: "c".repeat(40),
                    },
                ],
            });
        } finally {
            await s.stop();
        }
    });

    it("a kind without a secret, or unknown, answers 404; GitHub keeps /webhooks/github", async () => {
        const s = await start();
        try {
            assert.strictEqual(await s.post("/webhooks/gitea", {}, "{}"), 404);
            assert.strictEqual(await s.post("/webhooks/svn", {}, "{}"), 404);
            const body = JSON.stringify({
                ref: "refs/heads/main",
                after: "d".repeat(40),
                repository: { clone_url: "https://github.com/a/b.git" },
            });
            const sig = `sha256=${createHmac("sha256", "gh-secret").update(body).digest("hex")}`;
            assert.strictEqual(
                await s.post(
                    "/webhooks/github",
                    { "X-GitHub-Event": "push", "X-GitHub-Delivery": "g-1", "X-Hub-Signature-256": sig },
                    body,
                ),
                202,
            );
            assert.deepStrictEqual(s.pushes[0], {
                delivery: "g-1",
                kind: "github",
                moved: [{ repoURL: "https://github.com/a/b.git", branch: "main", sha: "d".repeat(40) }],
            });
            assert.deepStrictEqual(s.receiver.kinds.sort(), [
                "azure-devops",
                "bitbucket",
                "github",
                "gitlab",
            ]);
        } finally {
            await s.stop();
        }
    });
});
