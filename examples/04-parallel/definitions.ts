/**
 * Seed 4: parallel multi-environment promotion, in TypeScript: after staging, three production regions are
 * promoted at the same time.
 */
import type { Definitions } from "../../components/catalog";

const repoURL = process.env.EXAMPLE_REPO_URL ?? "https://github.com/acme/gitops.git";
const regions = ["prod-us", "prod-eu", "prod-ap"];
const environments = ["dev", "staging", ...regions];

const definitions: Definitions = {
    environments: environments.map((name) => ({
        name,
        kind: name.startsWith("prod") ? "production" : "non-production",
        tags: name.startsWith("prod") ? ["customer-facing"] : [],
    })),
    products: [
        {
            name: "trioapp",
            promotionTemplate: {
                versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                promotion: {
                    "Chart.yaml": { jsonPaths: ["$.appVersion"] },
                    "values.yaml": { jsonPaths: ["$.image.tag"] },
                },
            },
            promotionFlows: [{ name: "global-parallel-flow" }],
            applications: environments.map((env) => ({
                name: `trioapp-${env}`,
                environment: env,
                repoURL,
                path: `apps/trioapp/${env}`,
                targetRevision: "main",
            })),
        },
    ],
    promotionFlows: [
        {
            name: "global-parallel-flow",
            version: "1.0",
            triggerEnvironment: "dev",
            steps: [
                { environment: "staging", dependsOn: ["dev"] },
                ...regions.map((environment) => ({ environment, dependsOn: ["staging"] })),
            ],
        },
    ],
};

export default definitions;
