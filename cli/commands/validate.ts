import { buildCatalog } from "../../components/catalog";
import { loadDefinitions } from "../../components/config";
import { formatIssue } from "../../components/issues";
import { approvalTimeoutWarnings } from "../../components/promotionFlow.limit";
import type { CliDeps } from "../context";
import { displayText } from "../display";
import type { ValidateCommandOptions } from "./validate.args";

const plural = (n: number, word: string) =>
    `${n} ${n === 1 ? word : word.endsWith("y") ? `${word.slice(0, -1)}ies` : `${word}s`}`;

/**
 * `promote validate`: a summary of the catalog and its warnings (stderr; still exit code 0), or every problem
 * at once (exit code 2).
 */
export async function validate(opts: ValidateCommandOptions, deps: Pick<CliDeps, "io">): Promise<number> {
    const { io } = deps;
    const { definitions, issues: loadIssues } = loadDefinitions(opts.configPath);
    const { catalog, issues } = buildCatalog(definitions);
    const all = [...loadIssues, ...issues];
    if (all.length > 0) {
        io.err(io.style.red(`${plural(all.length, "problem")} in ${displayText(opts.configPath)}:`));
        for (const issue of all) {
            io.err(`  - ${displayText(formatIssue(issue))}`);
        }
        return 2;
    }
    const apps = catalog.products.reduce((n, p) => n + p.applications.length, 0);
    io.out(
        `${io.style.green("valid")}: ${plural(catalog.environments.length, "environment")}, ` +
            `${plural(catalog.products.length, "product")} (${plural(apps, "application")}), ` +
            `${plural(catalog.promotionFlows.length, "flow")}, ${plural(catalog.promotionPolicies.length, "policy")}, ` +
            `${plural(catalog.promotionTemplates.length, "template")}, ${plural(catalog.promotionWorkflows.length, "workflow")}`,
    );
    for (const warning of approvalTimeoutWarnings(catalog)) {
        io.err(io.style.yellow(`warning: ${displayText(formatIssue(warning))}`));
    }
    return 0;
}
