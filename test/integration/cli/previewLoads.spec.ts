/**
 * `promote preview` (in-process) and `promote validate` never run Pulumi, so they must not load its SDK: the
 * SDK (`@pulumi/pulumi`, with the Automation API and the closure serializer that pulls in npm's arborist) is
 * about a second of start-up, most of what a warm preview costs beyond reading the files (issue 24, P3). The
 * real `promote` executable runs with a preloaded module that records every module it loads.
 */
import * as assert from "assert";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { runCli } from "../../support/cli";
import { helmApp } from "../../support/gitops";
import type { LoadedModule } from "../../support/loadRecorder";
import { readLoads, recordLoads } from "../../support/loadRecorder";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** The packages a command that runs no Pulumi program must leave alone. */
const pulumiSdk = /[\\/]node_modules[\\/]@pulumi[\\/](pulumi|policy)[\\/]/;

const relative = (file: string) => path.relative(packageRoot, file);

/**
 * Fails naming each SDK entry point loaded and the chain of modules that required it, our own first, so the
 * import to make lazy is in the message.
 */
function assertNoSdk(loads: readonly LoadedModule[]): void {
    const parentOf = new Map(loads.map((m) => [m.file, m.parent]));
    const isSdk = (f: string | undefined) => f !== undefined && pulumiSdk.test(f);
    const entries = loads.filter((m) => isSdk(m.file) && !isSdk(m.parent));
    const chains = entries.map((m) => {
        const chain = [m.file];
        for (let p = m.parent; p && chain.length < 30; p = parentOf.get(p)) {
            chain.push(p);
        }
        return `  ${chain.map(relative).join("\n    <- ")}`;
    });
    assert.deepStrictEqual(
        chains,
        [],
        `the Pulumi SDK was loaded (make these imports lazy, or import types with 'import type'):\n${chains.join("\n")}`,
    );
}

describe("promote preview and validate: no Pulumi SDK loaded", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    let dir: string;
    let args: string[];
    let env: Record<string, string>;

    before(() => {
        dir = tempDir("preview-loads");
        const s = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        });
        ({ args, env } = s);
        const dev = helmApp("web", "dev", "2.0.0");
        s.repo.commit({ "apps/web/dev/values.yaml": dev["values.yaml"] }, "web 2.0.0 in dev");
    });

    async function loadsOf(
        command: string[],
        name: string,
    ): Promise<{ stdout: string; loads: LoadedModule[] }> {
        const file = path.join(dir, `${name}.loads.json`);
        const r = await runCli([...args, ...command], { env: { ...env, ...recordLoads(file) } });
        assert.strictEqual(r.code, 0, r.stdout + r.stderr);
        return { stdout: r.stdout, loads: readLoads(file) };
    }

    it("preview reads the live repository and shows the change without loading @pulumi/pulumi or @pulumi/policy", async () => {
        const { stdout, loads } = await loadsOf(
            ["preview", "--product", "web", "--flow", "seq", "--json"],
            "preview",
        );
        const result = JSON.parse(stdout) as {
            environments: { name: string; applications: { changes: { path: string; to: unknown }[] }[] }[];
        };
        assert.deepStrictEqual(
            result.environments.map((e) => [
                e.name,
                e.applications[0].changes.map((c) => `${c.path} ${String(c.to)}`),
            ]),
            [["qa", ["$.image.tag 2.0.0"]]],
        );
        // The recorder saw the command's own modules (a recorder that saw nothing would pass the check below).
        const files = loads.map((m) => relative(m.file));
        for (const own of ["dist/cli/commands/preview.js", "dist/engine/release/preview.js"]) {
            assert.ok(files.includes(own), `${own} not among the ${files.length} modules recorded`);
        }
        assertNoSdk(loads);
    });

    it("validate checks the definitions without loading @pulumi/pulumi or @pulumi/policy", async () => {
        const { stdout, loads } = await loadsOf(["validate"], "validate");
        assert.match(stdout, /^valid: 2 environments, 1 product/m);
        assert.ok(loads.some((m) => relative(m.file) === "dist/components/catalog.js"));
        assertNoSdk(loads);
    });

    it("the check sees the SDK when a command does load it (promote stack opens the promote stack)", async () => {
        const { loads } = await loadsOf(["stack", "--product", "web"], "stack");
        assert.throws(
            () => assertNoSdk(loads),
            /the Pulumi SDK was loaded[\s\S]*node_modules\/@pulumi\/pulumi/,
        );
    });
});
