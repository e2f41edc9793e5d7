import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";

/** Each seed scenario in examples/ runs as a user would run it, and prints a release matching its scenario. */
const expectations: Record<string, RegExp[]> = {
    "01-drag-and-drop": [
        /flow manual {2}Succeeded/,
        /\n {2}qa +Succeeded/,
        /\w{7} promote trioapp 1\.1\.0 to qa/,
        /ID +FLOW +VERSION +STATUS +STARTED +QA\n\S+ +manual +1\.1\.0 +Succeeded/,
    ],
    "02-sequential": [
        /valid: 3 environments, 1 product \(3 applications\), 1 flow/,
        /flow multi-env-sequential-promotion \(version 1\.0\) {2}Succeeded/,
        /\n {2}qa +Succeeded[^\n]*after dev/,
        /\n {2}prod +Succeeded[^\n]*after qa/,
        /promote trioapp 1\.2\.0 to prod\n\S+ promote trioapp 1\.2\.0 to qa/,
    ],
    "03-gates": [
        /1 │ qa: pre: smoke-tests → commit → post: verify-deployment/,
        /flow gated \(version 2\.0\) {2}Succeeded/,
        /trioapp-prod {2}commit {2}Succeeded[\s\S]*pre-action smoke-tests {2}Succeeded[\s\S]*post-action verify-deployment {2}Succeeded/,
    ],
    "04-parallel": [
        /staging --> prod_us\n {4}staging --> prod_eu|staging --> prod_eu/,
        /flow global-parallel-flow \(version 1\.0\) {2}Succeeded/,
        /\n {2}prod-us +Succeeded[^\n]*after staging/,
        /\n {2}prod-eu +Succeeded[^\n]*after staging/,
        /\n {2}prod-ap +Succeeded[^\n]*after staging/,
    ],
    "05-dependencies": [
        /2 │ prod ⟵ qa, staging/,
        /flow multi-env-dependencies \(version 3\.0\) {2}Succeeded/,
        /\n {2}prod +Succeeded[^\n]*after qa, staging/,
    ],
};

describe("the seed scenarios in examples/", function () {
    this.timeout(300_000);
    for (const [name, patterns] of Object.entries(expectations)) {
        it(name, () => {
            const r = spawnSync(
                process.execPath,
                [path.join(packageRoot, "dist", "examples", "run.js"), name],
                {
                    encoding: "utf8",
                    env: { ...process.env, NO_COLOR: "1" },
                },
            );
            const out = r.stdout + r.stderr;
            assert.strictEqual(r.status, 0, out);
            for (const p of patterns) {
                assert.match(out, p);
            }
        });
    }
});
