import * as assert from "assert";
import { discover } from "../../../../engine/init/discover";
import {
    environmentIn,
    isProduction,
    leadingStageRank,
    stageRank,
} from "../../../../engine/init/environmentNames";
import { candidatesIn, valueAt } from "../../../../engine/init/promotedValues";
import { propose } from "../../../../engine/init/propose";
import type { RepositorySnapshot } from "../../../../engine/init/repositorySnapshot";
import { normalizeRepoUrl } from "../../../../engine/init/repositorySnapshot";

/** A repository in memory: a directory read as it lies (no git, so no branch checks). */
function snapshot(
    files: Record<string, string>,
    url = "https://github.com/acme/gitops.git",
): RepositorySnapshot {
    return {
        given: url,
        url,
        aliases: new Set([normalizeRepoUrl(url)]),
        revision: "main",
        branches: new Set(["main"]),
        paths: Object.keys(files).sort(),
        files: new Map(Object.entries(files)),
    };
}

const app = (name: string, path: string, extra = "") => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
${extra}spec:
  project: default
  source: { repoURL: https://github.com/acme/gitops.git, path: ${path}, targetRevision: main }
  destination: { server: https://kubernetes.default.svc, namespace: ${name} }
`;

describe("promote init: environment names", () => {
    it("orders stage words and reads environments out of names", () => {
        const order = [
            "dev",
            "integration-gpu",
            "qa",
            "uat",
            "load-gpu",
            "staging-eu",
            "canary",
            "prod-us",
        ].map(stageRank);
        assert.deepStrictEqual(
            [...order].sort((a, b) => a! - b!),
            order,
        );
        assert.strictEqual(stageRank("engineering-prod"), stageRank("prod"));
        assert.strictEqual(leadingStageRank("trioapp-prod"), undefined);
        assert.strictEqual(leadingStageRank("pre-prod-eu"), leadingStageRank("staging"));
        assert.deepStrictEqual(environmentIn("trioapp-prod-asia"), {
            environment: "prod-asia",
            rest: "trioapp",
        });
        assert.strictEqual(environmentIn("guestbook"), undefined);
        assert.ok(
            isProduction("prod-eu") &&
                isProduction("live") &&
                !isProduction("staging-us") &&
                !isProduction("blue"),
        );
    });
});

describe("promote init: promoted values", () => {
    it("finds appVersion, Kustomize images through a filter, image tags and container images", () => {
        const found = candidatesIn(
            new Map([
                ["Chart.yaml", "apiVersion: v2\nname: a\nappVersion: 1.2.3\n"],
                [
                    "values.yaml",
                    "flask-ui:\n  image:\n    tag: main-1\n    repository: x\nreplicaCount: 3\nworker:\n  imageTag: '7'\n",
                ],
                [
                    "kustomization.yaml",
                    "images:\n  - name: ghcr.io/o'k/app\n    newTag: v1\n  - name: other\n    newName: y\n",
                ],
                [
                    "version.yml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec:\n  template:\n    spec:\n      containers:\n        - { name: web, image: 'r/web:1.0' }\n",
                ],
                [
                    "settings.yml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: { template: { spec: { containers: [ { name: web, env: [] } ] } } }\n",
                ],
                ["templated.yaml", "image: {{ .Values.x }}\n  bad: [\n"],
            ]),
        );
        assert.deepStrictEqual(
            found.map((f) => `${f.file} ${f.jsonPath}`),
            [
                "Chart.yaml $.appVersion",
                "kustomization.yaml $.images[?@.name=='ghcr.io/o\\'k/app'].newTag",
                "values.yaml $['flask-ui'].image.tag",
                "values.yaml $.worker.imageTag",
                "version.yml $.spec.template.spec.containers[?@.name=='web'].image",
            ],
        );
        assert.strictEqual(
            valueAt("images:\n  - name: ghcr.io/o'k/app\n    newTag: v1\n", found[1].jsonPath),
            "v1",
        );
        assert.strictEqual(valueAt("flask-ui: { image: { tag: b } }\n", found[2].jsonPath), "b");
    });
});

describe("promote init: discovery and proposal", () => {
    it("expands ApplicationSets (list with goTemplate, git directories with exclude, git files) and says what it cannot", () => {
        const d = discover(
            snapshot({
                "sets/list.yaml": `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: web }
spec:
  goTemplate: true
  generators:
    - list: { elements: [ { env: dev, url: a }, { env: prod, url: b } ] }
  template:
    metadata: { name: 'web-{{.env}}' }
    spec:
      source: { repoURL: https://github.com/acme/gitops.git, path: 'web/{{ .env }}', targetRevision: main }
      destination: { server: '{{.url}}', namespace: web }
`,
                "sets/dirs.yaml": `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: api }
spec:
  generators:
    - git: { repoURL: x, revision: HEAD, directories: [ { path: 'api/*' }, { path: api/old, exclude: true } ] }
    - clusters: {}
  template:
    metadata: { name: 'api-{{path.basename}}' }
    spec:
      source: { repoURL: x, path: '{{path}}', targetRevision: main }
`,
                "sets/files.yaml": `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: db }
