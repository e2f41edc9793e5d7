import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli } from "../../support/cli";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * The seed's gated flow: dev → qa → prod, pre- and post-action workflows on qa and prod, as local commands.
 * Each run appends a line to runs.log and copies its parameters to params/<workflow>-<env>.json; a file
 * fail-<workflow>-<env> makes that run fail (after printing a line the log tail must show).
 */
function gatedSetup(name: string) {
    const dir = tempDir(name);
    const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
    fs.mkdirSync(path.join(dir, "params"));
    const gate = path.join(dir, "gate.sh");
    fs.writeFileSync(
        gate,
        `#!/bin/sh
echo "$1 $ENVIRONMENT $APP_NAME $COMMIT_SHA" >> "${path.join(dir, "runs.log")}"
cp "$PROMOTION_PARAMETERS" "${path.join(dir, "params")}/$1-$ENVIRONMENT.json"
echo "checked=$1" >> "$PROMOTION_OUTPUTS"
if [ -e "${dir}/fail-$1-$ENVIRONMENT" ]; then
  echo "running $1 against $APP_NAME"
  echo "$1: 3 of 12 checks failed in $ENVIRONMENT" >&2
  exit 1
fi
echo "$1 passed"
`,
    );
    fs.chmodSync(gate, 0o755);
    const config = writeConfigModule(
        dir,
        scenarioDefinitions({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "gated",
                    triggerEnvironment: "dev",
                    steps: [
                        {
                            environment: "qa",
                            dependsOn: ["dev"],
                            policy: { preAction: "smoke", postAction: "verify" },
                        },
                        {
                            environment: "prod",
                            dependsOn: ["qa"],
                            policy: { preAction: "smoke", postAction: "verify" },
                        },
                    ],
                },
            ],
            workflows: [
                { name: "smoke", kind: "local", command: [gate, "smoke"], timeout: "1m" },
                { name: "verify", kind: "local", command: [gate, "verify"], timeout: "1m" },
            ],
        }),
    );
    const args = ["--config", config, "--state", `file://${path.join(dir, "state")}`];
    const env = {
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
        // Codefresh's RELEASE_URL, RUNTIME and APP_NAMESPACE (of Applications without one), as configured.
        PROMOTIONS_PUBLIC_URL: "https://promotions.example.com/",
        PROMOTIONS_RUNTIME: "runner-1",
        PROMOTIONS_ARGOCD_NAMESPACE: "gitops",
    };
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "9.0.0"'));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "9.0.0"'));
    const runs = () => fs.readFileSync(path.join(dir, "runs.log"), "utf8").trim().split("\n");
    const fail = (wf: string, env: string) => fs.writeFileSync(path.join(dir, `fail-${wf}-${env}`), "");
    const fix = (wf: string, env: string) => fs.rmSync(path.join(dir, `fail-${wf}-${env}`));
    const params = (wf: string, env: string) =>
        JSON.parse(fs.readFileSync(path.join(dir, "params", `${wf}-${env}.json`), "utf8")) as Record<
            string,
            string
        >;
    return { dir, repo, args, env, runs, fail, fix, params };
}

const json = (stdout: string) => JSON.parse(stdout) as ReleaseRecord;

