/**
 * The directory of Codefresh's published files (test/fixtures/codefresh-published, see its README) through the
 * real `promote` executable, as a migrating Codefresh user runs it: `validate` accepts it and lists what it
 * skips, `graph` and `preview` read it as Codefresh would. The quick start's Applications point at a local copy
 * of the quick-start repository's layout (demo-applications/trioapp-<env>/).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { runCli } from "../../support/cli";
import { GitopsRepo } from "../../support/gitops";
import { removeTempDirs, tempDir } from "../../support/tmp";

const published = path.join(packageRoot, "test", "fixtures", "codefresh-published");
const quickstartRepo = "https://github.com/codefresh-sandbox/codefresh-quickstart-demo.git";

/** One quick-start application's files, in the shape codefresh-quickstart-demo publishes them. */
function trioApp(appVersion: string, tag: string, replicas: number, version: string): Record<string, string> {
    return {
        "Chart.yaml": `apiVersion: v2
appVersion: ${appVersion}
name: trio-app
description: A Helm chart for Kubernetes
type: application
version: 0.1.12
dependencies:
  - name: buslog
    version: 1.4.6
    repository: https://h.cfcr.io/aperture-sci/public
`,
        "values.yaml": `buslog:
  image:
    tag: ${tag}
    repository: docker.io/aperturesci/buslog
  replicaCount: ${replicas}
`,
        "version.yaml": `version: ${version}\n`,
    };
}

function setup(name: string) {
    const dir = tempDir(name);
    const files: Record<string, string> = {};
    for (const env of ["dev", "qa", "staging", "prod", "prod-eu", "prod-asia"]) {
        const app =
            env === "dev"
                ? trioApp("1.184.8", "main-f2a1f54", 1, "54.2")
                : trioApp("1.184.6", "main-c2977e1", 3, "54.1");
        for (const [f, text] of Object.entries(app)) {
            files[`demo-applications/trioapp-${env}/${f}`] = text;
        }
    }
    const repo = GitopsRepo.create(dir, "quickstart", files);
    const config = path.join(dir, "promotions");
    fs.cpSync(published, config, { recursive: true });
    for (const f of fs.readdirSync(path.join(config, "quickstart", "argocd-app-manifests"), {
        recursive: true,
    })) {
        const file = path.join(config, "quickstart", "argocd-app-manifests", String(f));
        if (file.endsWith(".yaml")) {
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(quickstartRepo, repo.url));
        }
    }
    const env = {
        PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
        PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
    };
    const args = ["--config", config, "--state", `file://${path.join(dir, "state")}`];
    return { repo, config, env, args };
}

describe("Codefresh's published files through the promote CLI", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("validate accepts them, listing the RBAC siblings and what else it skips (exit 0) (reference §1.6, _docs/promotions/service-accounts-promotion-workflows.md)", async () => {
        const { args, env } = setup("cf-validate");
        const r = await runCli([...args, "validate"], { env });
        assert.strictEqual(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split("\n");
        assert.deepStrictEqual(lines.slice(0, 3), [
            "skipped: 6 manifests of kinds ServiceAccount, Role, RoleBinding",
            "skipped: 1 Application without annotation codefresh.io/product (cert-manager)",
            "skipped: 1 WorkflowTemplate not annotated codefresh.io/workflow-origin: promotion (nightly-backup)",
        ]);
        assert.match(
            r.stdout,
            /warning: .*demo-trioapp-prod-eu\.yaml:1: Application "demo-trioapp-prod-eu": environment: maps to no Environment/,
        );
        assert.match(lines[lines.length - 1], /^valid: 5 environments, 2 products \(7 applications\)/);
    });

    it("a malformed promotion kind beside them is still exit 2, naming file, line, entity and field; the others are only listed", async () => {
        const { args, env, config } = setup("cf-bad");
        fs.writeFileSync(
            path.join(config, "zz-broken.yaml"),
            "# a policy with its priority as a word\napiVersion: codefresh.io/v1beta1\nkind: PromotionPolicy\n" +
                "metadata: { name: broken }\nspec:\n    priority: high\n    policy: { action: commit }\n",
        );
        const r = await runCli([...args, "validate"], { env });
        assert.strictEqual(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stdout, /^skipped: 6 manifests of kinds ServiceAccount, Role, RoleBinding$/m);
        assert.match(
            r.stderr,
            /^1 problem in .*:\n {2}- \S*zz-broken\.yaml:2: PromotionPolicy "broken": priority: expected a number, got a string \("high"\)/,
        );
        assert.doesNotMatch(r.stderr, /ServiceAccount|Role/);
    });

    it("preview of a flow whose gates are Argo WorkflowTemplates needs no PROMOTIONS_ARGO_URL (it runs nothing); trigger does (reference §1.6 Promotion Workflow; the quick start's multi-env-sequential-promotion, _docs/gitops-quick-start/dependency-multi-env-promotion.md)", async () => {
        assert.strictEqual(process.env.PROMOTIONS_ARGO_URL, undefined);
        const { args, env, repo } = setup("cf-preview");
        const flow = ["--product", "demo-trioapp", "--flow", "multi-env-sequential-promotion"];
        const r = await runCli([...args, "preview", ...flow, "--json"], { env });
        assert.strictEqual(r.code, 0, r.stderr);
        const preview = JSON.parse(r.stdout) as {
            environments: {
                name: string;
                applications: {
                    name: string;
                    changes: { file: string; path: string; to: unknown }[];
                }[];
            }[];
        };
        assert.deepStrictEqual(
            preview.environments.map((e) => e.name),
            ["qa", "staging", "prod"],
        );
        // The composite of trio-chart and every-product-images: Chart.yaml's appVersion, values.yaml's image,
        // version.yaml's version; replicaCount is promoted by neither.
        const qa = preview.environments[0].applications[0];
        assert.strictEqual(qa.name, "demo-trioapp-qa");
        assert.deepStrictEqual(qa.changes.map((c) => `${c.file} ${c.path} ${String(c.to)}`).sort(), [
            "Chart.yaml $.appVersion 1.184.8",
            "values.yaml $.buslog.image.tag main-f2a1f54",
            "version.yaml $.version 54.2",
        ]);
        assert.match(
            repo.read("demo-applications/trioapp-qa/values.yaml"),
            /tag: main-c2977e1/,
            "nothing written",
        );

        const run = await runCli([...args, "trigger", ...flow], { env });
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(
            run.stderr,
            /workflow "post-action" \(argo\) cannot run: no Argo Server is configured: set PROMOTIONS_ARGO_URL/,
        );
    });

    it("graph --product shows the composite template of the quick-start product (reference §1.3 spec.priority)", async () => {
        const { args, env } = setup("cf-graph");
        const r = await runCli(
            [...args, "graph", "--flow", "multi-env-sequential-promotion", "--product", "demo-trioapp"],
            { env },
        );
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /qa: pre: pre-action → commit → post: post-action/);
        assert.match(
            r.stdout,
            /template for demo-trioapp-prod, demo-trioapp-qa, demo-trioapp-staging, trio-dev: composite of trio-chart \(priority 0\), every-product-images \(priority 10\)/,
        );
    });
});
