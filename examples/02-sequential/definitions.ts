/**
 * Seed 2: multi-environment sequential promotion, written in TypeScript: a definitions module for
 * `promote --config dist/examples/02-sequential/definitions.js`. The repository URL comes from the
 * environment (the example runner creates the repository).
 */
import type { Definitions } from "../../components/catalog";

const repoURL = process.env.EXAMPLE_REPO_URL ?? "https://github.com/acme/gitops.git";
const environments = ["dev", "qa", "prod"];

const definitions: Definitions = {
    environments: environments.map((name) => ({
        name,
        kind: name === "prod" ? "production" : "non-production",
    })),
    products: [
        {
            name: "trioapp",
            promotionTemplate: {
                versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                promotion: {
                    "Chart.yaml": { jsonPaths: ["$.appVersion"] },
                    "values.yaml": { jsonPaths: ["$.image"], excludeJsonPaths: ["$.image.pullPolicy"] },
                },
            },
            promotionFlows: [{ name: "multi-env-sequential-promotion" }],
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
            name: "multi-env-sequential-promotion",
            version: "1.0",
            description: "dev, then qa, then prod",
            triggerEnvironment: "dev",
            promotionTimeoutLimit: 5,
            steps: [
                { environment: "qa", dependsOn: ["dev"] },
                { environment: "prod", dependsOn: ["qa"] },
            ],
        },
    ],
};

export default definitions;