describe("gates: pre- and post-action workflows", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("pass every parameter, in order, with COMMIT_SHA the pushed commit", async () => {
        const { repo, args, env, runs, params } = gatedSetup("gates-ok");
        const r = await runCli([...args, "trigger", "--product", "web", "--flow", "gated", "--json"], {
            env,
        });
        assert.strictEqual(r.code, 0, r.stderr);
        const record = json(r.stdout);
        const [qa, prod] = record.environments;
        const qaSha = qa.applications[0].commitSha!;
        const prodSha = prod.applications[0].commitSha!;
        assert.deepStrictEqual(runs(), [
            "smoke qa web-qa ",
            `verify qa web-qa ${qaSha}`,
            "smoke prod web-prod ",
            `verify prod web-prod ${prodSha}`,
        ]);
        const post = params("verify", "qa");
        assert.deepStrictEqual(
            { ...post, COMMIT_DATE: "", COMMIT_MESSAGE: "" },
            {
                PRODUCT_NAME: "web",
                RELEASE_ID: record.id,
                RELEASE_URL: `https://promotions.example.com/#/releases/${record.id}`,
                RUNTIME: "runner-1",
                PROMOTION_FLOW_NAME: "gated",
                VERSION: "9.0.0",
                APP_NAME: "web-qa",
                APP_NAMESPACE: "gitops",
                REPO_URL: repo.url,
                BRANCH: "main",
                PATH: "apps/web/qa",
                ENVIRONMENT: "qa",
                COMMIT_SHA: qaSha,
                COMMIT_AUTHOR: "pulumi-promotions <promotions@localhost>",
                COMMIT_DATE: "",
                COMMIT_MESSAGE: "",
                checked: "smoke", // the pre-action's output reaches the post-action
            },
        );
        assert.match(post.COMMIT_MESSAGE, /^promote web 9\.0\.0 to qa/);
        assert.ok(!Number.isNaN(Date.parse(post.COMMIT_DATE)));
        assert.strictEqual(params("smoke", "prod").COMMIT_SHA, undefined, "pre-actions get no commit");
        assert.deepStrictEqual(
            [
                qa.applications[0].preAction?.status,
                qa.applications[0].postAction?.status,
                qa.applications[0].postAction?.workflow,
            ],
            ["Succeeded", "Succeeded", "verify"],
        );
        assert.strictEqual(repo.log()[0].sha, prodSha);
    });

    it("a failing pre-action on prod: qa Succeeded, prod Failed with no commit, release Failed; release shows the log tail", async () => {
        const { repo, args, env, fail } = gatedSetup("gates-pre");
        fail("smoke", "prod");
        const r = await runCli([...args, "trigger", "--product", "web", "--flow", "gated", "--json"], {
            env,
        });
        assert.strictEqual(r.code, 1);
        const record = json(r.stdout);
        assert.strictEqual(record.status, "Failed");
        const [qa, prod] = record.environments;
        assert.deepStrictEqual([qa.status, prod.status], ["Succeeded", "Failed"]);
        assert.strictEqual(prod.applications[0].commitSha, undefined);
        assert.doesNotMatch(repo.read("apps/web/prod/values.yaml"), /9\.0\.0/, "nothing written to prod");
        assert.strictEqual(prod.applications[0].preAction?.status, "Failed");
        assert.match(prod.error ?? "", /workflow "smoke" Failed/);

        const shown = await runCli([...args, "release", record.id], { env });
        assert.match(shown.stdout, /pre-action smoke {2}Failed/);
        assert.match(shown.stdout, /\| smoke: 3 of 12 checks failed in prod/);
    });

    it("a failing post-action on qa: the commit stays, qa Failed, prod Pending; retry runs only qa's post-action, then prod", async () => {
        const { repo, args, env, runs, fail, fix } = gatedSetup("gates-post");
        fail("verify", "qa");
        const r = await runCli([...args, "trigger", "--product", "web", "--flow", "gated", "--json"], {
            env,
        });
        assert.strictEqual(r.code, 1);
        const record = json(r.stdout);
        const [qa, prod] = record.environments;
        assert.deepStrictEqual([record.status, qa.status, prod.status], ["Failed", "Failed", "Pending"]);
        const qaSha = qa.applications[0].commitSha!;
        assert.ok(qaSha, "qa's commit is recorded");
        assert.match(
            repo.read("apps/web/qa/values.yaml"),
            /tag: "9\.0\.0"/,
            "the commit stays (as Codefresh documents)",
        );
        assert.strictEqual(qa.applications[0].postAction?.status, "Failed");

        fix("verify", "qa");
        const before = runs().length;
        const retried = await runCli([...args, "retry", record.id, "--json"], { env });
        assert.strictEqual(retried.code, 0, retried.stderr);
        const done = json(retried.stdout);
        assert.strictEqual(done.id, record.id);
        assert.deepStrictEqual(
            done.environments.map((e) => e.status),
            ["Succeeded", "Succeeded"],
        );
        assert.deepStrictEqual(runs().slice(before), [
            `verify qa web-qa ${qaSha}`,
            "smoke prod web-prod ",
            `verify prod web-prod ${done.environments[1].applications[0].commitSha}`,
        ]);
        assert.strictEqual(done.environments[0].applications[0].commitSha, qaSha);
        assert.strictEqual(
            repo.log().filter((c) => c.subject === "promote web 9.0.0 to qa").length,
            1,
            "qa not committed twice",
        );
    });
});

describe("gates: what a local gate sees of the CLI's environment", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("its parameters, the base variables and passEnv, never our tokens or the passphrase; the record's log is redacted", async () => {
        const dir = tempDir("gates-env");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        const seen = path.join(dir, "seen.env");
        const token = "ghp_never-in-a-gate-1234";
        const config = writeConfigModule(
            dir,
            scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }, { name: "qa" }],
                flows: [
                    {
                        name: "f",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "qa", dependsOn: ["dev"], policy: { preAction: "probe" } }],
                    },
                ],
                workflows: [
                    {
                        name: "probe",
                        kind: "local",
                        // A gate that found the token some other way and prints it: the record must not keep it.
                        command: `env > ${seen}; echo "using ${token}"; exit 1`,
                        passEnv: ["AWS_*", "PROMOTIONS_GIT_TOKEN", "PULUMI_CONFIG_PASSPHRASE"],
                    },
                ],
            }),
        );
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
        const passphrase = "state-passphrase-5678";
        const r = await runCli(
            [
                ...["--config", config, "--state", `file://${path.join(dir, "state")}`],
                ...["trigger", "--product", "web", "--flow", "f", "--json"],
            ],
            {
                env: {
                    PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                    PULUMI_CONFIG_PASSPHRASE: passphrase,
                    PROMOTIONS_GIT_TOKEN: token,
                    PROMOTIONS_ARGOCD_TOKEN: "argocd-token-9012",
                    AWS_REGION: "eu-west-1",
                    UNLISTED: "not-for-gates",
                },
            },
        );
        assert.strictEqual(r.code, 1, r.stderr);
        const env = fs.readFileSync(seen, "utf8");
        assert.match(env, /^AWS_REGION=eu-west-1$/m);
        assert.match(env, /^APP_NAME=web-qa$/m);
        assert.match(env, /^PATH=/m);
        for (const name of [
            "PROMOTIONS_GIT_TOKEN",
            "PULUMI_CONFIG_PASSPHRASE",
            "PROMOTIONS_ARGOCD_TOKEN",
            "UNLISTED",
        ]) {
            assert.doesNotMatch(env, new RegExp(`^${name}=`, "m"), `${name} reached the gate`);
        }
        for (const secret of [token, passphrase, "argocd-token-9012"]) {
            assert.ok(!env.includes(secret), "no secret reached the gate");
        }
        const record = json(r.stdout);
        const pre = record.environments[0].applications[0].preAction;
        assert.strictEqual(pre?.status, "Failed");
        assert.strictEqual(pre?.log, "using ***");
    });
});
