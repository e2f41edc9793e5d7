import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { runCli } from "../../support/cli";
import { GiteaServer } from "../../support/gitea";
import { helmApp } from "../../support/gitops";
import { writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** examples/<name>/scenario.json (as examples/run.ts reads it). */
interface Scenario {
    readonly product: string;
    readonly environments: readonly string[];
    readonly ship: { readonly environment: string; readonly version: string };
    readonly commands: readonly { readonly title: string; readonly args: readonly string[] }[];
}

/** The environments each seed scenario's commands promote to: each gets one pull request, merged. */
const targets: Record<string, readonly string[]> = {
    "01-drag-and-drop": ["qa"],
    "02-sequential": ["qa", "prod"],
    "03-gates": ["qa", "prod"],
    "04-parallel": ["staging", "prod-us", "prod-eu", "prod-ap"],
    "05-dependencies": ["qa", "staging", "prod"],
};

/** What each scenario's output must show beside the pull requests (the seed's own gates still run). */
const shows: Record<string, readonly RegExp[]> = {
    "03-gates": [/pre-action smoke-tests {2}Succeeded/, /post-action verify-deployment {2}Succeeded/],
    "05-dependencies": [/flow multi-env-dependencies \(version 3\.0\) {2}Succeeded/],
};

/** Every environment takes its change as a pull request the engine merges once Gitea allows it. */
const prPolicy = {
    name: "gitea-pull-requests",
    priority: 1,
    policy: { action: "pr" as const, pullRequest: { autoMerge: true } },
};

/**
 * The scenario's definitions pointed at `repoURL` with {@link prPolicy} added: YAML definitions are copied
 * with `${REPO_URL}` filled in and the policy appended as one more document; a TypeScript module is loaded
 * with EXAMPLE_REPO_URL set and written out as a module with the policy. The lower priority wins, field by
 * field: the seed's own pre/post-actions stay.
 */
function definitionsOnGitea(name: string, repoURL: string, dir: string): string {
    const source = path.join(packageRoot, "examples", name);
    if (fs.existsSync(path.join(source, "promotions"))) {
        const to = path.join(dir, "promotions");
        fs.cpSync(path.join(source, "promotions"), to, { recursive: true });
        for (const f of fs.readdirSync(to, { recursive: true, encoding: "utf8" })) {
            const p = path.join(to, f);
            if (fs.statSync(p).isFile() && /\.ya?ml$/.test(p)) {
                fs.writeFileSync(
                    p,
                    fs
                        .readFileSync(p, "utf8")
                        .replaceAll("${REPO_URL}", repoURL)
                        .replaceAll("${EXAMPLE_DIR}", to),
                );
            }
        }
        fs.writeFileSync(
            path.join(to, "gitea-pull-requests.yaml"),
            `apiVersion: codefresh.io/v1beta1
kind: PromotionPolicy
metadata: { name: ${prPolicy.name} }
spec:
    priority: ${prPolicy.priority}
    policy: { action: pr, pullRequest: { autoMerge: true } }
`,
        );
        return to;
    }
    const module = path.join(packageRoot, "dist", "examples", name, "definitions.js");
    const saved = process.env.EXAMPLE_REPO_URL;
    process.env.EXAMPLE_REPO_URL = repoURL;
    try {
        delete require.cache[require.resolve(module)];
        const defs = (require(module) as { default: Definitions }).default;
        return writeConfigModule(dir, {
            ...defs,
            promotionPolicies: [...(defs.promotionPolicies ?? []), prPolicy],
        });
    } finally {
        if (saved === undefined) {
            delete process.env.EXAMPLE_REPO_URL;
        } else {
            process.env.EXAMPLE_REPO_URL = saved;
        }
    }
}

describe("the five seed scenarios with action pr on a real Gitea", function () {
    this.timeout(900_000);
    let gitea: GiteaServer;
    before(async () => {
        gitea = await GiteaServer.start();
    });
    after(async () => {
        await gitea?.stop();
        removeTempDirs();
    });

    for (const [name, expected] of Object.entries(targets)) {
        it(name, async () => {
            const scenario = JSON.parse(
                fs.readFileSync(path.join(packageRoot, "examples", name, "scenario.json"), "utf8"),
            ) as Scenario;
            const dir = tempDir(`gitea-seed-${name}`);
            const files: Record<string, string> = {};
            for (const env of scenario.environments) {
                for (const [file, content] of Object.entries(helmApp(scenario.product, env))) {
                    files[`apps/${scenario.product}/${env}/${file}`] = content;
                }
            }
            const repoName = `seed-${name}`;
            const repo = await gitea.createRepo(repoName, files);
            const { environment, version } = scenario.ship;
            for (const file of ["values.yaml", "Chart.yaml"]) {
                repo.edit(`apps/${scenario.product}/${environment}/${file}`, (t) =>
                    t.replace(/"1\.0\.0"/, `"${version}"`),
                );
            }
            const config = definitionsOnGitea(name, repo.url, dir);
            const env = {
                PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
                PROMOTIONS_HOSTS: JSON.stringify([
                    { prefix: `${gitea.url}/`, kind: "gitea", tokenEnv: "GITEA_TOKEN" },
                ]),
                GITEA_TOKEN: gitea.token,
                PROMOTIONS_GIT_TOKENS: JSON.stringify({ [gitea.host]: gitea.token }),
                PROMOTIONS_PR_POLL_SECONDS: "0.2",
            };
            const args = ["--config", config, "--state", `file://${path.join(dir, "state")}`];
            let output = "";
            for (const c of scenario.commands) {
                const r = await runCli([...args, ...c.args], { env });
                output += r.stdout + r.stderr;
                assert.strictEqual(r.code, 0, `${c.title}: ${r.stdout}${r.stderr}`);
                if (c.args[0] === "preview") {
                    assert.match(r.stdout, / pr {2}would open a pull request/, c.title);
                }
            }

            for (const p of shows[name] ?? []) {
                assert.match(output, p);
            }
            const pulls = await gitea.pulls(gitea.admin, repoName);
            const promoted = pulls.map((p) => /^promotions\/[^/]+\/([^/]+)\//.exec(p.head.ref)?.[1]);
            assert.deepStrictEqual(
                [...promoted].sort(),
                [...expected].sort(),
                "one pull request per environment",
            );
            for (const p of pulls) {
                assert.ok(p.merged, `#${p.number} (${p.head.ref}) merged`);
                assert.strictEqual(p.merged_by?.login, gitea.admin, "merged by the engine");
            }
            for (const target of expected) {
                assert.match(
                    repo.read(`apps/${scenario.product}/${target}/Chart.yaml`),
                    new RegExp(`appVersion: "${version.replace(/\./g, "\\.")}"`),
                    target,
                );
            }
            for (const other of scenario.environments.filter(
                (e) => e !== environment && !expected.includes(e),
            )) {
                assert.match(
                    repo.read(`apps/${scenario.product}/${other}/Chart.yaml`),
                    /appVersion: "1\.0\.0"/,
                    other,
                );
            }
        });
    }
});
