import type { Definitions } from "../../components/catalog";
import type { Subject } from "../../model/subject";

/**
 * The permission matrix's world: product "shop" in dev, qa (non-production) and prod (production), flows
 * "to-qa" (dev → qa) and "to-prod" (dev → qa → prod), and three subjects: a developer (promote, trigger, retry
 * on non-production), a release manager (promote, approve, rollback, hold, retry, terminate anywhere) and an
 * admin.
 */
export function permissionDefinitions(repoURL = "file:///nowhere"): Definitions {
    const envs = [
        { name: "dev", kind: "non-production" as const },
        { name: "qa", kind: "non-production" as const },
        { name: "prod", kind: "production" as const, tags: ["customer-facing"] },
    ];
    return {
        environments: envs,
        products: [
            {
                name: "shop",
                tags: ["web"],
                promotionTemplate: {
                    versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                    promotion: { "Chart.yaml": { jsonPaths: ["$.appVersion"] } },
                },
                promotionFlows: [{ name: "to-qa" }, { name: "to-prod" }],
                applications: envs.map((e) => ({
                    name: `shop-${e.name}`,
                    environment: e.name,
                    repoURL,
                    path: `apps/shop/${e.name}`,
                    targetRevision: "main",
                })),
            },
        ],
        promotionFlows: [
            { name: "to-qa", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
            {
                name: "to-prod",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "prod", dependsOn: ["qa"] },
                ],
            },
        ],
        promotionPermissions: [
            {
                name: "developers-non-production",
                subjects: [{ group: "developers" }],
                actions: ["promote", "trigger", "retry"],
                environments: { kinds: ["non-production"] },
            },
            {
                name: "release-managers",
                subjects: [{ group: "release-managers" }],
                actions: ["promote", "approve", "rollback", "hold", "retry", "terminate"],
                products: { names: ["shop"] },
            },
            { name: "admins", subjects: [{ user: "root" }], actions: ["admin"] },
        ],
    };
}

export const developer: Subject = { user: "dev1", groups: ["developers"], via: "token" };
export const releaseManager: Subject = { user: "rm1", groups: ["release-managers"], via: "token" };
export const admin: Subject = { user: "root", groups: [], via: "token" };
export const stranger: Subject = { user: "guest", groups: ["visitors"], via: "proxy" };
