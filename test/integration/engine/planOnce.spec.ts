import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

interface TracedPlan {
    readonly step: "diff" | "hook" | "write";
    readonly release: string;
    readonly environment: string;
    readonly reason?: string;
    readonly script: string;
}

/**
 * A release's change is planned once per environment and handed on (diff → pre-action hook → write), counted
 * through the plan trace both processes append to when `<cache>/plans/trace` exists. qa has no gates; staging
 * has a pre-action, which in the last release pushes a rival commit to the branch (editing staging's own
 * values file, once qa's promotion has landed) between the plan and the write: the write must plan again on the new tip, and keep that edit.
 */
describe("a release's plan is computed once and handed on", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("one plan per environment in the steady state; planned again when the tip moves before the write", async () => {
        const dir = tempDir("planonce");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "staging"]);
        const rivalOn = path.join(dir, "rival-on");
        const gate = path.join(dir, "gate.sh");
        fs.writeFileSync(
            gate,
            `#!/bin/sh
set -e
[ -e "${rivalOn}" ] || exit 0
version=$(cat "${rivalOn}")
rm "${rivalOn}"
cd "${repo.work}"
# qa's promotion (it needs nothing from staging) lands first: the rival's push then moves the branch under
# staging's write alone, whichever of the two environments the engine reaches first.
for i in $(seq 1 600); do
  git fetch --quiet origin main
  git show origin/main:apps/web/qa/values.yaml | grep -qF "$version" && break
  sleep 0.1
done
git pull --quiet --ff-only origin main
sed -i 's/^replicaCount: 1 /replicaCount: 3 /' apps/web/staging/values.yaml
git -c user.name=rival -c user.email=rival@example.com commit --quiet -am "rival: staging replicas"
# qa's promotion may land first: the rival rebases onto it, as a person would.
for i in 1 2 3 4 5; do
  git push --quiet origin main 2>/dev/null && exit 0
  git -c user.name=rival -c user.email=rival@example.com pull --quiet --rebase origin main
done
exit 1
`,
        );
        fs.chmodSync(gate, 0o755);
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "staging" }],
            flows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "staging", dependsOn: ["dev"], policy: { preAction: "rival" } },
                    ],
                },
            ],
            workflows: [{ name: "rival", kind: "local", command: [gate], timeout: "1m" }],
        });
        const engine = await testPromoteEngine(dir, catalog);
        const plansDir = path.join(dir, "git-cache", "plans");
        fs.mkdirSync(plansDir, { recursive: true });
        const trace = path.join(plansDir, "trace");
        fs.writeFileSync(trace, "");
        const plansOf = (r: ReleaseRecord, env: string): TracedPlan[] =>
            fs
                .readFileSync(trace, "utf8")
                .split("\n")
                .filter(Boolean)
                .map((l) => JSON.parse(l) as TracedPlan)
                .filter((p) => p.release === r.id && p.environment === env);
        const release = async (tag: string) => {
            repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${tag}"`));
            const r = await engine.release({ product: "web", target: { flow: "f" } });
            assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
            return r;
        };
        const app = (r: ReleaseRecord, env: string) =>
            r.environments.find((e) => e.name === env)!.applications[0];

        // The first release creates the resources (no diff): qa's write plans, staging's pre-action hook plans
        // and hands its plan to the write.
        const first = await release("2.0.0");
        assert.deepStrictEqual(
            plansOf(first, "qa").map((p) => p.step),
            ["write"],
        );
        assert.deepStrictEqual(
            plansOf(first, "staging").map((p) => p.step),
            ["hook"],
        );

        // The next release: the provider's diff plans; the hook and the write take its plan.
        const next = await release("3.0.0");
        for (const env of ["qa", "staging"]) {
            assert.deepStrictEqual(
                plansOf(next, env).map((p) => p.step),
                ["diff"],
                `${env}: planned once, by the diff`,
            );
            assert.strictEqual(app(next, env).replanned, undefined);
            // The diff runs in the promote stacks' own dynamic-provider host, not the SDK's.
            assert.deepStrictEqual(
                plansOf(next, env).map((p) => p.script),
                ["providerHost.js"],
            );
        }
        assert.match(repo.read("apps/web/staging/values.yaml"), /tag: "3\.0\.0"/);

        // The rival pushes during staging's pre-action, after the diff planned: the write plans again.
        fs.writeFileSync(rivalOn, "4.0.0");
        const moved = await release("4.0.0");
        assert.ok(!fs.existsSync(rivalOn), "the rival ran");
        assert.deepStrictEqual(
            plansOf(moved, "qa").map((p) => p.step),
            ["diff"],
        );
        const staging = plansOf(moved, "staging");
        assert.deepStrictEqual(
            staging.map((p) => p.step),
            ["diff", "write"],
            JSON.stringify(staging),
        );
        assert.match(staging[1].reason ?? "", /branch moved/);
        assert.match(app(moved, "staging").replanned ?? "", /branch moved/);
        assert.strictEqual(app(moved, "qa").replanned, undefined);
        const values = repo.read("apps/web/staging/values.yaml");
        assert.match(values, /tag: "4\.0\.0"/);
        assert.match(values, /^replicaCount: 3 /m, "the rival's edit of the same file is kept");

        // Every handed plan was taken and removed by its write.
        assert.deepStrictEqual(
            fs.readdirSync(plansDir).filter((f) => f.endsWith(".json")),
            [],
        );
    });
});
