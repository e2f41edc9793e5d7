import * as assert from "assert";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const ship = (repo: ReturnType<typeof gitopsRepoFor>, version: string) =>
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]+"/, `tag: "${version}"`));

describe("flows as DAGs", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("parallel: prod-us and prod-eu overlap in time, global waits for both", async () => {
        const dir = tempDir("parallel");
        const envs = ["dev", "qa", "prod-us", "prod-eu", "global"];
        const repo = gitopsRepoFor(dir, "web", envs);
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: envs.map((name) => ({
                name,
                kind: name === "dev" || name === "qa" ? "non-production" : "production",
            })),
            flows: [
                {
                    name: "parallel",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod-us", dependsOn: ["qa"] },
                        { environment: "prod-eu", dependsOn: ["qa"] },
                        { environment: "global", dependsOn: ["prod-us", "prod-eu"] },
                    ],
                },
            ],
        });
        const engine = await testPromoteEngine(dir, catalog);
        ship(repo, "2.0.0");
        const r = await engine.release({ product: "web", target: { flow: "parallel" } });
        assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
        const env = (n: string) => r.environments.find((e) => e.name === n)!;
        const [us, eu, global, qa] = ["prod-us", "prod-eu", "global", "qa"].map(env);
        const t = (s?: string) => Date.parse(s!);
        assert.ok(
            t(us.startedAt) < t(eu.finishedAt) && t(eu.startedAt) < t(us.finishedAt),
            "prod-us and prod-eu overlap",
        );
        assert.ok(t(us.startedAt) >= t(qa.finishedAt) && t(eu.startedAt) >= t(qa.finishedAt));
        assert.ok(
            t(global.startedAt) >= Math.max(t(us.finishedAt), t(eu.finishedAt)),
            "global waits for both",
        );
        // Both prod commits landed on one branch although they raced: one of them was retried on the new tip.
        for (const e of [us, eu, global]) {
            assert.match(repo.read(`apps/web/${e.name}/values.yaml`), /tag: "2\.0\.0"/);
        }
        const globalSha = global.applications[0].commitSha!;
        assert.ok(repo.isAncestor(us.applications[0].commitSha!, globalSha));
        assert.ok(repo.isAncestor(eu.applications[0].commitSha!, globalSha));
    });

    it("dependencies: prod depends on qa and staging and starts only after both", async () => {
        const dir = tempDir("deps");
        const envs = ["dev", "qa", "staging", "prod"];
        const repo = gitopsRepoFor(dir, "web", envs);
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: envs.map((name) => ({ name })),
            flows: [
                {
                    name: "deps",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa", "staging"] },
                        { environment: "staging", dependsOn: ["dev"] },
                    ],
                },
            ],
        });
        const engine = await testPromoteEngine(dir, catalog);
        ship(repo, "3.0.0");
        const r = await engine.release({ product: "web", target: { flow: "deps" } });
        assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
        assert.deepStrictEqual(
            r.environments.map((e) => e.name),
            ["qa", "staging", "prod"],
        );
        const [qa, staging, prod] = r.environments;
        assert.deepStrictEqual(prod.dependsOn, ["qa", "staging"]);
        assert.ok(
            Date.parse(prod.startedAt!) >=
                Math.max(Date.parse(qa.finishedAt!), Date.parse(staging.finishedAt!)),
        );
        const prodSha = prod.applications[0].commitSha!;
        assert.ok(
            repo.isAncestor(qa.applications[0].commitSha!, prodSha) &&
                repo.isAncestor(staging.applications[0].commitSha!, prodSha),
        );
    });
});
