import * as assert from "assert";
import * as path from "path";
import type { publicRecord } from "../../../engine/record/releaseRecord";
import { runCli, startCli } from "../../support/cli";
import { GiteaServer } from "../../support/gitea";
import type { GiteaRepo } from "../../support/gitea";
import { helmApp } from "../../support/gitops";
import type { ScenarioOptions } from "../../support/scenario";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

type PublicRecord = ReturnType<typeof publicRecord>;

/** `apps/web/<env>/{Chart.yaml,values.yaml}` at 1.0.0 for each environment, in a new Gitea repository. */
async function gitopsOnGitea(gitea: GiteaServer, envs: readonly string[]): Promise<GiteaRepo> {
    const files: Record<string, string> = {};
    for (const env of envs) {
        for (const [file, content] of Object.entries(helmApp("web", env))) {
            files[`apps/web/${env}/${file}`] = content;
        }
    }
    return gitea.createRepo("gitops", files);
}

/** A developer ships `version` to dev (the trigger environment). */
function ship(repo: GiteaRepo, version: string): string {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]+"/, `tag: "${version}"`));
    return repo.edit("apps/web/dev/Chart.yaml", (t) =>
        t.replace(/appVersion: "[^"]+"/, `appVersion: "${version}"`),
    );
}

/** The CLI's arguments and environment for a definitions module, talking to `gitea` as `apiToken`'s user. */
function cliFor(
    dir: string,
    gitea: GiteaServer,
    defs: ScenarioOptions,
    apiToken = gitea.token,
): { args: string[]; env: NodeJS.ProcessEnv } {
    const config = writeConfigModule(dir, scenarioDefinitions(defs));
    return {
        args: ["--config", config, "--state", `file://${path.join(dir, "state")}`],
        env: {
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
            // The hosts configuration says this prefix is a Gitea (nothing in the URL does).
            PROMOTIONS_HOSTS: JSON.stringify([
                { prefix: `${gitea.url}/`, kind: "gitea", tokenEnv: "GITEA_TOKEN" },
            ]),
            GITEA_TOKEN: apiToken,
            PROMOTIONS_GIT_TOKENS: JSON.stringify({ [gitea.host]: gitea.token }),
            PROMOTIONS_PR_POLL_SECONDS: "0.2",
            // The release's status on its source commit (promotions/<product>), on Gitea.
            PROMOTIONS_COMMIT_STATUS: "true",
        },
    };
}

async function latestRelease(cli: { args: string[]; env: NodeJS.ProcessEnv }): Promise<PublicRecord> {
    const list = await runCli([...cli.args, "releases", "--product", "web", "--json"], { env: cli.env });
    assert.strictEqual(list.code, 0, list.stderr);
    const [latest] = JSON.parse(list.stdout) as { id: string }[];
    const one = await runCli([...cli.args, "release", latest.id, "--json"], { env: cli.env });
    assert.strictEqual(one.code, 0, one.stderr);
    return JSON.parse(one.stdout) as PublicRecord;
}

const threeStages = {
    environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" as const }],
    flows: [
        {
            name: "f",
            triggerEnvironment: "dev",
            steps: [
                { environment: "qa", dependsOn: ["dev"] },
                { environment: "prod", dependsOn: ["qa"] },
            ],
        },
    ],
};

