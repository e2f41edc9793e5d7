/**
 * `npm run demo`: the embedded default, offline and from nothing. It creates a GitOps repository (a bare repo
 * with a Helm-style application per environment), writes the promotion definitions as Codefresh-style YAML,
 * lets a developer ship a new version to dev, and then runs the real `promote` CLI: validate, graph,
 * preview, trigger (the sequential flow dev → qa → prod with gates: local smoke-test and verification
 * commands before and after each promotion), releases. State, repositories and gates all live under
 * `.promotions/demo/` in this checkout (removed and recreated on each run).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../engine/engineLocator";

const root = path.join(packageRoot, ".promotions", "demo");
const config = path.join(root, "promotions");
const bare = path.join(root, "gitops.git");
const work = path.join(root, "developer");
const envs = ["dev", "qa", "prod"] as const;

const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: "Dana Developer",
    GIT_AUTHOR_EMAIL: "dana@example.com",
    GIT_COMMITTER_NAME: "Dana Developer",
    GIT_COMMITTER_EMAIL: "dana@example.com",
};
const git = (args: string[], cwd = work) =>
    execFileSync("git", args, {
        cwd,
        env: gitEnv,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    }).trim();
const tty = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined;

function write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
}

function heading(text: string): void {
    process.stdout.write(tty ? `\n\x1b[1m== ${text}\x1b[0m\n` : `\n== ${text}\n`);
}

function createRepository(): void {
    git(["init", "--quiet", "--bare", "--initial-branch=main", bare], root);
    git(["clone", "--quiet", bare, work], root);
    git(["checkout", "--quiet", "-b", "main"]);
    for (const env of envs) {
        write(
            path.join(work, "apps", "trioapp", env, "Chart.yaml"),
            `apiVersion: v2\nname: trioapp\ndescription: trioapp in ${env}\n# the chart and app versions are promoted\nversion: 0.1.0\nappVersion: "1.0.0"\n`,
        );
        write(
            path.join(work, "apps", "trioapp", env, "values.yaml"),
            `# trioapp values for ${env}\nreplicaCount: ${env === "prod" ? 3 : 1} # per environment, never promoted\n\n` +
                `image:\n  repository: ghcr.io/acme/trioapp\n  # promoted from dev\n  tag: "1.0.0"\n  pullPolicy: IfNotPresent\n\n` +
                `ingress:\n  host: ${env}.trioapp.example.com # environment-specific\n`,
        );
    }
    git(["add", "-A"]);
    git(["commit", "--quiet", "-m", "trioapp 1.0.0 in dev, qa and prod"]);
    git(["push", "--quiet", "origin", "main"]);
}

function writeDefinitions(): void {
    const gate = (name: string, body: string) => {
        write(path.join(config, "gates", `${name}.sh`), `#!/bin/sh\n${body}\n`);
        fs.chmodSync(path.join(config, "gates", `${name}.sh`), 0o755);
    };
    gate(
        "smoke-tests",
        `# A pre-action: runs before the promotion is written. Parameters arrive as environment variables.
echo "smoke tests for $APP_NAME ($ENVIRONMENT), release $RELEASE_ID, version $VERSION"
sleep 1
echo "12 checks passed"`,
    );
    gate(
        "verify-deployment",
        `# A post-action: runs after the commit; COMMIT_SHA is the promotion commit.
echo "verifying $APP_NAME at $COMMIT_SHA"
git --git-dir="${bare}" show "$COMMIT_SHA:$APP_PATH/values.yaml" | grep -q "tag: \\"$VERSION\\"" || { echo "image tag is not $VERSION"; exit 1; }
echo "deployed tag matches $VERSION"`,
    );
    const apps = envs
        .map(
            (env) => `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: trioapp-${env}
  namespace: argocd
  annotations:
    codefresh.io/product: trioapp
    promotions/environment: ${env}
spec:
  project: default
  source:
    repoURL: file://${bare}
    path: apps/trioapp/${env}
    targetRevision: main
  destination: { server: https://kubernetes.default.svc, namespace: trioapp-${env} }
`,
        )
        .join("");
    write(
        path.join(config, "promotions.yaml"),
        `# The sequential promotion with gates of Codefresh's quick start, as YAML.
apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: dev }
spec: { kind: non-production }
---
apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: qa }
spec: { kind: non-production }
---
apiVersion: promotions/v1alpha1
kind: Environment
metadata: { name: prod }
spec: { kind: production }
---
apiVersion: codefresh.io/v1beta1
kind: Product
metadata: { name: trioapp }
spec:
  promotionTemplate:
    versionSource: { file: Chart.yaml, jsonPath: $.appVersion }
    promotion:
      Chart.yaml: { jsonPaths: [ $.appVersion ] }
      values.yaml: { jsonPaths: [ $.image ], excludeJsonPaths: [ $.image.pullPolicy ] }
  promotionFlows:
    - name: multi-env-sequential-promotion
---
apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata:
  name: multi-env-sequential-promotion
  annotations:
    description: Sequential promotion with gates
    version: "1.0"
spec:
  triggerEnvironment: dev
  steps:
    - environment: qa
      dependsOn: [ dev ]
      policy: { action: commit, preAction: smoke-tests, postAction: verify-deployment }
    - environment: prod
      dependsOn: [ qa ]
      policy: { action: commit, preAction: smoke-tests, postAction: verify-deployment }
  promotionTimeoutLimit: 5
---
apiVersion: promotions/v1alpha1
kind: PromotionWorkflow
metadata: { name: smoke-tests }
spec: { command: ./gates/smoke-tests.sh, timeout: 2m }
---
apiVersion: promotions/v1alpha1
kind: PromotionWorkflow
metadata: { name: verify-deployment }
spec: { command: ./gates/verify-deployment.sh, timeout: 2m }
${apps}`,
    );
}

function promote(...args: string[]): number {
    process.stdout.write(
        tty ? `\x1b[2m$ promote ${args.join(" ")}\x1b[0m\n` : `$ promote ${args.join(" ")}\n`,
    );
    const r = spawnSync(path.join(packageRoot, "bin", "promote"), ["--config", config, ...args], {
        stdio: "inherit",
        env: { ...process.env, PROMOTIONS_GIT_CACHE: path.join(root, "git-cache") },
    });
    return r.status ?? 1;
}

function main(): void {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    heading("a GitOps repository with trioapp in dev, qa and prod (1.0.0)");
    createRepository();
    writeDefinitions();
    console.log(`repository ${bare}\ndefinitions ${config}`);

    heading("a developer ships 1.1.0 to dev");
    for (const file of ["values.yaml", "Chart.yaml"]) {
        const p = path.join(work, "apps", "trioapp", "dev", file);
        fs.writeFileSync(p, fs.readFileSync(p, "utf8").replace(/"1\.0\.0"/, '"1.1.0"'));
    }
    git(["commit", "--quiet", "-am", "trioapp 1.1.0 in dev"]);
    git(["push", "--quiet", "origin", "main"]);

    const steps: [string, string[]][] = [
        ["validate the definitions", ["validate"]],
        [
            "the flow, with each environment's policy",
            ["graph", "--flow", "multi-env-sequential-promotion", "--product", "trioapp"],
        ],
        [
            "preview: what the release would change (nothing is written)",
            ["preview", "--product", "trioapp", "--flow", "multi-env-sequential-promotion"],
        ],
        [
            "trigger the flow: dev → qa → prod, gated",
            ["trigger", "--product", "trioapp", "--flow", "multi-env-sequential-promotion"],
        ],
        ["the release history", ["releases", "--product", "trioapp"]],
    ];
    for (const [title, args] of steps) {
        heading(title);
        const code = promote(...args);
        if (code !== 0) {
            process.exitCode = code;
            return;
        }
    }
    heading("the promotion commits in the repository");
    console.log(git(["log", "--format=%h %s", "-n", "3", "main"], bare));
    git(["pull", "--quiet", "--ff-only", "origin", "main"]);
    console.log(
        `\nprod values.yaml now:\n${fs.readFileSync(path.join(work, "apps", "trioapp", "prod", "values.yaml"), "utf8")}`,
    );
}

main();
