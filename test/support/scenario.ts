import * as fs from "fs";
import * as path from "path";
import type { Catalog, Definitions } from "../../components/catalog";
import { buildCatalog } from "../../components/catalog";
import { formatIssue } from "../../components/issues";
import type { PromoteEngineOptions } from "../../engine/promoteEngine";
import { PromoteEngine } from "../../engine/promoteEngine";
import { testEngine, testPassphrase } from "./engine";
import { GitopsRepo, gitopsRepoFor, helmApp } from "./gitops";

/** The template every scenario uses: image and version values, never the environment-specific ones. */
export const helmTemplate = {
    versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
    promotion: {
        "Chart.yaml": { jsonPaths: ["$.appVersion"] },
        "values.yaml": { jsonPaths: ["$.image"], excludeJsonPaths: ["$.image.pullPolicy"] },
    },
};

/** dev → qa → staging → prod (production), one flow "seq": the layout the fault and trust tests release through. */
export const fourStages = {
    environments: [
        { name: "dev" },
        { name: "qa" },
        { name: "staging" },
        { name: "prod", kind: "production" },
    ],
    flows: [
        {
            name: "seq",
            triggerEnvironment: "dev",
            steps: [
                { environment: "qa", dependsOn: ["dev"] },
                { environment: "staging", dependsOn: ["qa"] },
                { environment: "prod", dependsOn: ["staging"] },
            ],
        },
    ],
} satisfies Pick<ScenarioOptions, "environments" | "flows">;

export interface ScenarioOptions {
    product: string;
    repoURL: string;
    environments: readonly { name: string; kind?: "production" | "non-production" }[];
    flows: Definitions["promotionFlows"];
    policies?: Definitions["promotionPolicies"];
    workflows?: Definitions["promotionWorkflows"];
    concurrency?: "queue" | "terminate";
}

/** Definitions for one product with an application per environment in one repository. */
export function scenarioDefinitions(opts: ScenarioOptions): Definitions {
    return {
        environments: opts.environments.map((e) => ({ name: e.name, kind: e.kind ?? "non-production" })),
        products: [
            {
                name: opts.product,
                promotionTemplate: helmTemplate,
                promotionFlows: (opts.flows ?? []).map((f) => ({ name: f.name })),
                concurrency: opts.concurrency ?? "queue",
                applications: opts.environments.map((e) => ({
                    name: `${opts.product}-${e.name}`,
                    environment: e.name,
                    repoURL: opts.repoURL,
                    path: `apps/${opts.product}/${e.name}`,
                    targetRevision: "main",
                })),
            },
        ],
        promotionFlows: opts.flows,
        promotionPolicies: opts.policies,
        promotionWorkflows: opts.workflows,
    };
}

/**
 * Several products, each with an application per environment (`apps/<product>/<env>`) in one repository,
 * released by one flow `seq`: dev → qa → prod. Returns the repository and the definitions (add policies and
 * workflows to taste).
 */
export function productsInOneRepository(
    dir: string,
    products: readonly string[],
): { repo: GitopsRepo; defs: Definitions } {
    const envs = ["dev", "qa", "prod"];
    const files: Record<string, string> = {};
    for (const p of products) {
        for (const env of envs) {
            for (const [file, content] of Object.entries(helmApp(p, env))) {
                files[`apps/${p}/${env}/${file}`] = content;
            }
        }
    }
    const repo = GitopsRepo.create(dir, "gitops", files);
    const each = products.map((product) =>
        scenarioDefinitions({
            product,
            repoURL: repo.url,
            environments: envs.map((name) => ({ name })),
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
        }),
    );
    return { repo, defs: { ...each[0], products: each.flatMap((d) => d.products ?? []) } };
}

/** The validated catalog of {@link scenarioDefinitions}. */
export function scenario(opts: ScenarioOptions): Catalog {
    const { catalog, issues } = buildCatalog(scenarioDefinitions(opts));
    if (issues.length > 0) {
        throw new Error(issues.map(formatIssue).join("\n"));
    }
    return catalog;
}

/** Writes the definitions as a JS module for `promote --config <file>`; returns its path. */
export function writeConfigModule(dir: string, defs: Definitions): string {
    const file = path.join(dir, "definitions.js");
    fs.writeFileSync(file, `module.exports = ${JSON.stringify(defs, null, 2)};\n`);
    return file;
}

/** A promote engine on a temporary file:// backend and clone cache under `dir`. */
export async function testPromoteEngine(
    dir: string,
    catalog: Catalog,
    extra: Partial<
        Pick<
            PromoteEngineOptions,
            | "onProgress"
            | "gitTokens"
            | "argo"
            | "argocd"
            | "workflowDir"
            | "github"
            | "clock"
            | "notifications"
            | "publicUrl"
            | "runtime"
            | "drain"
        >
    > = {},
): Promise<PromoteEngine> {
    return PromoteEngine.create({
        catalog,
        engine: await testEngine(),
        backendUrl: `file://${path.join(dir, "state")}`,
        passphrase: testPassphrase,
        gitCacheDir: path.join(dir, "git-cache"),
        pollIntervalMs: 500,
        ...extra,
    });
}

/**
 * A scenario for CLI tests: a repository with `web` in every environment, the definitions as a config
 * module, and the arguments and environment to run `promote` against a private state and clone cache.
 */
export function cliScenario(
    dir: string,
    opts: Omit<ScenarioOptions, "product" | "repoURL">,
): { repo: GitopsRepo; args: string[]; env: Record<string, string>; defs: Definitions } {
    const repo = gitopsRepoFor(
        dir,
        "web",
        opts.environments.map((e) => e.name),
    );
    const defs = scenarioDefinitions({ ...opts, product: "web", repoURL: repo.url });
    const config = writeConfigModule(dir, defs);
    return {
        repo,
        defs,
        args: ["--config", config, "--state", `file://${path.join(dir, "state")}`],
        env: {
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
        },
    };
}