describe("pull-request promotions on a real Gitea", function () {
    this.timeout(600_000);
    let gitea: GiteaServer;

    beforeEach(async () => {
        gitea = await GiteaServer.start();
    });
    afterEach(async () => {
        await gitea?.stop();
    });
    after(removeTempDirs);

    it("opens a pull request per environment: one a person merges, one the engine auto-merges by squash", async () => {
        const dir = tempDir("gitea-pr");
        const repo = await gitopsOnGitea(gitea, ["dev", "qa", "prod"]);
        const reviewer = await gitea.createUser("reviewer", ["write:repository"]);
        await gitea.addCollaborator(gitea.admin, "gitops", "reviewer");
        const source = ship(repo, "5.0.0");
        const cli = cliFor(dir, gitea, {
            product: "web",
            repoURL: repo.url,
            ...threeStages,
            policies: [
                {
                    name: "qa-by-hand",
                    priority: 1,
                    selector: { targetEnvironment: { names: ["qa"] } },
                    policy: { action: "pr" },
                },
                {
                    name: "prod-auto",
                    priority: 2,
                    selector: { targetEnvironment: { names: ["prod"] } },
                    policy: { action: "pr", pullRequest: { autoMerge: true, mergeMethod: "squash" } },
                },
            ],
        });

        const preview = await runCli([...cli.args, "preview", "--product", "web", "--flow", "f"], {
            env: cli.env,
        });
        assert.strictEqual(preview.code, 0, preview.stderr);
        assert.match(preview.stdout, /qa {2}pr {2}would open a pull request/);
        assert.deepStrictEqual(await gitea.pulls(gitea.admin, "gitops"), [], "preview opens nothing");

        const run = startCli([...cli.args, "trigger", "--product", "web", "--flow", "f"], { env: cli.env });
        try {
            // qa's pull request waits for a person: the reviewer merges it on Gitea.
            const qaPull = await gitea.until("qa's pull request", async () =>
                (await gitea.pulls(gitea.admin, "gitops")).find((p) =>
                    p.head.ref.startsWith("promotions/web/qa/"),
                ),
            );
            assert.strictEqual(qaPull.state, "open");
            assert.strictEqual(qaPull.base.ref, "main");
            assert.match(qaPull.title, /^Promote web 5\.0\.0 to qa$/);
            assert.match(
                qaPull.body,
                /\| web-qa \| values\.yaml \| `\$\.image\.tag` \| `"1\.0\.0"` \| `"5\.0\.0"` \|/,
            );
            await gitea.api(
                "POST",
                `/repos/${gitea.admin}/gitops/pulls/${qaPull.number}/merge`,
                { Do: "merge" },
                { token: reviewer },
            );
            const done = await run.done;
            assert.strictEqual(done.code, 0, done.stdout + done.stderr);
            assert.match(
                done.stdout,
                /pull request #\d+ merged {2}http:\/\/127\.0\.0\.1:\d+\/promo-admin\/gitops\/pulls\/\d+/,
            );
        } finally {
            run.killGroup();
        }

        const pulls = await gitea.pulls(gitea.admin, "gitops");
        assert.strictEqual(pulls.length, 2, JSON.stringify(pulls.map((p) => p.head.ref)));
        const [qa, prod] = pulls;
        assert.ok(qa.merged && prod.merged, "both merged");
        assert.strictEqual(qa.merged_by?.login, "reviewer");
        assert.strictEqual(prod.merged_by?.login, gitea.admin, "the engine merged prod's");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "5\.0\.0"/);
        assert.match(repo.read("apps/web/qa/Chart.yaml"), /appVersion: "5\.0\.0"/);
        assert.match(
            repo.read("apps/web/prod/values.yaml"),
            /host: prod\.example\.com/,
            "environment values stay",
        );
        // Squash: prod's change is one commit on main (Gitea's squash title ends with the pull request's number).
        assert.match(
            repo.log()[0].subject,
            new RegExp(`^Promote web 5\\.0\\.0 to prod \\(#${prod.number}\\)$`),
        );
        assert.strictEqual(repo.log()[0].sha, prod.merge_commit_sha);

        const record = await latestRelease(cli);
        assert.strictEqual(record.status, "Succeeded");
        for (const [env, pull] of [
            ["qa", qa],
            ["prod", prod],
        ] as const) {
            const app = record.environments.find((e) => e.name === env)!.applications[0];
            assert.strictEqual(app.pullRequest?.state, "merged", env);
            assert.strictEqual(app.pullRequest?.number, pull.number, env);
            assert.strictEqual(app.pullRequest?.url, pull.html_url, env);
            assert.strictEqual(
                app.commitSha,
                pull.merge_commit_sha,
                `${env}: the merge commit is the environment's`,
            );
        }
        // The release's status on the source commit, on Gitea.
        const statuses = await gitea.statuses(gitea.admin, "gitops", source);
        const ours = statuses.find((s) => s.context === "promotions/web");
        assert.strictEqual(ours?.state, "success", JSON.stringify(statuses));
        assert.match(ours?.description ?? "", new RegExp(`release ${record.id} Succeeded`));
    });

    it("waits for the status check branch protection requires, written by an outside CI, before it merges", async () => {
        const dir = tempDir("gitea-checks");
        const repo = await gitopsOnGitea(gitea, ["dev", "prod"]);
        // Only pull requests reach main (the admin pushes the developer's change), and they need ci/test.
        await gitea.protectBranch(gitea.admin, "gitops", "main", {
            requiredChecks: ["ci/test"],
            pushers: [gitea.admin],
        });
        const ci = await gitea.createUser("ci-bot", ["write:repository"]);
        await gitea.addCollaborator(gitea.admin, "gitops", "ci-bot");
        ship(repo, "6.0.0");
        const cli = cliFor(dir, gitea, {
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "prod", dependsOn: ["dev"] }],
                },
            ],
            policies: [
                { name: "auto", priority: 1, policy: { action: "pr", pullRequest: { autoMerge: true } } },
            ],
        });
        const run = startCli([...cli.args, "trigger", "--product", "web", "--flow", "f"], { env: cli.env });
        try {
            const pull = await gitea.until(
                "the pull request",
                async () => (await gitea.pulls(gitea.admin, "gitops"))[0],
            );
            // The engine asks to merge, and Gitea refuses: the required check has not run. The release's live
            // progress says so, naming the host, the repository and what it waits for.
            await run.waitFor(
                new RegExp(
                    `prod Suspended waiting for pull request \\(Gitea refused to merge pull request #${pull.number} of promo-admin/gitops on ${gitea.host.replace(/\./g, "\\.")}: Not all required status checks successful \\(waiting for the required status checks of the branch protection to succeed on the pull request's head\\)\\)`,
                ),
                120_000,
            );
            assert.match(
                gitea.logTail(),
                /POST \/api\/v1\/repos\/promo-admin\/gitops\/pulls\/\d+\/merge.*405/,
            );
            assert.strictEqual((await gitea.pulls(gitea.admin, "gitops"))[0].merged, false);
            const waiting = await latestRelease(cli);
            const prod = waiting.environments.find((e) => e.name === "prod")!;
            assert.strictEqual(prod.status, "Suspended");
            assert.strictEqual(prod.waitKind, "pullRequest");
            assert.strictEqual(prod.applications[0].pullRequest?.state, "open");

            // The CI: pending first (still refused), then success on the pull request's head.
            await gitea.setStatus(
                gitea.admin,
                "gitops",
                pull.head.sha,
                { state: "pending", context: "ci/test" },
                ci,
            );
            await gitea.setStatus(
                gitea.admin,
                "gitops",
                pull.head.sha,
                { state: "success", context: "ci/test" },
                ci,
            );
            const done = await run.done;
            assert.strictEqual(done.code, 0, done.stdout + done.stderr);
        } finally {
            run.killGroup();
        }
        const [merged] = await gitea.pulls(gitea.admin, "gitops");
        assert.ok(merged.merged);
        assert.strictEqual(merged.merged_by?.login, gitea.admin);
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "6\.0\.0"/);
        const record = await latestRelease(cli);
        assert.strictEqual(record.status, "Succeeded");
        const app = record.environments.find((e) => e.name === "prod")!.applications[0];
        assert.strictEqual(app.commitSha, merged.merge_commit_sha);
        assert.strictEqual(app.pullRequest?.mergeRefused, undefined, "no refusal once merged");
    });

    it("a pull request a person closes without merge fails the environment, and the release says so", async () => {
        const dir = tempDir("gitea-closed");
        const repo = await gitopsOnGitea(gitea, ["dev", "prod"]);
        const person = await gitea.createUser("release-manager", ["write:repository"]);
        await gitea.addCollaborator(gitea.admin, "gitops", "release-manager");
        ship(repo, "7.0.0");
        const before = repo.tip();
        const cli = cliFor(dir, gitea, {
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "prod", dependsOn: ["dev"] }],
                },
            ],
            policies: [{ name: "pr", priority: 1, policy: { action: "pr" } }],
        });
        const run = startCli([...cli.args, "trigger", "--product", "web", "--flow", "f"], { env: cli.env });
        let done;
        try {
            const pull = await gitea.until(
                "the pull request",
                async () => (await gitea.pulls(gitea.admin, "gitops"))[0],
            );
            await gitea.closePull(gitea.admin, "gitops", pull.number, person);
            done = await run.done;
        } finally {
            run.killGroup();
        }
        assert.strictEqual(done.code, 1, done.stdout + done.stderr);
        const [closed] = await gitea.pulls(gitea.admin, "gitops");
        assert.strictEqual(closed.state, "closed");
        assert.strictEqual(closed.merged, false);
        assert.strictEqual(repo.tip(), before, "nothing reached main");
        const record = await latestRelease(cli);
        assert.strictEqual(record.status, "Failed");
        const prod = record.environments.find((e) => e.name === "prod")!;
        assert.strictEqual(prod.status, "Failed");
        assert.match(
            JSON.stringify(prod),
            new RegExp(
                `pull request #${closed.number} closed without merge \\(${closed.html_url.replace(/[.]/g, "\\.")}\\)`,
            ),
        );
        assert.strictEqual(prod.applications[0].pullRequest?.state, "closed");
    });

    it("a token without the repository scope: a clear error naming Gitea, the repository and the scope to add", async () => {
        const dir = tempDir("gitea-scope");
        const repo = await gitopsOnGitea(gitea, ["dev", "prod"]);
        ship(repo, "8.0.0");
        const readOnly = await gitea.adminToken(["read:repository"]);
        const cli = cliFor(
            dir,
            gitea,
            {
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
                flows: [
                    {
                        name: "f",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "prod", dependsOn: ["dev"] }],
                    },
                ],
                policies: [{ name: "pr", priority: 1, policy: { action: "pr" } }],
            },
            readOnly,
        );
        const run = await runCli([...cli.args, "trigger", "--product", "web", "--flow", "f"], {
            env: cli.env,
        });
        assert.notStrictEqual(run.code, 0, run.stdout);
        const out = run.stdout + run.stderr;
        assert.match(
            out,
            /Gitea open a pull request in promo-admin\/gitops on 127\.0\.0\.1:\d+: 403 [^\n]*write:repository[^\n]*\(the token needs the write:repository scope/,
        );
        assert.ok(!out.includes(readOnly) && !out.includes(gitea.token), "no token in the output");
        assert.deepStrictEqual(await gitea.pulls(gitea.admin, "gitops"), [], "nothing opened");
    });
    it("promote doctor checks a Gitea entry's token against the instance: who it is, or the scope to add", async () => {
        const dir = tempDir("gitea-doctor");
        const userOnly = await gitea.adminToken(["read:user"]);
        const prefix = `${gitea.url}/`;
        const doctor = (token: string) =>
            runCli(["--state", `file://${path.join(dir, "state")}`, "doctor"], {
                cwd: dir,
                env: {
                    PROMOTIONS_HOSTS: JSON.stringify([{ prefix, kind: "gitea", tokenEnv: "GITEA_TOKEN" }]),
                    GITEA_TOKEN: token,
                },
            });
        const line = (out: string) => out.split("\n").find((l) => l.includes(`host ${prefix}`)) ?? "";
        const good = await doctor(gitea.token);
        assert.match(
            line(good.stdout),
            /^ok +host http:\/\/127\.0\.0\.1:\d+\/ +Gitea at http:\/\/127\.0\.0\.1:\d+\/api\/v1: token of promo-admin/,
            good.stdout,
        );
        const bad = await doctor(userOnly);
        assert.strictEqual(bad.code, 3, bad.stdout + bad.stderr);
        assert.match(
            line(bad.stdout),
            /^FAIL host .*Gitea at .*: GET \/repos\/search: 403 token does not have/,
        );
        assert.match(bad.stdout + bad.stderr, /write:repository/);
        for (const out of [good, bad]) {
            assert.ok(
                !(out.stdout + out.stderr).includes(gitea.token) &&
                    !(out.stdout + out.stderr).includes(userOnly),
            );
        }
    });
});
