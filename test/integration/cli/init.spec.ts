import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { runCli } from "../../support/cli";
import { gitSync, GitopsRepo } from "../../support/gitops";
import { GitHttpServer } from "../../support/gitHttpServer";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

const fixtures = path.join(packageRoot, "test", "fixtures", "init");

/** Every file of a fixture, as the repository's initial commit. */
function filesOf(dir: string, rel = ""): Record<string, string> {
    const files: Record<string, string> = {};
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
            Object.assign(files, filesOf(dir, p));
        } else {
            files[p] = fs.readFileSync(path.join(dir, p), "utf8");
        }
    }
    return files;
}

interface Case {
    readonly fixture: string;
    readonly branch?: string;
    /** What init prints about it. */
    readonly inferred: readonly RegExp[];
    readonly product: string;
    readonly flow: string;
    /** A new version shipped to the trigger environment: file, old text, new text. */
    readonly ship: { readonly file: string; readonly from: string; readonly to: string };
    /** What the first promotion's preview shows. */
    readonly preview: readonly RegExp[];
}

const cases: readonly Case[] = [
    {
        fixture: "codefresh-quickstart-demo",
        inferred: [
            /environments: dev, qa, staging, prod, prod-asia, prod-eu \(production: prod, prod-asia, prod-eu\)/,
            /product demo-trioapp: 6 applications/,
            /flow dev-to-prod: dev → qa \(after dev\), staging \(after qa\), prod \(after staging\), prod-asia \(after staging\), prod-eu \(after staging\)/,
            /promotes values\.yaml \$\['flask-ui'\]\.image\.tag/,
            /version from Chart\.yaml \$\.appVersion/,
        ],
        product: "demo-trioapp",
        flow: "dev-to-prod",
        ship: {
            file: "demo-applications/trioapp-dev/values.yaml",
            from: "tag: ain-c2977e1",
            to: "tag: main-1234567",
        },
        preview: [
            /source trio-dev at [0-9a-f]{12} {2}version 1\.184\.6/,
            /qa {2}commit {2}would change {2}after dev\n\s+demo-trioapp-qa .*\n\s+values\.yaml \$\.buslog\.image\.tag: main-6abdd38 → main-1234567/,
            /prod-eu {2}commit {2}would change {2}after staging\n.*\n\s+Chart\.yaml \$\.appVersion: 1\.184\.4 → 1\.184\.6/,
        ],
    },
    {
        fixture: "argocd-applicationset-list",
        inferred: [
            /environments: engineering-dev, engineering-prod \(production: engineering-prod\)/,
            /product guestbook: 2 applications \(engineering-dev-guestbook, engineering-prod-guestbook\)/,
            /promotes guestbook-ui-deployment\.yaml \$\.spec\.template\.spec\.containers\[\?@\.name=='guestbook-ui'\]\.image/,
        ],
        product: "guestbook",
        flow: "engineering-dev-to-engineering-prod",
        ship: {
            file: "applicationset/examples/list-generator/guestbook/engineering-dev/guestbook-ui-deployment.yaml",
            from: "argocd-e2e-container:0.2",
            to: "argocd-e2e-container:0.3",
        },
        preview: [
            /engineering-prod {2}commit {2}would change {2}after engineering-dev/,
            /guestbook-ui-deployment\.yaml \$\.spec\.template\.spec\.containers\[0\]\.image: quay\.io\/argoprojlabs\/argocd-e2e-container:0\.2 → quay\.io\/argoprojlabs\/argocd-e2e-container:0\.3/,
        ],
    },
    {
        fixture: "kargo-simple",
        inferred: [
            /environments: dev, staging, prod \(production: prod\)/,
            /flow dev-to-prod: dev → staging \(after dev\), prod \(after staging\)/,
            /promotes kustomization\.yaml \$\.images\[\?@\.name=='ghcr\.io\/akuity\/guestbook'\]\.newTag/,
            /Kargo Stages/,
        ],
        product: "kargo-simple",
        flow: "dev-to-prod",
        ship: { file: "env/dev/kustomization.yaml", from: "newTag: v0.0.1", to: "newTag: v0.0.2" },
        preview: [
            /staging {2}commit {2}would change {2}after dev/,
            /kustomization\.yaml \$\.images\[0\]\.newTag: v0\.0\.1 → v0\.0\.2/,
        ],
    },
    {
        fixture: "kustomize-base-overlays",
        inferred: [
            /environments: qa, staging-eu, staging-us, prod-eu, prod-us \(production: prod-eu, prod-us\)/,
            /flow qa-to-prod: qa → staging-eu \(after qa\), staging-us \(after qa\), prod-eu \(after staging-eu, staging-us\), prod-us \(after staging-eu, staging-us\)/,
            /promotes version\.yml \$\.spec\.template\.spec\.containers\[\?@\.name=='webserver-simple'\]\.image/,
        ],
        product: "kustomize-base-overlays",
        flow: "qa-to-prod",
        ship: { file: "envs/qa/version.yml", from: "simple-env-app:1.0", to: "simple-env-app:2.0" },
        preview: [
            /prod-us {2}commit {2}would change {2}after staging-eu, staging-us/,
            /version\.yml \$\.spec\.template\.spec\.containers\[0\]\.image: docker\.io\/kostiscodefresh\/simple-env-app:1\.0 → docker\.io\/kostiscodefresh\/simple-env-app:2\.0/,
        ],
    },
];

