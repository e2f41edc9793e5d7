import type { Definitions } from "../../components/catalog";
import { checkDefinitions } from "../../components/config";
import { formatIssue } from "../../components/issues";
import { approvalTimeoutWarnings } from "../../components/promotionFlow.limit";
import type { CliDeps } from "../context";
import { displayText } from "../display";
import type { ValidateCommandOptions } from "./validate.args";

const plural = (n: number, word: string) =>
    `${n} ${n === 1 ? word : word.endsWith("y") ? `${word.slice(0, -1)}ies` : `${word}s`}`;

/**
 * What the loader left alone, one line per reason: `skipped: 3 manifests of kinds ServiceAccount, Role,
 * RoleBinding`, then Applications of no product and WorkflowTemplates that are not promotion workflows.
 */
export function skippedLines(skipped: Definitions["skipped"]): string[] {
    const lines: string[] = [];
    const all = skipped ?? [];
    const foreign = all.filter((s) => s.reason === "foreign");
    if (foreign.length > 0) {
        const kinds = [...new Set(foreign.map((s) => s.kind))];
        lines.push(
            `skipped: ${plural(foreign.length, "manifest")} of ${kinds.length === 1 ? "kind" : "kinds"} ${kinds.join(", ")}`,
        );
    }
    const named = (reason: string, what: string, why: string) => {
        const these = all.filter((s) => s.reason === reason);
        if (these.length > 0) {
            lines.push(
                `skipped: ${plural(these.length, what)} ${why} (${these.map((s) => s.name ?? s.origin).join(", ")})`,
            );
        }
    };
    named("no-product", "Application", "without annotation codefresh.io/product");
    named("not-promotion", "WorkflowTemplate", "not annotated codefresh.io/workflow-origin: promotion");
    return lines;
}

/**
 * `promote validate`: a summary of the catalog, or every problem at once (exit code 2). Manifests that are not
 * ours are listed as skipped; warnings and notes never change the exit code. Runs nothing and reaches no
 * server, so it needs none configured.
 */
export async function validate(opts: ValidateCommandOptions, deps: Pick<CliDeps, "io">): Promise<number> {
    const { io } = deps;
    const {
        catalog,
        issues: all,
        warnings,
        notes,
        skipped,
    } = checkDefinitions(
        opts.configPath,
        {},
        opts.definitionsCacheDir ? { dir: opts.definitionsCacheDir } : undefined,
    );
    for (const line of skippedLines(skipped)) {
        io.out(line);
    }
    if (all.length > 0) {
        io.err(io.style.red(`${plural(all.length, "problem")} in ${displayText(opts.configPath)}:`));
        for (const issue of all) {
            io.err(`  - ${displayText(formatIssue(issue))}`);
        }
        return 2;
    }
    for (const w of warnings) {
        io.out(io.style.yellow(`warning: ${displayText(formatIssue(w))}`));
    }
    for (const n of notes) {
        io.out(`note: ${displayText(formatIssue(n))}`);
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
