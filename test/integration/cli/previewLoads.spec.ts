/**
 * `promote preview` (in-process) and `promote validate` never run Pulumi, so they must not load its SDK: the
 * SDK (`@pulumi/pulumi`, with the Automation API and the closure serializer that pulls in npm's arborist) is
 * about a second of start-up, most of what a warm preview costs beyond reading the files (issue 24, P3). The
 * real `promote` executable runs with a preloaded module that records every module it loads.
 */
import * as assert from "assert";
import * as fs from "fs";
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

/** The schemas' validation and the code hosts' clients: a preview whose definitions are cached needs neither. */
const zod = /[\\/]node_modules[\\/]zod[\\/]/;
const octokit = /[\\/]node_modules[\\/]@octokit[\\/]/;

/**
 * Fails naming each entry point of `what` loaded and the chain of modules that required it, our own first, so
 * the import to make lazy is in the message.
 */
function assertNotLoaded(loads: readonly LoadedModule[], packages: RegExp, what: string): void {
    const parentOf = new Map(loads.map((m) => [m.file, m.parent]));
    const isIt = (f: string | undefined) => f !== undefined && packages.test(f);
    const entries = loads.filter((m) => isIt(m.file) && !isIt(m.parent));
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
        `${what} was loaded (make these imports lazy, or import types with 'import type'):\n${chains.join("\n")}`,
    );
}

const assertNoSdk = (loads: readonly LoadedModule[]) => assertNotLoaded(loads, pulumiSdk, "the Pulumi SDK");

describe("promote preview and validate: no Pulumi SDK loaded", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    let dir: string;
    let args: string[];
    let env: Record<string, string>;
    let repoURL: string;

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
        repoURL = s.repo.url;
        const dev = helmApp("web", "dev", "2.0.0");
        s.repo.commit({ "apps/web/dev/values.yaml": dev["values.yaml"] }, "web 2.0.0 in dev");
    });

    async function loadsOf(
        command: string[],
        name: string,
        global: readonly string[] = args,
    ): Promise<{ stdout: string; loads: LoadedModule[] }> {
        const file = path.join(dir, `${name}.loads.json`);
        const r = await runCli([...global, ...command], { env: { ...env, ...recordLoads(file) } });
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

    it("a preview whose definitions are unchanged loads neither zod (the schemas) nor Octokit (the code hosts)", async () => {
        // YAML definitions (a config module is always run, never cached), as Codefresh users write them.
        const yamlDir = path.join(dir, "yaml");
        fs.mkdirSync(yamlDir, { recursive: true });
        const application = (e: string) =>
            `---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-${e}\n` +
            `  annotations: { codefresh.io/product: web, promotions/environment: ${e} }\n` +
            `spec:\n  source: { repoURL: "${repoURL}", path: apps/web/${e}, targetRevision: main }\n` +
            `  destination: { server: https://kubernetes.default.svc, namespace: web-${e} }\n`;
        fs.writeFileSync(
            path.join(yamlDir, "promotions.yaml"),
            ["dev", "qa"]
                .map(
                    (e) =>
                        `---\napiVersion: promotions/v1alpha1\nkind: Environment\nmetadata: { name: ${e} }\n`,
                )
                .join("") +
                "---\napiVersion: codefresh.io/v1beta1\nkind: Product\nmetadata: { name: web }\nspec:\n" +
                "  promotionTemplate: { promotion: { values.yaml: { jsonPaths: [$.image.tag] } } }\n" +
                "  promotionFlows: [{ name: seq }]\n" +
                "---\napiVersion: codefresh.io/v1beta1\nkind: PromotionFlow\nmetadata: { name: seq }\n" +
                "spec: { triggerEnvironment: dev, steps: [{ environment: qa, dependsOn: [dev] }] }\n" +
                application("dev") +
                application("qa"),
        );
        const yamlArgs = [
            "--config",
            yamlDir,
            ...args.filter((a, i) => a !== "--config" && args[i - 1] !== "--config"),
        ];
        const preview = ["preview", "--product", "web", "--flow", "seq", "--json"];
        await loadsOf(preview, "preview-first", yamlArgs);
        const { stdout, loads } = await loadsOf(preview, "preview-again", yamlArgs);
        assert.match(stdout, /"\$\.image\.tag"/);
        assertNotLoaded(loads, zod, "zod");
        assertNotLoaded(loads, octokit, "Octokit");
        // The check sees zod when it is loaded: a changed definitions file is parsed and checked again.
        fs.appendFileSync(path.join(yamlDir, "promotions.yaml"), "# changed\n");
        const { loads: parsing } = await loadsOf(preview, "preview-changed", yamlArgs);
        assert.throws(() => assertNotLoaded(parsing, zod, "zod"), /zod was loaded/);
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
