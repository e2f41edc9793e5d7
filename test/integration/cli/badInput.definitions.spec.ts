import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import { definitionLimits } from "../../../components/limits";
import type { BadInputCase } from "../../support/badInput";
import { expectRefused } from "../../support/badInput";
import { runCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * Definitions that can never work are refused by the real CLI before anything is read or written: exit code
 * 2, a message naming the entity, the field (or file and line) and the fix, no stack trace, and the
 * repository's refs and the state directory unchanged.
 */

const environment = (name: string, extra = "") =>
    `apiVersion: promotions/v1alpha1\nkind: Environment\nmetadata: { name: ${name} }\n${extra}`;

/** A valid directory: dev -> qa for product web, a template, a policy and a workflow. */
function baseYaml(repoURL: string): Record<string, string> {
    const app = (env: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-${env}
  annotations: { codefresh.io/product: web, promotions/environment: ${env} }
spec:
  source: { repoURL: "${repoURL}", path: apps/web/${env}, targetRevision: main }
`;
    return {
        "environments.yaml": `${environment("dev")}---\n${environment("qa")}`,
        "flow.yaml": `apiVersion: codefresh.io/v1beta1
kind: PromotionFlow
metadata: { name: f }
spec:
  triggerEnvironment: dev
  promotionTimeoutLimit: 30m
  steps:
    - { environment: qa, dependsOn: [dev] }
`,
        "product.yaml": `apiVersion: codefresh.io/v1beta1
kind: Product
metadata: { name: web }
spec:
  promotionTemplateRef: helm
  promotionFlows: [ { name: f } ]
`,
        "template.yaml": `apiVersion: codefresh.io/v1beta1
kind: PromotionTemplate
metadata: { name: helm }
spec:
  applicationSourceSelector: { matchLabels: {} }
  priority: 1
  versionSource: { file: Chart.yaml, jsonPath: $.appVersion }
  promotion:
    values.yaml: { jsonPaths: [ $.image ] }
`,
        "policy.yaml": `apiVersion: codefresh.io/v1beta1
kind: PromotionPolicy
metadata: { name: gate }
spec:
  priority: 1
  policy: { postAction: smoke }
`,
        "workflow.yaml": `apiVersion: promotions/v1alpha1
kind: PromotionWorkflow
metadata: { name: smoke }
spec: { command: "true" }
`,
        "apps.yaml": `${app("dev")}---\n${app("qa")}`,
    };
}

type Files = Record<string, string | Buffer>;

interface YamlCase {
    readonly name: string;
    /** The directory's files, from the valid base. */
    readonly files: (base: Record<string, string>) => Files;
    readonly command?: readonly string[];
    readonly message: readonly RegExp[];
    /** What the message must not say. */
    readonly not?: readonly RegExp[];
}

/** Replaces `from` (which must occur) in one file of the base. */
const replaced =
    (file: string, from: string | RegExp, to: string) =>
    (base: Record<string, string>): Files => {
        const content = base[file].replace(from, to);
        if (content === base[file]) {
            throw new Error(`the case does not change ${file}: ${String(from)} not found`);
        }
        return { ...base, [file]: content };
    };

const added =
    (file: string, content: string | Buffer) =>
    (base: Record<string, string>): Files => ({ ...base, [file]: content });

const aliasBomb =
    "a: &a [x,x,x,x,x,x,x,x,x,x]\n" +
    "bcdefghij"
        .split("")
        .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${"abcdefghij"[i]}`).join(",")}]\n`)
        .join("");

const yamlCases: YamlCase[] = [
    {
        name: "an unknown apiVersion version (promotions/v9)",
        files: replaced("environments.yaml", "promotions/v1alpha1", "promotions/v9"),
        message: [
            /environments\.yaml:1: Environment "dev": apiVersion: unsupported apiVersion "promotions\/v9" for Environment: use apiVersion: promotions\/v1alpha1/,
        ],
    },
    {
        name: "an unknown apiVersion version (codefresh.io/v0alpha0)",
        files: replaced("flow.yaml", "codefresh.io/v1beta1", "codefresh.io/v0alpha0"),
        message: [
            /PromotionFlow "f": apiVersion: unsupported apiVersion "codefresh\.io\/v0alpha0" for PromotionFlow: use apiVersion: codefresh\.io\/v1beta1/,
        ],
    },
    {
        name: "a spec that is a string",
        files: added("more.yaml", environment("uat", "spec: production\n")),
        message: [/more\.yaml:1: Environment "uat": spec: expected a mapping, got a string \("production"\)/],
    },
    {
        name: "a spec that is a list",
        files: replaced("workflow.yaml", 'spec: { command: "true" }', "spec: [ true ]"),
        message: [/PromotionWorkflow "smoke": spec: expected a mapping, got a list/],
    },
    {
        name: "an application source that is a string",
        files: replaced("apps.yaml", /source: \{[^}]*\}/, "source: https://github.com/acme/gitops.git"),
        message: [/Application "web-dev": spec\.source: expected a mapping, got a string/],
    },
    {
        name: "an empty definitions directory",
        files: () => ({ "README.md": "no manifests here\n" }),
        message: [
            /holds no YAML files \(\*\.yaml, \*\.yml\): pass --config the directory of your promotion manifests/,
        ],
    },
    {
        name: "a directory of YAML without promotion definitions",
        files: () => ({
            "app.yaml":
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: other }\nspec: { source: { repoURL: x } }\n",
        }),
        message: [
            /holds YAML files but no promotion definitions: expected manifests of codefresh\.io\/v1beta1 Product/,
        ],
    },
    {
        name: "repoURL with the ext:: transport",
        files: (b) => replaced("apps.yaml", /repoURL: "[^"]*"/, 'repoURL: "ext::sh -c touch% /tmp/pwned"')(b),
        message: [
            /apps\.yaml:1: Application "web-dev": repoURL: "ext::sh -c touch% \/tmp\/pwned" uses git's "ext::" transport/,
            /use https:\/\//,
        ],
    },
    {
        name: "repoURL with the fd:: transport",
        files: replaced("apps.yaml", /repoURL: "[^"]*"/, 'repoURL: "fd::7"'),
        message: [/Application "web-dev": repoURL: "fd::7" uses git's "fd::" transport/],
    },
    {
        name: "repoURL starting with -",
        files: replaced("apps.yaml", /repoURL: "[^"]*"/, 'repoURL: "-oProxyCommand=touch /tmp/pwned"'),
        message: [/Application "web-dev": repoURL: .* starts with "-", so git would read it as an option/],
    },
    {
        name: "repoURL with --upload-pack",
        files: replaced("apps.yaml", /repoURL: "([^"]*)"/, 'repoURL: "$1 --upload-pack=touch /tmp/pwned"'),
        message: [/Application "web-dev": repoURL: .* contains a git option \(--upload-pack\)/],
    },
    {
        name: "repoURL with an unsupported scheme",
        files: replaced("apps.yaml", /repoURL: "[^"]*"/, 'repoURL: "ftp://example.com/gitops.git"'),
        message: [
            /Application "web-dev": repoURL: .* scheme "ftp" is not supported \(supported: https, http, ssh, git, file, and scp-like git@host:path\)/,
        ],
    },
    {
        name: "targetRevision starting with -",
        files: replaced("apps.yaml", "targetRevision: main", 'targetRevision: "--upload-pack=touch"'),
        message: [/Application "web-dev": targetRevision: "--upload-pack=touch" starts with "-"/],
    },
    {
        name: "targetRevision with ..",
        files: replaced("apps.yaml", "targetRevision: main", "targetRevision: main..dev"),
        message: [
            /Application "web-dev": targetRevision: "main\.\.dev" contains "\.\." .*git check-ref-format/,
        ],
    },
    {
        name: "targetRevision with a space",
        files: replaced("apps.yaml", "targetRevision: main", 'targetRevision: "my branch"'),
        message: [/Application "web-dev": targetRevision: "my branch" contains spaces/],
    },
    {
        name: "targetRevision with a control character",
        files: replaced("apps.yaml", "targetRevision: main", 'targetRevision: "main\\x01"'),
        message: [/Application "web-dev": targetRevision: "main\\u0001" contains control characters/],
    },
    {
        name: "targetRevision that git check-ref-format refuses (~, .lock)",
        files: (b) => replaced("apps.yaml", "targetRevision: main", "targetRevision: main~1")(b),
        message: [/Application "web-dev": targetRevision: "main~1" contains "~": git refuses it/],
    },
    {
        name: "a path leaving the repository",
        files: replaced("apps.yaml", "path: apps/web/dev", "path: ../../../etc"),
        message: [/Application "web-dev": path: "\.\.\/\.\.\/\.\.\/etc" leaves the repository with "\.\."/],
    },
    {
        name: "an absolute path",
        files: replaced("apps.yaml", "path: apps/web/dev", "path: /etc"),
        message: [
            /Application "web-dev": path: "\/etc" is absolute: give a directory relative to the repository root/,
        ],
    },
    {
        name: "a promoted file leaving the application's path",
        files: replaced("template.yaml", "values.yaml:", "../secret.yaml:"),
        message: [
            /PromotionTemplate "helm": promotion\["\.\.\/secret\.yaml"\]: file "\.\.\/secret\.yaml" leaves the application's path/,
        ],
    },
    {
        name: "an absolute versionSource.file",
        files: replaced("template.yaml", "file: Chart.yaml", "file: /etc/shadow"),
        message: [
            /PromotionTemplate "helm": versionSource\.file: "\/etc\/shadow" is absolute: name a file relative to the application's path/,
        ],
    },
    {
        name: "an unknown field",
        files: replaced("flow.yaml", "triggerEnvironment: dev", "triggerEnvironment: dev\n  colour: red"),
        message: [/flow\.yaml:1: PromotionFlow "f": unknown field "colour": remove it or check the spelling/],
    },
    {
        // A kind of another API group (a ConfigMap, a Role) is skipped and listed; one of ours is a typo.
        name: "an unknown kind of our API group",
        files: added(
            "cm.yaml",
            "apiVersion: codefresh.io/v1beta1\nkind: PromotionFlows\nmetadata: { name: stray }\n",
        ),
        message: [
            /cm\.yaml:1: PromotionFlows "stray": kind: unsupported apiVersion\/kind codefresh\.io\/v1beta1 PromotionFlows/,
        ],
    },
    {
        name: "a step in an unknown environment",
        files: replaced("flow.yaml", "environment: qa", "environment: uat"),
        message: [/PromotionFlow "f": steps\[0\]\.environment: unknown environment "uat"/],
    },
    {
        name: "a product naming an unknown flow",
        files: replaced("product.yaml", "{ name: f }", "{ name: f }, { name: nightly }"),
        message: [/Product "web": promotionFlows\[1\]\.name: unknown PromotionFlow "nightly"/],
    },
    {
        name: "a policy naming an unknown workflow",
        files: replaced("policy.yaml", "postAction: smoke", "postAction: smoke-test"),
        message: [
            /PromotionPolicy "gate": policy\.postAction: unknown workflow "smoke-test": define it as a PromotionWorkflow/,
        ],
    },
    {
        name: "a dependency cycle",
        files: (b) => ({
            ...b,
            "environments.yaml": `${b["environments.yaml"]}---\n${environment("prod")}`,
            "flow.yaml": b["flow.yaml"].replace(
                "- { environment: qa, dependsOn: [dev] }",
                "- { environment: qa, dependsOn: [prod] }\n    - { environment: prod, dependsOn: [qa] }",
            ),
        }),
        message: [/PromotionFlow "f": steps: dependency cycle (qa -> prod -> qa|prod -> qa -> prod)/],
    },
    {
        name: "a bad duration",
        files: replaced("flow.yaml", "promotionTimeoutLimit: 30m", "promotionTimeoutLimit: soon"),
        message: [/PromotionFlow "f": promotionTimeoutLimit: must be a positive duration/],
    },
    {
        name: "a wrong type is not reported as missing",
        files: replaced("flow.yaml", /steps:\n.*\n/, "steps: qa\n"),
        message: [/PromotionFlow "f": steps: expected a list, got a string \("qa"\)/],
        not: [/required field is missing/],
    },
    {
        name: "a UTF-16 file",
        not: [/metadata\.name/],
        files: added("utf16.yaml", Buffer.from(`\ufeff${environment("uat")}`, "utf16le")),
        message: [
            /utf16\.yaml: YAML: the file is UTF-16 \(little-endian byte-order mark FF FE\): save it as UTF-8/,
        ],
    },
    {
        name: "a file that is not valid YAML",
        files: added("broken.yaml", `${environment("uat")}spec: { tags: [a, b }\n`),
        message: [/broken\.yaml:4: YAML: not valid YAML \(line 4, column \d+\)/],
    },
    {
        name: "a duplicate key",
        files: added("dup.yaml", `${environment("uat")}spec: { kind: production, kind: non-production }\n`),
        message: [/dup\.yaml:4: YAML: duplicate key "kind"/],
    },
    {
        name: "an alias bomb",
        files: added("bomb.yaml", aliasBomb),
        message: [
            /bomb\.yaml:1: YAML: aliases \(\*name\) expand beyond the limit \(maxAliasCount 100\), as an alias bomb does/,
        ],
    },
    {
        name: "a huge file",
        files: added("huge.yaml", Buffer.alloc(definitionLimits.fileBytes + 1, "#")),
        message: [/huge\.yaml: YAML: the file is 1\.0 MiB, more than the limit of 1 MiB per file: split it/],
    },
    {
        name: "nesting thousands deep",
        files: added("deep.yaml", `a: ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`),
        message: [/deep\.yaml:1: YAML: mappings and lists are nested more than 64 deep/],
    },
    {
        name: "too many documents in a file",
        files: added("many.yaml", "---\na: 1\n".repeat(definitionLimits.documentsPerFile + 1)),
        message: [
            /many\.yaml: YAML: the file holds 1001 YAML documents, more than the limit of 1000 per file/,
        ],
    },
];

interface ModuleCase {
    readonly name: string;
    readonly defs: (d: Definitions) => unknown;
    readonly command: readonly string[];
    readonly message: readonly RegExp[];
}

const app0 = (d: Definitions) =>
    (d.products![0] as { applications: Record<string, unknown>[] }).applications[0];

const moduleCases: ModuleCase[] = [
    {
        name: "an ext:: repoURL",
        defs: (d) => {
            app0(d).repoURL = "ext::sh -c touch% /tmp/pwned";
            return d;
        },
        command: ["trigger", "--product", "web", "--flow", "f"],
        message: [
            /Product "web": applications\[0\]\.repoURL: "ext::sh -c touch% \/tmp\/pwned" uses git's "ext::" transport/,
        ],
    },
    {
        name: "a targetRevision that is an option",
        defs: (d) => {
            app0(d).targetRevision = "--upload-pack=touch /tmp/pwned";
            return d;
        },
        command: ["preview", "--product", "web", "--flow", "f"],
        message: [
            /Product "web": applications\[0\]\.targetRevision: "--upload-pack=touch \/tmp\/pwned" starts with "-"/,
        ],
    },
    {
        name: "a path leaving the repository",
        defs: (d) => {
            app0(d).path = "../../../etc";
            return d;
        },
        command: ["trigger", "--product", "web", "--flow", "f"],
        message: [/Product "web": applications\[0\]\.path: "\.\.\/\.\.\/\.\.\/etc" leaves the repository/],
    },
    {
        name: "a promoted file outside the application",
        defs: (d) => {
            (d.products![0] as Record<string, unknown>).promotionTemplate = {
                promotion: { "../../secret.yaml": { jsonPaths: ["$.image"] } },
            };
            return d;
        },
        command: ["trigger", "--product", "web", "--flow", "f"],
        message: [
            /Product "web": promotionTemplate\.promotion\["\.\.\/\.\.\/secret\.yaml"\]: file .* leaves the application's path/,
        ],
    },
    {
        name: "action none and no preAction",
        defs: (d) => ({
            ...d,
            promotionPolicies: [{ name: "nothing", priority: 1, policy: { action: "none" } }],
        }),
        command: ["trigger", "--product", "web", "--flow", "f"],
        message: [
            /PromotionFlow "f": steps\[0\]\.policy: action "none" for product "web" in "qa" has no preAction/,
        ],
    },
    {
        name: "a module whose lists are not lists",
        defs: (d) => ({ ...d, environments: "dev, qa" }),
        command: ["validate"],
        message: [/definitions: environments: expected a list, got a string \("dev, qa"\)/],
    },
    {
        name: "a module that defines nothing",
        defs: () => ({}),
        command: ["validate"],
        message: [/definitions\.js: the module defines nothing: export \{ environments, products/],
    },
];

describe("promote refuses definitions that can never work", function () {
    this.timeout(60_000);
    let dir: string;
    let repo: GitopsRepo;
    let state: string;
    let scenarioArgs: string[];
    let env: Record<string, string>;
    let defs: Definitions;

    before(() => {
        dir = tempDir("bad-definitions");
        const s = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                { name: "f", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
            ],
        });
        ({ repo, env, defs } = s);
        scenarioArgs = s.args;
        state = path.join(dir, "state");
        fs.mkdirSync(state, { recursive: true });
        fs.writeFileSync(path.join(state, "marker"), "the state directory before the case\n");
    });
    after(removeTempDirs);

    it("takes the valid base directory and module (the cases below each change one thing)", async () => {
        const configDir = writeYaml("base", baseYaml(repo.url));
        const r = await runCli(["--config", configDir, "--state", `file://${state}`, "validate"], { env });
        if (r.code !== 0) {
            throw new Error(`the base directory is invalid:\n${r.stderr}`);
        }
        const m = await runCli([...scenarioArgs, "validate"], { env });
        if (m.code !== 0) {
            throw new Error(`the base module is invalid:\n${m.stderr}`);
        }
    });

    function writeYaml(name: string, files: Files): string {
        const configDir = path.join(dir, `config-${name.replace(/[^a-z0-9]+/gi, "-")}`);
        fs.mkdirSync(configDir, { recursive: true });
        for (const [file, content] of Object.entries(files)) {
            fs.writeFileSync(path.join(configDir, file), content);
        }
        return configDir;
    }

    for (const c of yamlCases) {
        it(`${c.command?.[0] ?? "validate"}: ${c.name}`, async () => {
            const configDir = writeYaml(c.name, c.files(baseYaml(repo.url)));
            const refused: BadInputCase = {
                name: c.name,
                args: ["--config", configDir, "--state", `file://${state}`, ...(c.command ?? ["validate"])],
                env,
                exitCode: 2,
                message: c.message,
            };
            const r = await expectRefused(refused, { repos: [repo.bare], dirs: [state, configDir] });
            for (const re of c.not ?? []) {
                assert.doesNotMatch(r.stderr, re, c.name);
            }
        });
    }

    for (const c of moduleCases) {
        it(`${c.command[0]}: ${c.name}`, async () => {
            const moduleDir = path.join(dir, `module-${c.name.replace(/[^a-z0-9]+/gi, "-")}`);
            fs.mkdirSync(moduleDir);
            const config = writeConfigModule(moduleDir, c.defs(structuredClone(defs)) as Definitions);
            await expectRefused(
                {
                    name: c.name,
                    args: ["--config", config, "--state", `file://${state}`, ...c.command],
                    env,
                    exitCode: 2,
                    message: c.message,
                },
                { repos: [repo.bare], dirs: [state, moduleDir] },
            );
        });
    }
});
