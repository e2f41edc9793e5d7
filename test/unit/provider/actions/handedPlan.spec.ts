import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ActionRequest } from "../../../../provider/actions/action";
import { commitAction } from "../../../../provider/actions/commit";
import {
    handedPlan,
    handOn,
    madeCommit,
    planKey,
    settled,
    stillHolds,
} from "../../../../provider/actions/handedPlan";
import { GitopsRepo, promotionRequest } from "../../../support/gitops";
import { removeTempDirs, tempDir } from "../../../support/tmp";

const envs = ["qa", "stage", "prod"];

function request(repo: GitopsRepo, cacheDir: string, environment: string): ActionRequest {
    return promotionRequest(repo, cacheDir, environment, "r-handed");
}

function setup(name: string) {
    const dir = tempDir(name);
    const repo = GitopsRepo.create(
        dir,
        "gitops",
        Object.fromEntries(
            envs.map((e) => [`apps/web/${e}/values.yaml`, 'replicas: 1\nimage:\n  tag: "1.0.0"\n']),
        ),
    );
    const cacheDir = path.join(dir, "cache");
    fs.mkdirSync(path.join(cacheDir, "plans"), { recursive: true });
    const trace = path.join(cacheDir, "plans", "trace");
    fs.writeFileSync(trace, "");
    const traced = () =>
        fs
            .readFileSync(trace, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { step: string; environment: string; reason?: string });
    return { repo, cacheDir, traced };
}

/** What the provider's diff does: plan against the tip and hand the plan on. */
async function diff(req: ActionRequest) {
    return handOn(req, await commitAction.plan(req));
}

describe("a plan handed on from the diff to the write", () => {
    after(removeTempDirs);

    it("the write takes the diff's plan: environments stacked into one push plan nothing again", async () => {
        const { repo, cacheDir, traced } = setup("handed");
        const reqs = envs.map((e) => request(repo, cacheDir, e));
        for (const r of reqs) {
            await diff(r);
        }
        const results = await Promise.all(reqs.map((r) => commitAction.run(r)));
        reqs.forEach(settled);
        assert.deepStrictEqual(
            results.map((r) => [r.status, r.replanned]),
            envs.map(() => ["Succeeded", undefined]),
        );
        assert.deepStrictEqual(traced(), [], "no plan made by the writes");
        for (const e of envs) {
            assert.match(repo.read(`apps/web/${e}/values.yaml`), /tag: "2\.0\.0"/);
        }
    });

    it("another writer moved the branch after the diff: the write plans again and keeps their edit", async () => {
        const { repo, cacheDir, traced } = setup("moved");
        const req = request(repo, cacheDir, "qa");
        await diff(req);
        repo.edit("apps/web/qa/values.yaml", (t) => t.replace("replicas: 1", "replicas: 5"), "theirs");
        const r = await commitAction.run(req);
        settled(req);
        assert.strictEqual(r.status, "Succeeded");
        assert.match(r.replanned ?? "", /the branch moved from [0-9a-f]{12} to [0-9a-f]{12}/);
        assert.deepStrictEqual(
            traced().map((t) => [t.step, t.environment]),
            [["write", "qa"]],
        );
        const values = repo.read("apps/web/qa/values.yaml");
        assert.match(values, /replicas: 5/, "their edit is kept (a stale plan would overwrite the file)");
        assert.match(values, /tag: "2\.0\.0"/);
    });

    it("travels between processes through a file beside the clone cache, files and all", async () => {
        const { repo, cacheDir } = setup("file");
        const req = request(repo, cacheDir, "stage");
        const plan = await commitAction.plan(req);
        // As the engine's pre-action hook hands it on: the file alone (nothing kept in memory).
        handOn(req, plan, false);
        const file = path.join(cacheDir, "plans", `${planKey(req)}.json`);
        assert.ok(fs.existsSync(file));
        const read = handedPlan(req, 0);
        assert.ok(read);
        assert.strictEqual(read.tip, plan.tip);
        assert.deepStrictEqual(read.plans[0].changes, plan.plans[0].changes);
        assert.deepStrictEqual([...read.plans[0].files], [...plan.plans[0].files]);
        assert.strictEqual(
            handedPlan(req, Date.now() + 60_000),
            undefined,
            "a file older than the update is not taken",
        );
        settled(req);
        assert.ok(!fs.existsSync(file));
        assert.strictEqual(handedPlan(req, 0), undefined);
    });

    it("holds across this process's own commits that leave the plan's files alone", () => {
        const req = {
            applications: [{ name: "a", path: "apps/a" }],
            candidate: { files: [{ file: "values.yaml" }] },
        };
        const t0 = "a".repeat(40);
        madeCommit("b".repeat(40), t0, ["apps/b/values.yaml"]);
        madeCommit("c".repeat(40), "b".repeat(40), ["apps/a/values.yaml"]);
        assert.deepStrictEqual(stillHolds({ tip: t0 }, req, t0), { holds: true });
        assert.deepStrictEqual(stillHolds({ tip: t0 }, req, "b".repeat(40)), { holds: true });
        const touched = stillHolds({ tip: t0 }, req, "c".repeat(40));
        assert.strictEqual(touched.holds, false);
        assert.match(touched.holds ? "" : touched.reason, /apps\/a\/values\.yaml changed since the plan/);
        const foreign = stillHolds({ tip: t0 }, req, "d".repeat(40));
        assert.match(foreign.holds ? "" : foreign.reason, /branch moved/);
    });
});
