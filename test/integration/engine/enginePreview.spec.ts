import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../../../components/config";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import type { PreviewResult } from "../../../engine/promoteEngine";
import { PromoteEngine } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { ExampleWorkspace } from "../../../examples/workspace";
import { testEngine, testPassphrase } from "../../support/engine";

interface Scenario {
    readonly product: string;
    readonly environments: readonly string[];
    readonly ship: { readonly environment: string; readonly version: string };
    readonly commands: readonly { readonly args: readonly string[] }[];
}

/** One example of examples/, set up the way examples/run.ts does, with a promote engine on its own state. */
function example(name: string) {
    const dir = path.join(packageRoot, "examples", name);
    const scenario = JSON.parse(fs.readFileSync(path.join(dir, "scenario.json"), "utf8")) as Scenario;
    const ws = new ExampleWorkspace(path.join("test-engine-preview", name));
    ws.createRepository(scenario.product, scenario.environments);
    process.env.EXAMPLE_REPO_URL = `file://${ws.bare}`;
    const config = fs.existsSync(path.join(dir, "promotions"))
        ? ws.definitions(path.join(dir, "promotions"))
        : path.join(packageRoot, "dist", "examples", name, "definitions.js");
    ws.ship(scenario.product, scenario.ship.environment, scenario.ship.version);
    // The release the example runs: a flow (`trigger --flow F`) or a manual promotion (`promote --from --to`).
    const release = scenario.commands.find((c) => c.args[0] === "trigger" || c.args[0] === "promote")!.args;
    const arg = (name: string) => release[release.indexOf(name) + 1];
    const target =
        release[0] === "trigger" ? { flow: arg("--flow") } : { from: arg("--from"), to: arg("--to") };
    const developer = path.join(ws.root, "developer");
    return {
        ws,
        scenario,
        target: { product: scenario.product, target },
        stateDir: path.join(ws.root, "state"),
        engine: async () =>
            PromoteEngine.create({
                catalog: loadCatalog(config),
                engine: await testEngine(),
                backendUrl: `file://${path.join(ws.root, "state")}`,
                passphrase: testPassphrase,
                gitCacheDir: path.join(ws.root, "git-cache"),
                workflowDir: fs.statSync(config).isDirectory() ? config : path.dirname(config),
                pollIntervalMs: 500,
            }),
        /** A developer (or an operator, by hand) sets one file's image tag and pushes. */
        edit(env: string, from: string, to: string) {
            ws.git(["pull", "--quiet", "--ff-only", "origin", "main"], developer);
            const p = path.join(developer, "apps", scenario.product, env, "values.yaml");
            fs.writeFileSync(p, fs.readFileSync(p, "utf8").replace(`tag: "${from}"`, `tag: "${to}"`));
            ws.git(["commit", "--quiet", "-am", `${env}: tag ${to} by hand`], developer);
            ws.git(["push", "--quiet", "origin", "main"], developer);
        },
        /** Every ref of the GitOps repository and the promote stack's checkpoint: what a preview must not change. */
        written() {
            const checkpoint = path.join(
                ws.root,
                "state",
                ".pulumi",
                "stacks",
                "promotions",
                `${scenario.product}.json`,
            );
            return {
                refs: ws.git(["for-each-ref", "--format=%(refname) %(objectname)"], ws.bare),
                checkpoint: fs.existsSync(checkpoint) ? fs.readFileSync(checkpoint, "utf8") : "(none)",
            };
        },
    };
}

const changed = (p: PreviewResult) => p.environments.filter((e) => e.wouldChange).map((e) => e.name);

/** Per environment and application, the value changes (file, JSONPath, from, to): a preview's or a record's. */
function changesOf(environments: PreviewResult["environments"] | ReleaseRecord["environments"]) {
    const out: Record<string, Record<string, string[]>> = {};
    for (const e of environments) {
        for (const a of e.applications) {
            const lines = (a.changes ?? []).map((c) => `${c.file} ${c.path}: ${c.from} -> ${c.to}`).sort();
            if (lines.length > 0) {
                (out[e.name] ??= {})[a.name] = lines;
            }
        }
    }
    return out;
}

describe("promote preview --engine: a real pulumi preview gives the in-process preview's answer", function () {
    this.timeout(600_000);
    after(() =>
        fs.rmSync(path.join(packageRoot, ".promotions", "test-engine-preview"), {
            recursive: true,
            force: true,
        }),
    );

    for (const name of ["01-drag-and-drop", "02-sequential", "03-gates", "04-parallel", "05-dependencies"]) {
        it(`${name}: before the first release, after it and after a new version; nothing written`, async () => {
            const ex = example(name);
            const engine = await ex.engine();
            await engine.stackInfo(ex.scenario.product); // creates the promote stack (not the preview's doing)
            const first = await engine.preview(ex.target);
            assert.ok(changed(first).length > 0, "the shipped version is not everywhere yet");
            const before = ex.written();
            assert.deepStrictEqual(await engine.previewWithEngine(ex.target), first);
            assert.deepStrictEqual(ex.written(), before, "an engine preview wrote something");

            const release = await engine.release(ex.target);
            assert.strictEqual(release.status, "Succeeded", JSON.stringify(release, null, 2));
            // What the preview showed is exactly what the release then recorded as changed.
            assert.deepStrictEqual(changesOf(release.environments), changesOf(first.environments));
            // Everything promoted: both say nothing to change (the engine: every resource `same`).
            const settled = await engine.preview(ex.target);
            assert.deepStrictEqual(changed(settled), []);
            assert.deepStrictEqual(await engine.previewWithEngine(ex.target), settled);

            ex.edit(ex.scenario.ship.environment, ex.scenario.ship.version, "9.9.9");
            const next = await engine.preview(ex.target);
            assert.ok(changed(next).length > 0);
            const written = ex.written();
            assert.deepStrictEqual(await engine.previewWithEngine(ex.target), next);
            assert.deepStrictEqual(ex.written(), written, "an engine preview wrote something");
        });
    }

    it("02-sequential: a target edited by hand shows in both previews", async () => {
        const ex = example("02-sequential");
        const engine = await ex.engine();
        assert.strictEqual((await engine.release(ex.target)).status, "Succeeded");
        ex.edit("qa", ex.scenario.ship.version, "0.0.1-hotfix");
        const inProcess = await engine.preview(ex.target);
        assert.deepStrictEqual(changed(inProcess), ["qa"]);
        const qa = inProcess.environments.find((e) => e.name === "qa")!;
        assert.ok(
            qa.applications.some((a) =>
                a.changes.some(
                    (c) => c.path === "$.image.tag" && c.from === "0.0.1-hotfix" && c.to === "1.2.0",
                ),
            ),
            JSON.stringify(qa, null, 2),
        );
        const written = ex.written();
        assert.deepStrictEqual(await engine.previewWithEngine(ex.target), inProcess);
        assert.deepStrictEqual(ex.written(), written);
        // The trigger that follows records exactly the hand edit's repair.
        const repaired = await engine.release(ex.target);
        assert.strictEqual(repaired.status, "Succeeded");
        assert.deepStrictEqual(changesOf(repaired.environments), changesOf(inProcess.environments));
    });
});
