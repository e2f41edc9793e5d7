import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlanFile, SavedPlan } from "../../../engine/governance/plans";
import {
    checkPlanTarget,
    planSha256,
    pulumiPlanFile,
    readSavedPlan,
    savedPlanFormat,
    stalePlanFiles,
} from "../../../engine/governance/plans";
import { InvalidInputError } from "../../../model/errors";

const file = (f: string, sha256: string | null): PlanFile => ({
    repoURL: "file:///gitops.git",
    branch: "main",
    file: f,
    sha256,
});

const saved: SavedPlan = {
    format: savedPlanFormat,
    product: "web",
    target: { flow: "seq" },
    releaseId: "r20261123-175000-abcd",
    sourceCommit: "0123456789abcdef0123456789abcdef01234567",
    version: "1.3.0",
    createdAt: "2026-11-23T17:50:00.000Z",
    files: [file("apps/web/qa/values.yaml", "aa")],
    pulumiPlan: { resourcePlans: {} },
};

describe("update plans: the pure parts", () => {
    it("a plan holds while its files are as the preview read them, whatever else changed", () => {
        const files = [file("apps/web/qa/Chart.yaml", "c1"), file("apps/web/qa/values.yaml", "v1")];
        assert.deepStrictEqual(stalePlanFiles(files, [...files].reverse()), []);
        assert.deepStrictEqual(stalePlanFiles(files, [files[0], file("apps/web/qa/values.yaml", "v2")]), [
            "apps/web/qa/values.yaml on main of file:///gitops.git changed since the preview",
        ]);
        assert.deepStrictEqual(stalePlanFiles(files, [files[0]]), [
            "apps/web/qa/values.yaml on main of file:///gitops.git no longer needs the change the plan makes",
        ]);
        assert.deepStrictEqual(stalePlanFiles([files[0]], files), [
            "apps/web/qa/values.yaml on main of file:///gitops.git would now change too, and is not in the plan",
        ]);
        assert.deepStrictEqual(stalePlanFiles([file("new.yaml", null)], [file("new.yaml", "x")]).length, 1);
    });

    it("reads a saved plan and its hash; refuses anything else (exit 2)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plans-"));
        try {
            const good = path.join(dir, "good.json");
            const text = JSON.stringify(saved);
            fs.writeFileSync(good, text);
            const read = readSavedPlan(good);
            assert.deepStrictEqual(read.plan, saved);
            assert.strictEqual(read.sha256, planSha256(text));
            assert.match(read.sha256, /^[0-9a-f]{64}$/);

            const bad = path.join(dir, "bad.json");
            for (const content of ["not json", JSON.stringify({ ...saved, format: "other" }), "{}"]) {
                fs.writeFileSync(bad, content);
                assert.throws(
                    () => readSavedPlan(bad),
                    (e: unknown) =>
                        e instanceof InvalidInputError &&
                        /not a plan saved by 'promote preview --save-plan'/.test(e.message),
                );
            }
            assert.throws(
                () => readSavedPlan(path.join(dir, "missing.json")),
                (e: unknown) => e instanceof InvalidInputError && /cannot read the plan file/.test(e.message),
            );

            const p = pulumiPlanFile(saved);
            assert.deepStrictEqual(JSON.parse(fs.readFileSync(p.file, "utf8")), saved.pulumiPlan);
            p.remove();
            assert.strictEqual(fs.existsSync(p.file), false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a plan applies only to the release it was saved for", () => {
        checkPlanTarget(saved, "web", { flow: "seq" }, "p.json");
        assert.throws(
            () => checkPlanTarget(saved, "web", { flow: "other" }, "p.json"),
            (e: unknown) =>
                e instanceof InvalidInputError &&
                /p\.json was saved for product web, flow seq, not product web, flow other/.test(e.message),
        );
        assert.throws(() => checkPlanTarget(saved, "api", { flow: "seq" }, "p.json"), InvalidInputError);
    });
});
