import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { runCli, startCli } from "../../support/cli";
import { removeTempDirs, tempDir } from "../../support/tmp";

const fixture = path.join(packageRoot, "test", "fixtures", "codefresh-published");

describe("promote validate, graph, doctor", function () {
    this.timeout(60_000);
    after(removeTempDirs);

    it("validate prints a summary and exits 0", async () => {
        const r = await runCli(["--config", fixture, "validate"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(
            r.stdout,
            /valid: 5 environments, 2 products \(7 applications\), 4 flows, 1 policy, 4 templates, 11 workflows/,
        );
    });

    it("validate lists every problem and exits 2", async () => {
        const dir = tempDir("cli-broken");
        fs.writeFileSync(
            path.join(dir, "a.yaml"),
            "apiVersion: codefresh.io/v1beta1\nkind: PromotionFlow\nmetadata: { name: f }\n" +
                "spec: { triggerEnvironment: dev, steps: [ { environment: qa, dependsOn: [dev] } ], colour: red }\n",
        );
        const r = await runCli(["--config", dir, "validate"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /1 problem in/);
        assert.match(r.stderr, /a\.yaml:1: PromotionFlow "f": unknown field "colour"/);
        const missing = await runCli(["--config", path.join(dir, "nope"), "validate"]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /does not exist: pass --config/);
    });

    it("graph draws layers, Mermaid and DOT, with the resolved policy per environment", async () => {
        const text = await runCli(["--config", fixture, "graph", "--flow", "multi-env-sequential-promotion"]);
        assert.strictEqual(text.code, 0, text.stderr);
        assert.match(
            text.stdout,
            /multi-env-sequential-promotion {2}\(trigger dev, timeout 5m, version 3\.0\)/,
        );
        assert.match(text.stdout, /2 │ prod ⟵ qa, staging/);
        assert.match(text.stdout, /critical path: dev → qa → prod/);
        const mermaid = await runCli([
            "--config",
            fixture,
            "graph",
            "--flow",
            "demo",
            "--format",
            "mermaid",
            "--product",
            "helm-guestbook",
        ]);
        assert.strictEqual(
            mermaid.stdout.trim(),
            [
                "flowchart LR",
                '    dev(["dev (trigger: smoke-tests)"])',
                '    staging["staging: commit"]',
                "    dev --> staging",
            ].join("\n"),
        );
        const dot = await runCli(["--config", fixture, "graph", "--flow", "to-prod", "--format", "dot"]);
        assert.match(dot.stdout, /"dev" -> "production";/);
        const bad = await runCli(["--config", fixture, "graph", "--flow", "nope"]);
        assert.strictEqual(bad.code, 2);
        assert.match(bad.stderr, /unknown flow "nope" \(--flow\): one of demo, global-parallel-flow/);
    });

    it("rejects unknown commands and options with exit code 2", async () => {
        assert.strictEqual((await runCli(["frobnicate"])).code, 2);
        const r = await runCli(["--config", fixture, "graph", "--flow", "demo", "--colour", "red"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /unknown option --colour/);
    });

    it("a reader that goes away (promote graph | head) ends the CLI quietly with exit code 0", async () => {
        const run = startCli(["--config", fixture, "graph", "--flow", "multi-env-sequential-promotion"]);
        run.child.stdout!.destroy();
        const r = await run.done;
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stderr, "");
    });

    it("--version prints the package's version and exits 0", async () => {
        const r = await runCli(["--version"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as {
            version: string;
        };
        assert.strictEqual(r.stdout.trim(), pkg.version);
    });

    it("doctor exits 0 and names the engine it found, the state backend and the definitions", async () => {
        const state = `file://${path.join(tempDir("doctor-ok"), "state")}`;
        const r = await runCli(["--config", fixture, "--state", state, "doctor"]);
        assert.strictEqual(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /ok +pulumi +v3\.\d+\.\d+/);
        assert.match(r.stdout, /ok +language host/);
        assert.match(r.stdout, /ok +state backend +file:\/\/\S+ \(will be created in /);
        assert.match(r.stdout, /ok +config +\S+codefresh-published/);
    });

    it("doctor checks the state backend through Pulumi and the definitions: exit 3 with the reasons", async () => {
        const r = await runCli([
            "--config",
            "/nonexistent/defs",
            "--state",
            "s3://no-such-bucket-zz",
            "doctor",
        ]);
        assert.strictEqual(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stdout, /FAIL state backend +s3:\/\/no-such-bucket-zz: \S/);
        assert.match(r.stdout, /FAIL config +1 problem: .*\/nonexistent\/defs does not exist/);
        assert.match(r.stderr, /^error: 2 checks failed \(state backend, config\): see above$/m);
    });

    it("doctor on a fresh clone (no ./promotions yet) passes, with the next step said once", async () => {
        const cwd = tempDir("doctor-fresh");
        const r = await runCli(["doctor"], { cwd });
        assert.strictEqual(r.code, 0, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            /^next config +no definitions at \.\/promotions: run `promote init` or `npm run demo`$/m,
        );
        assert.strictEqual((r.stdout + r.stderr).match(/no definitions/g)?.length, 1);
        assert.strictEqual(r.stderr, "");
        const named = await runCli(["--config", "promotions", "doctor"], { cwd });
        assert.strictEqual(named.code, 3, named.stdout + named.stderr);
        assert.match(named.stdout, /FAIL config +1 problem: .*promotions does not exist/);
    });
});
