import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { packageRoot } from "../../../engine/engineLocator";

describe("npm run demo (the embedded default)", function () {
    this.timeout(300_000);

    it("creates everything offline and runs the gated sequential flow to Succeeded", () => {
        const r = spawnSync(process.execPath, [path.join(packageRoot, "dist", "examples", "demo.js")], {
            encoding: "utf8",
            env: { ...process.env, NO_COLOR: "1" },
        });
        const out = r.stdout + r.stderr;
        assert.strictEqual(r.status, 0, out);
        assert.match(out, /valid: 3 environments, 1 product \(3 applications\), 1 flow/);
        assert.match(out, /2 │ prod: pre: smoke-tests → commit → post: verify-deployment ⟵ qa/);
        assert.match(out, /values\.yaml \$\.image\.tag: 1\.0\.0 → 1\.1\.0/);
        assert.match(
            out,
            /release r\S+ {2}trioapp {2}flow multi-env-sequential-promotion \(version 1\.0\) {2}Succeeded/,
        );
        assert.match(out, /post-action verify-deployment {2}Succeeded/);
        assert.match(out, /promote trioapp 1\.1\.0 to prod\n\S+ promote trioapp 1\.1\.0 to qa/);
        assert.match(out, /# promoted from dev\n {2}tag: "1\.1\.0"\n {2}pullPolicy: IfNotPresent/);
    });
});