describe("promote init on public GitOps layouts", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    for (const c of cases) {
        it(`${c.fixture}: init, validate, then preview a first promotion`, async () => {
            const dir = tempDir(`init-${c.fixture}`);
            const repo = GitopsRepo.create(dir, c.fixture, filesOf(path.join(fixtures, c.fixture)));
            const out = path.join(dir, "promotions");
            const env = {
                PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
                PULUMI_CONFIG_PASSPHRASE: "init-test",
            };
            const init = await runCli(["init", "--repo", repo.url, "--out", out], { env });
            assert.strictEqual(init.code, 0, init.stdout + init.stderr);
            for (const re of c.inferred) {
                assert.match(init.stdout, re);
            }
            assert.match(init.stdout, new RegExp(`preview --product ${c.product} --flow ${c.flow}`));
            // The guesses are in the YAML too, beside what they decided.
            assert.match(fs.readFileSync(path.join(out, "flows.yaml"), "utf8"), /# guess: trigger /);

            const config = ["--config", out, "--state", `file://${path.join(dir, "state")}`];
            const validate = await runCli([...config, "validate"], { env });
            assert.strictEqual(validate.code, 0, validate.stderr);
            assert.match(validate.stdout, /^valid: /);

            repo.edit(c.ship.file, (t) => {
                assert.ok(t.includes(c.ship.from), `${c.ship.file} holds ${c.ship.from}`);
                return t.replace(c.ship.from, c.ship.to);
            });
            const preview = await runCli([...config, "preview", "--product", c.product, "--flow", c.flow], {
                env,
            });
            assert.strictEqual(preview.code, 0, preview.stdout + preview.stderr);
            for (const re of c.preview) {
                assert.match(preview.stdout, re);
            }
        });
    }

    it("codefresh-quickstart-demo: a first trigger commits the shipped tag to every environment", async () => {
        const c = cases[0];
        const dir = tempDir("init-trigger");
        const repo = GitopsRepo.create(dir, c.fixture, filesOf(path.join(fixtures, c.fixture)));
        const out = path.join(dir, "promotions");
        const env = {
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: "init-test",
        };
        assert.strictEqual((await runCli(["init", "--repo", repo.url, "--out", out], { env })).code, 0);
        repo.edit(c.ship.file, (t) => t.replace(c.ship.from, c.ship.to));
        const config = ["--config", out, "--state", `file://${path.join(dir, "state")}`];
        const trigger = await runCli([...config, "trigger", "--product", c.product, "--flow", c.flow], {
            env,
        });
        assert.strictEqual(trigger.code, 0, trigger.stdout + trigger.stderr);
        assert.match(trigger.stdout + trigger.stderr, /Succeeded/);
        for (const e of ["qa", "staging", "prod", "prod-asia", "prod-eu"]) {
            const values = repo.read(`demo-applications/trioapp-${e}/values.yaml`);
            assert.match(values, /buslog:\n {2}image:\n {4}tag: main-1234567/, e);
            // Environment-specific values stay as they were.
            assert.match(values, /replicaCount: 3/);
        }
    });

    it("reads a directory as it lies, or at --branch; the Applications name its origin", async () => {
        const dir = tempDir("init-dir");
        const repo = GitopsRepo.create(dir, "kargo-simple", filesOf(path.join(fixtures, "kargo-simple")));
        // An overlay not committed yet: there in the directory, not on the branch.
        fs.mkdirSync(path.join(repo.work, "env", "qa"));
        fs.writeFileSync(
            path.join(repo.work, "env", "qa", "kustomization.yaml"),
            fs.readFileSync(path.join(repo.work, "env", "dev", "kustomization.yaml"), "utf8"),
        );
        const asItLies = await runCli(["init", "--repo", repo.work, "--out", path.join(dir, "a")]);
        assert.strictEqual(asItLies.code, 0, asItLies.stderr);
        assert.match(asItLies.stdout, /environments: dev, qa, staging, prod/);
        const apps = fs.readFileSync(path.join(dir, "a", "applications.yaml"), "utf8");
        assert.match(apps, new RegExp(`repoURL: ${repo.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n`));
        const atBranch = await runCli([
            "init",
            "--repo",
            repo.work,
            "--branch",
            "main",
            "--out",
            path.join(dir, "b"),
        ]);
        assert.strictEqual(atBranch.code, 0, atBranch.stderr);
        assert.match(atBranch.stdout, /environments: dev, staging, prod \(/);
        const noBranch = await runCli([
            "init",
            "--repo",
            repo.work,
            "--branch",
            "nope",
            "--out",
            path.join(dir, "c"),
        ]);
        assert.strictEqual(noBranch.code, 2);
        assert.match(noBranch.stderr, /it has no branch "nope" \(branches: main\)/);
    });

    it("reads each application at its own branch (a branch per environment)", async () => {
        const dir = tempDir("init-branches");
        // main holds no tag at all: the values exist only on the environments' branches.
        const files: Record<string, string> = { "app/values.yaml": "replicaCount: 1\n" };
        for (const env of ["dev", "prod"]) {
            files[`argocd/web-${env}.yaml`] =
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\n" +
                `metadata: { name: web-${env} }\n` +
                `spec: { source: { repoURL: https://github.com/acme/gitops.git, path: app, targetRevision: ${env} } }\n`;
        }
        const repo = GitopsRepo.create(dir, "branches", files);
        for (const [env, tag] of [
            ["dev", "v2"],
            ["prod", "v1"],
        ]) {
            gitSync(["checkout", "--quiet", "-b", env, "main"], repo.work);
            fs.writeFileSync(
                path.join(repo.work, "app", "values.yaml"),
                `replicaCount: 1\nimage:\n  tag: ${tag}\n`,
            );
            gitSync(["commit", "--quiet", "-am", `${tag} in ${env}`], repo.work);
            gitSync(["push", "--quiet", "origin", env], repo.work);
        }
        const out = path.join(dir, "promotions");
        const env = {
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: "init-test",
        };
        const init = await runCli(["init", "--repo", repo.url, "--out", out], { env });
        assert.strictEqual(init.code, 0, init.stderr);
        assert.match(
            init.stdout,
            /product web: 2 applications \(web-dev, web-prod\)\n {2}flow dev-to-prod: dev → prod/,
        );
        assert.match(init.stdout, /promotes values\.yaml \$\.image\.tag/);
        const config = ["--config", out, "--state", `file://${path.join(dir, "state")}`];
        const preview = await runCli([...config, "preview", "--product", "web", "--flow", "dev-to-prod"], {
            env,
        });
        assert.strictEqual(preview.code, 0, preview.stderr);
        assert.match(preview.stdout, /web-prod {2}file:\/\/.* prod\n\s+values\.yaml \$\.image\.tag: v1 → v2/);
    });

    it("clones a private repository with PROMOTIONS_GIT_TOKEN; no token or password is printed or written", async () => {
        const dir = tempDir("init-private");
        const token = "init-secret-token-5f2c";
        GitopsRepo.create(dir, "kargo-simple", filesOf(path.join(fixtures, "kargo-simple")));
        const server = await GitHttpServer.start(dir, token);
        try {
            const url = server.url("kargo-simple.git");
            const refused = await runCli(["init", "--repo", url, "--out", path.join(dir, "a")]);
            assert.strictEqual(refused.code, 2, refused.stdout + refused.stderr);
            assert.match(
                refused.stderr,
                /cannot read the repository "http:\/\/127\.0\.0\.1:\d+\/kargo-simple\.git": git clone failed/,
            );
            const out = path.join(dir, "b");
            const ok = await runCli(["init", "--repo", url, "--out", out], {
                env: { PROMOTIONS_GIT_TOKEN: token },
            });
            assert.strictEqual(ok.code, 0, ok.stderr);
            assert.match(
                fs.readFileSync(path.join(out, "applications.yaml"), "utf8"),
                new RegExp(`repoURL: ${url}\n`),
            );
            // A password written into the URL is used for the clone and nowhere else.
            const withPassword = url.replace("http://", `http://x-access-token:${token}@`);
            const out2 = path.join(dir, "c");
            const ok2 = await runCli(["init", "--repo", withPassword, "--out", out2]);
            assert.strictEqual(ok2.code, 0, ok2.stderr);
            for (const r of [ok, ok2]) {
                assert.ok(!(r.stdout + r.stderr).includes(token), "the token is not printed");
            }
            assert.deepStrictEqual(filesContaining(out, token), []);
            assert.deepStrictEqual(filesContaining(out2, token), []);
        } finally {
            await server.stop();
        }
    });

    it("refuses to write over existing definitions without --force", async () => {
        const dir = tempDir("init-force");
        const repo = GitopsRepo.create(dir, "kargo-simple", filesOf(path.join(fixtures, "kargo-simple")));
        const out = path.join(dir, "promotions");
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, "mine.yaml"), "# hand-written\n");
        const refused = await runCli(["init", "--repo", repo.url, "--out", out]);
        assert.strictEqual(refused.code, 2);
        assert.match(refused.stderr, /already holds definitions \(mine\.yaml\): pass --force/);
        assert.deepStrictEqual(fs.readdirSync(out), ["mine.yaml"]);
        const forced = await runCli(["init", "--repo", repo.url, "--out", out, "--force"]);
        assert.strictEqual(forced.code, 0, forced.stderr);
        assert.ok(fs.existsSync(path.join(out, "flows.yaml")));
        assert.match(forced.stderr, /mine\.yaml .* were left as they were/);
    });

    it("explains what it could not infer, and why (exit 2)", async () => {
        const dir = tempDir("init-cannot");
        const examples = GitopsRepo.create(
            dir,
            "argocd-example-apps",
            filesOf(path.join(fixtures, "argocd-example-apps")),
        );
        const r = await runCli(["init", "--repo", examples.url, "--out", path.join(dir, "a")]);
        assert.strictEqual(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /no product to promote was found/);
        assert.match(
            r.stderr,
            /apps\/templates\/applications\.yaml: it looks like a template of Argo CD Applications/,
        );
        assert.match(
            r.stderr,
            /folder helm-guestbook: .*values files per environment \(values-production\.yaml\)/,
        );
        assert.ok(!fs.existsSync(path.join(dir, "a")), "nothing written");

        const advanced = GitopsRepo.create(
            dir,
            "kargo-advanced",
            filesOf(path.join(fixtures, "kargo-advanced")),
        );
        const k = await runCli(["init", "--repo", advanced.url, "--out", path.join(dir, "k")]);
        assert.strictEqual(k.code, 2, k.stdout + k.stderr);
        assert.match(
            k.stderr,
            /Application "guestbook-dev" .*: it deploys env\/dev, which is not a branch of this repository/,
        );
        assert.match(k.stderr, /product kargo-advanced .*: nothing to promote was found in env\/dev/);
    });

    it("never writes a proposal that does not validate: it names each problem instead", async () => {
        const dir = tempDir("init-invalid");
        const repoDir = path.join(dir, "plain");
        for (const [env, declared] of [
            ["dev", "dev"],
            ["prod", "Prod_EU"],
        ]) {
            fs.mkdirSync(path.join(repoDir, "apps", env), { recursive: true });
            fs.writeFileSync(path.join(repoDir, "apps", env, "values.yaml"), "image:\n  tag: v1\n");
            fs.writeFileSync(
                path.join(repoDir, `web-${env}.yaml`),
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\n" +
                    `metadata: { name: web-${env}, annotations: { promotions/environment: ${declared} } }\n` +
                    `spec: { source: { repoURL: https://github.com/acme/gitops.git, path: apps/${env} } }\n`,
            );
        }
        const out = path.join(dir, "o");
        const r = await runCli(["init", "--repo", repoDir, "--out", out]);
        assert.strictEqual(r.code, 2, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /the definitions proposed for file:\/\/.*plain do not validate, so nothing was written:/,
        );
        assert.match(r.stderr, /environments\.yaml:\d+: Environment "Prod_EU": name: must be lower-case/);
        assert.ok(!fs.existsSync(out));
    });

    it("explains an unreadable or empty repository (exit 2, with what it looked for)", async () => {
        const dir = tempDir("init-empty");
        const missing = await runCli(["init", "--repo", path.join(dir, "nope")]);
        assert.strictEqual(missing.code, 2);
        assert.match(
            missing.stderr,
            /cannot read the repository .*nope.*: it is neither a Git URL nor an existing directory/,
        );
        const unreachable = await runCli(["init", "--repo", `file://${path.join(dir, "nope.git")}`]);
        assert.strictEqual(unreachable.code, 2);
        assert.match(unreachable.stderr, /cannot read the repository .*: git clone failed/);
        const bare = path.join(dir, "empty.git");
        fs.mkdirSync(bare);
        require("child_process").execFileSync("git", ["init", "--quiet", "--bare", bare]);
        const empty = await runCli(["init", "--repo", `file://${bare}`, "--out", path.join(dir, "o")]);
        assert.strictEqual(empty.code, 2, empty.stderr);
        assert.match(
            empty.stderr,
            /is empty \(no commit\): nothing to read\. init looks for Argo CD Applications and ApplicationSets/,
        );
    });
});