spec:
  generators:
    - git: { repoURL: x, revision: HEAD, files: [ { path: 'config/*/db.json' } ] }
  template:
    metadata: { name: 'db-{{stage.name}}' }
    spec:
      source: { repoURL: x, path: 'db/{{path.basename}}', targetRevision: main }
`,
                "config/uat/db.json": '{ "stage": { "name": "uat" } }',
                "config/prod/db.json": '{ "stage": { "name": "prod" } }',
                "api/qa/kustomization.yaml": "images: []\n",
                "api/prod/kustomization.yaml": "images: []\n",
                "api/old/kustomization.yaml": "images: []\n",
            }),
        );
        assert.deepStrictEqual(
            d.applications
                .map((a) => `${a.name} ${a.path} ${a.generated?.varying?.key}=${a.generated?.varying?.value}`)
                .sort(),
            [
                "api-prod api/prod path.basename=prod",
                "api-qa api/qa path.basename=qa",
                "db-prod db/prod stage.name=prod",
                "db-uat db/uat stage.name=uat",
                "web-dev web/dev env=dev",
                "web-prod web/prod env=prod",
            ],
        );
        assert.match(d.skipped[0].why, /clusters generator reads a live Argo CD/);
    });

    it("reads environments from destinations when names and paths say nothing", async () => {
        const files: Record<string, string> = { "web/values.yaml": "image: { tag: '1' }\n" };
        for (const [name, cluster] of [
            ["web-a", "name: dev-cluster"],
            ["web-b", "server: https://prod.k8s.example.com"],
        ]) {
            files[`argocd/${name}.yaml`] = app(name, "web").replace(
                /destination: .*/,
                `destination: { ${cluster} }`,
            );
        }
        const snap = snapshot(files);
        const p = await propose({ snapshot: snap, discovery: discover(snap) });
        assert.deepStrictEqual(
            p.applications.map((a) => `${a.name} ${a.environment} (${a.environmentWhy})`),
            ["web-a dev (its destination cluster dev-cluster)", "web-b prod (its destination server prod)"],
        );
    });

    it("leaves out apps of apps, other repositories and Helm repository charts, and proposes the rest", async () => {
        const files: Record<string, string> = {
            "argocd/root.yaml": app("root", "argocd/apps"),
            "argocd/apps/web-dev.yaml": app("web-dev", "apps/web/dev"),
            "argocd/apps/web-staging.yaml": app("web-staging", "apps/web/staging"),
            "argocd/apps/web-prod.yaml": app(
                "web-prod",
                "apps/web/prod",
                "  annotations: { promotions/environment: production }\n",
            ),
            "argocd/apps/elsewhere.yaml": app("other-dev", "x").replace("acme/gitops", "acme/other"),
            "argocd/apps/chart.yaml": app("redis-dev", "x").replace("path: x,", "chart: redis,"),
        };
        for (const env of ["dev", "staging", "prod"]) {
            files[`apps/web/${env}/Chart.yaml`] = `apiVersion: v2\nname: web\nappVersion: "1.0"\n`;
            files[`apps/web/${env}/values.yaml`] = `image:\n  tag: "1.0"\nhost: ${env}.example.com\n`;
        }
        const snap = snapshot(files);
        const p = await propose({ snapshot: snap, discovery: discover(snap) });
        assert.deepStrictEqual(
            p.environments.map((e) => `${e.name}:${e.kind}`),
            ["dev:non-production", "staging:non-production", "production:production"],
        );
        assert.deepStrictEqual(
            p.products.map((x) => [x.name, x.flow, x.values.map((v) => v.jsonPath)]),
            [["web", "dev-to-production", ["$.appVersion", "$.image.tag"]]],
        );
        assert.deepStrictEqual(p.flows[0].steps, [
            { environment: "staging", dependsOn: ["dev"] },
            { environment: "production", dependsOn: ["staging"] },
        ]);
        const why = (name: string) =>
            p.skipped.find((s) => s.what.startsWith(`Application "${name}"`))?.why ?? "";
        assert.match(why("root"), /app of apps/);
        assert.match(why("other-dev"), /another repository \(https:\/\/github\.com\/acme\/other\.git\)/);
        assert.match(why("redis-dev"), /chart "redis" from the Helm repository/);
    });
});
