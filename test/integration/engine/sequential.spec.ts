import * as assert from "assert";
import type { ProgressEvent } from "../../../engine/promoteEngine";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { gitopsRepoFor, helmApp } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("a sequential release dev → qa → prod", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("previews without writing, commits in DAG order, then skips when nothing changed", async () => {
        const dir = tempDir("seq");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
        });
        const events: ProgressEvent[] = [];
        const engine = await testPromoteEngine(dir, catalog, { onProgress: (e) => events.push(e) });

        // A developer ships 1.3.0 to dev.
        const source = repo.edit("apps/web/dev/values.yaml", (t) =>
            t.replace('tag: "1.0.0"', 'tag: "1.3.0"'),
        );
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "1.3.0"'));
        const tipBefore = repo.tip();

        const preview = await engine.preview({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(repo.tip(), tipBefore, "preview writes nothing");
        assert.strictEqual(preview.version, "1.3.0");
        assert.deepStrictEqual(
            preview.environments.map((e) => [e.name, e.wouldChange, e.applications[0].changes]),
            ["qa", "prod"].map((env) => [
                env,
                true,
                [
                    { file: "Chart.yaml", path: "$.appVersion", from: "1.0.0", to: "1.3.0" },
                    { file: "values.yaml", path: "$.image.tag", from: "1.0.0", to: "1.3.0" },
                ],
            ]),
        );

        const release = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(release.status, "Succeeded", JSON.stringify(publicRecord(release), null, 2));
        assert.notStrictEqual(release.sourceCommit, source, "the source commit is the tip at trigger time");
        assert.strictEqual(release.sourceCommit, tipBefore);
        const [qa, prod] = release.environments;
        assert.deepStrictEqual(
            [qa.name, qa.status, prod.name, prod.status],
            ["qa", "Succeeded", "prod", "Succeeded"],
        );
        const qaSha = qa.applications[0].commitSha!;
        const prodSha = prod.applications[0].commitSha!;
        assert.ok(repo.isAncestor(qaSha, prodSha) && qaSha !== prodSha, "qa is committed before prod");
        assert.ok(Date.parse(prod.startedAt!) >= Date.parse(qa.finishedAt!), "prod starts after qa finished");
        const log = repo.log();
        assert.strictEqual(log[0].sha, prodSha);
        assert.strictEqual(log[0].subject, "promote web 1.3.0 to prod");
        assert.match(log[0].body, new RegExp(`Promotion-Release: ${release.id}`));
        assert.match(log[0].body, /Promotion-Product: web/);
        assert.match(log[0].body, new RegExp(`Promotion-Source-Commit: ${tipBefore}`));
        // Only the promoted values changed; comments and environment-specific values stayed.
        assert.strictEqual(
            repo.read("apps/web/prod/values.yaml"),
            helmApp("web", "prod")["values.yaml"].replace('tag: "1.0.0"', 'tag: "1.3.0"').trimEnd(),
        );
        assert.match(
            repo.read("apps/web/prod/values.yaml"),
            /host: prod\.example\.com # environment-specific/,
        );
        assert.match(
            repo.read("apps/web/prod/values.yaml"),
            /# promoted from the trigger environment\n {2}tag: "1\.3\.0"/,
        );

        const progress = events
            .filter((e) => e.type === "environment")
            .map((e) => e.type === "environment" && `${e.environment.name}:${e.environment.status}`);
        assert.deepStrictEqual(progress, ["qa:Running", "qa:Succeeded", "prod:Running", "prod:Succeeded"]);

        // Nothing new in dev: every environment is Skipped and no commit is made.
        const tipAfter = repo.tip();
        const again = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(again.status, "Succeeded");
        assert.deepStrictEqual(
            again.environments.map((e) => e.status),
            ["Skipped", "Skipped"],
        );
        assert.strictEqual(repo.tip(), tipAfter, "no empty commit");

        // A hand edit in prod shows up in the next preview.
        repo.edit("apps/web/prod/values.yaml", (t) => t.replace('tag: "1.3.0"', 'tag: "1.2.9-hotfix"'));
        const after = await engine.preview({ product: "web", target: { flow: "seq" } });
        assert.deepStrictEqual(
            after.environments.map((e) => [e.name, e.wouldChange, e.applications[0].changes]),
            [
                ["qa", false, []],
                [
                    "prod",
                    true,
                    [{ file: "values.yaml", path: "$.image.tag", from: "1.2.9-hotfix", to: "1.3.0" }],
                ],
            ],
        );

        const history = await engine.releases("web");
        assert.deepStrictEqual(
            history.map((r) => r.id),
            [again.id, release.id],
        );
        assert.deepStrictEqual((await engine.find(release.id)).environments, release.environments);
    });
});
