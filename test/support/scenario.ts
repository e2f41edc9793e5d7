import * as path from "path";
import type { Catalog, Definitions } from "../../components/catalog";
import { buildCatalog } from "../../components/catalog";
import { formatIssue } from "../../components/issues";
import type { ProgressEvent } from "../../engine/promoteEngine";
import { PromoteEngine } from "../../engine/promoteEngine";
import { testEngine, testPassphrase } from "./engine";

/** The template every scenario uses: image and version values, never the environment-specific ones. */
export const helmTemplate = {
    versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
    promotion: {
        "Chart.yaml": { jsonPaths: ["$.appVersion"] },
        "values.yaml": { jsonPaths: ["$.image"], excludeJsonPaths: ["$.image.pullPolicy"] },
    },
};

/** Definitions for one product with an application per environment in one repository. */
export function scenario(opts: {
    product: string;
    repoURL: string;
    environments: readonly { name: string; kind?: "production" | "non-production" }[];
    flows: Definitions["promotionFlows"];
    policies?: Definitions["promotionPolicies"];
    workflows?: Definitions["promotionWorkflows"];
    concurrency?: "queue" | "terminate";
}): Catalog {
    const { catalog, issues } = buildCatalog({
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
    });
    if (issues.length > 0) {
        throw new Error(issues.map(formatIssue).join("\n"));
    }
    return catalog;
}

/** A promote engine on a temporary file:// backend and clone cache under `dir`. */
export async function testPromoteEngine(
    dir: string,
    catalog: Catalog,
    extra: { onProgress?: (e: ProgressEvent) => void; gitTokens?: Record<string, string> } = {},
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
