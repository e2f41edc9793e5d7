import * as assert from "assert";
import * as path from "path";
import type { publicRecord } from "../../../engine/record/releaseRecord";
import { runCli } from "../../support/cli";
import { GitHubServer } from "../../support/githubServer";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const token = "ghp_CLITOKEN0123456789abcdefSECRET";

/**
 * dev → prod on the GitHub stand-in, prod by `policy`, dev at `version`: the CLI's arguments and environment
 * (tokens for the stand-in, a fast pull-request poll).
 */
function devToProd(dir: string, server: GitHubServer, version: string, policy: Record<string, unknown>) {
    const repo = gitopsRepoFor(server.bareDir("acme"), "web", ["dev", "prod"]);
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', `appVersion: "${version}"`));
    const config = writeConfigModule(
        dir,
        scenarioDefinitions({
            product: "web",
            repoURL: server.url("acme", "gitops"),
            environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "prod", dependsOn: ["dev"] }],
                },
            ],
            policies: [{ name: "prod-policy", priority: 1, policy }],
        }),
    );
    const args = ["--config", config, "--state", `file://${path.join(dir, "state")}`];
    const env = {
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
        PROMOTIONS_GITHUB_TOKEN: token,
        PROMOTIONS_GIT_TOKENS: JSON.stringify({ [server.host]: token }),
        PROMOTIONS_PR_POLL_SECONDS: "0.2",
    };
    return { repo, args, env };
}

describe("promote with pull requests (CLI, GitHub stand-in)", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("previews the pull request, auto-merges it by squash, and shows it in the release", async () => {
        const dir = tempDir("cli-pr");
        const server = await GitHubServer.start(path.join(dir, "github"), token);
        try {
            const { repo, args, env } = devToProd(dir, server, "5.0.0", {
                action: "pr",
                pullRequest: { autoMerge: true, mergeMethod: "squash" },
            });

            const preview = await runCli([...args, "preview", "--product", "web", "--flow", "f"], { env });
            assert.strictEqual(preview.code, 0, preview.stderr);
            assert.match(preview.stdout, /prod {2}pr {2}would open a pull request/);
            assert.strictEqual(server.pulls("acme", "gitops").length, 0, "preview opens nothing");

            const run = await runCli([...args, "trigger", "--product", "web", "--flow", "f"], { env });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(
                run.stdout,
                /pull request #1 merged {2}http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\/pull\/1/,
            );
            const pull = server.pulls("acme", "gitops")[0];
            assert.strictEqual(pull.mergedBy, "reviewer");
            assert.match(
                repo.log()[0].subject,
                /^Promote web 5\.0\.0 to prod \(#1\)$/,
                `squashed: ${repo.log()[0].subject}`,
            );

            const shown = await runCli([...args, "releases", "--product", "web", "--json"], { env });
            const [latest] = JSON.parse(shown.stdout) as { id: string }[];
            const one = await runCli([...args, "release", latest.id, "--json"], { env });
            const record = JSON.parse(one.stdout) as ReturnType<typeof publicRecord>;
            const app = record.environments[0].applications[0];
            assert.strictEqual(app.pullRequest?.state, "merged");
            assert.strictEqual(app.pullRequest?.number, 1);
            assert.match(app.pullRequest?.url ?? "", /\/acme\/gitops\/pull\/1$/);
            assert.strictEqual(app.commitSha, repo.tip());
            for (const out of [preview, run, shown, one]) {
                assert.ok(
                    !out.stdout.includes(token) && !out.stderr.includes(token),
                    "no token in any output",
                );
            }
            assert.deepStrictEqual(server.problems, []);
        } finally {
            await server.stop();
        }
    });

    it("--no-wait exits 4 once the pull request is open, saying what to merge; resume finishes it after the merge", async () => {
        const dir = tempDir("cli-pr-no-wait");
        const server = await GitHubServer.start(path.join(dir, "github"), token);
        try {
            const { repo, args, env } = devToProd(dir, server, "6.0.0", { action: "pr" });

            const run = await runCli([...args, "trigger", "--product", "web", "--flow", "f", "--no-wait"], {
                env,
            });
            assert.strictEqual(run.code, 4, run.stderr);
            assert.match(
                run.stderr,
                /waiting: prod: pull request #1 http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\/pull\/1 to be merged/,
            );
            const id = /'promote resume (\S+)' continues it/.exec(run.stderr)?.[1];
            assert.ok(id, run.stderr);
            assert.strictEqual(server.pulls("acme", "gitops")[0].state, "open");

            await server.merge("acme", "gitops", 1);
            const resumed = await runCli([...args, "resume", id], { env });
            assert.strictEqual(resumed.code, 0, resumed.stderr);
            assert.match(resumed.stdout, /pull request #1 merged/);
            assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "6\.0\.0"/);
            assert.strictEqual(server.pulls("acme", "gitops").length, 1);
            assert.deepStrictEqual(server.problems, []);
        } finally {
            await server.stop();
        }
    });

    it("refuses action pr on a repository without a GitHub API, naming the environment, application and fix", async () => {
        const dir = tempDir("cli-pr-file");
        const repo = gitopsRepoFor(dir, "web", ["dev", "prod"]);
        const config = writeConfigModule(
            dir,
            scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }, { name: "prod" }],
                flows: [
                    {
                        name: "f",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "prod", dependsOn: ["dev"] }],
                    },
                ],
                policies: [{ name: "pr", priority: 1, policy: { action: "pr" } }],
            }),
        );
        const res = await runCli(
            [
                "--config",
                config,
                "--state",
                `file://${path.join(dir, "state")}`,
                "trigger",
                "--product",
                "web",
                "--flow",
                "f",
            ],
            {
                env: {
                    PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                    PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
                },
            },
        );
        assert.strictEqual(res.code, 2, res.stderr);
        assert.match(
            res.stderr,
            /environment "prod": action "pr" needs a repository on a code host, but application "web-prod" has repoURL file:\/\/.* \(use https:\/\/host\/owner\/repo, or action "commit" for this environment\)/,
        );
    });
});
