import { buildCatalog } from "../../components/catalog";
import { loadDefinitions } from "../../components/config";
import { formatIssue } from "../../components/issues";
import type { CliContext } from "../context";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `promote validate`: a summary of the catalog, or every problem at once (exit code 2). */
export async function validate(ctx: CliContext): Promise<number> {
    const { definitions, issues: loadIssues } = loadDefinitions(ctx.configPath);
    const { catalog, issues } = buildCatalog(definitions);
    const all = [...loadIssues, ...issues];
    if (all.length > 0) {
        ctx.err(ctx.style.red(`${plural(all.length, "problem")} in ${ctx.configPath}:`));
        for (const issue of all) {
            ctx.err(`  - ${formatIssue(issue)}`);
        }
        return 2;
    }
    const apps = catalog.products.reduce((n, p) => n + p.applications.length, 0);
    ctx.out(
        `${ctx.style.green("valid")}: ${plural(catalog.environments.length, "environment")}, ` +
            `${plural(catalog.products.length, "product")} (${plural(apps, "application")}), ` +
            `${plural(catalog.promotionFlows.length, "flow")}, ${plural(catalog.promotionPolicies.length, "policy").replace("policys", "policies")}, ` +
            `${plural(catalog.promotionTemplates.length, "template")}, ${plural(catalog.promotionWorkflows.length, "workflow")}`,
    );
    return 0;
}
