/**
 * `npm run demo`: the embedded default, offline and from nothing. It creates a GitOps repository (a bare repo
 * with a Helm-style application per environment), writes the promotion definitions as Codefresh-style YAML,
 * lets a developer ship a new version to dev, and then runs the real `promote` CLI: validate, graph,
 * preview, trigger (the sequential flow dev → qa → prod with gates: local smoke-test and verification
 * commands before and after each promotion), releases. State, repositories and gates all live under
 * `.promotions/demo/` in this checkout (removed and recreated on each run).
 */
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../engine/pulumi/engineLocator";
import { ExampleWorkspace } from "./workspace";

const ws = new ExampleWorkspace("demo");
const config = path.join(ws.root, "promotions");
const bare = ws.bare;
const envs = ["dev", "qa", "prod"] as const;

function write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
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

function main(): void {
    ws.heading("a GitOps repository with trioapp in dev, qa and prod (1.0.0)");
    ws.createRepository("trioapp", envs);
    writeDefinitions();
    console.log(`repository ${bare}\ndefinitions ${config}`);

    ws.heading("a developer ships 1.1.0 to dev");
    ws.ship("trioapp", "dev", "1.1.0");

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
        ws.heading(title);
        const code = ws.promote(config, args);
        if (code !== 0) {
            process.exitCode = code;
            return;
        }
    }
    ws.heading("the promotion commits in the repository");
    console.log(ws.log(3));
    console.log(`\nprod values.yaml now:\n${ws.git(["show", "main:apps/trioapp/prod/values.yaml"], bare)}`);

    ws.heading("the console on this repository and state (they stay in place)");
    console.log(`${consoleCommand()}\nthen open http://127.0.0.1:8080`);
}

/** A word as the shell reads it back unchanged (a checkout's path may hold spaces). */
function shellWord(s: string): string {
    return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that opens the console on the demo's repository and state, to paste as printed: the console needs
 * no webhook secret (`serve` then takes no webhooks), and the clone cache is the one the demo filled.
 */
function consoleCommand(): string {
    return [
        `PROMOTIONS_GIT_CACHE=${shellWord(path.join(ws.root, "git-cache"))}`,
        shellWord(path.join(packageRoot, "bin", "promote")),
        "--config",
        shellWord(config),
        "serve",
    ].join(" ");
}

main();
