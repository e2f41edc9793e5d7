import { loadCatalog } from "../../components/config";
import { formatDuration } from "../../model/duration";
import { InvalidInputError } from "../../model/errors";
import { flowGraph, toDot, toMermaid } from "../../components/promotionFlow.graph";
import { resolvePolicy } from "../../components/promotionPolicy.merge";
import { requireFlag, stringFlag } from "../args";
import type { CliContext } from "../context";

/**
 * `promote graph --flow F [--format text|mermaid|dot] [--product P]`: the flow as a picture. With a product,
 * each environment shows its resolved action and workflows.
 */
export async function graph(ctx: CliContext): Promise<number> {
    const catalog = loadCatalog(ctx.configPath);
    const flowName = requireFlag(
        ctx.args,
        "flow",
        `one of: ${catalog.promotionFlows.map((f) => f.name).join(", ")}`,
    );
    const flow = catalog.promotionFlows.find((f) => f.name === flowName);
    if (!flow) {
        throw new InvalidInputError(
            `unknown flow "${flowName}": one of ${catalog.promotionFlows.map((f) => f.name).join(", ") || "(none defined)"}`,
        );
    }
    const productName = stringFlag(ctx.args, "product");
    const product = productName ? catalog.products.find((p) => p.name === productName) : undefined;
    if (productName && !product) {
        throw new InvalidInputError(`unknown product "${productName}"`);
    }
    const label = (env: string): string => {
        if (env === flow.triggerEnvironment) {
            return flow.triggerWorkflow ? `${env} (trigger: ${flow.triggerWorkflow})` : `${env} (trigger)`;
        }
        const environment = catalog.environments.find((e) => e.name === env);
        if (!product || !environment) {
            return env;
        }
        const step = flow.steps.find((s) => s.environment === env);
        const p = resolvePolicy(catalog.promotionPolicies, { product, environment }, step?.policy);
        const parts = [
            p.preAction && `pre: ${p.preAction}`,
            p.action,
            p.postAction && `post: ${p.postAction}`,
        ];
        return `${env}: ${parts.filter(Boolean).join(" → ")}`;
    };
    const g = flowGraph(flow);
    const format = stringFlag(ctx.args, "format") ?? "text";
    if (format === "mermaid") {
        ctx.out(toMermaid(g, label));
    } else if (format === "dot") {
        ctx.out(toDot(g, label));
    } else if (format === "text") {
        const meta = [`trigger ${flow.triggerEnvironment}`, `timeout ${formatDuration(flow.timeoutMs)}`];
        if (flow.version) {
            meta.push(`version ${flow.version}`);
        }
        ctx.out(`${ctx.style.bold(flow.name)}  (${meta.join(", ")})`);
        g.layers.forEach((layer, i) => {
            const cells = layer.map((env) =>
                i === 0 ? label(env) : `${label(env)} ${ctx.style.dim(`⟵ ${g.dependsOn[env].join(", ")}`)}`,
            );
            ctx.out(`  ${String(i).padStart(2)} │ ${cells.join("   ")}`);
        });
        ctx.out(`  critical path: ${g.criticalPath.join(" → ")}`);
    } else {
        throw new InvalidInputError(`unknown --format "${format}": text, mermaid or dot`);
    }
    return 0;
}
