import { formatDuration } from "../../model/duration";
import { InvalidInputError } from "../../model/errors";
import { flowGraph, toDot, toMermaid } from "../../components/promotionFlow.graph";
import { resolvePolicy } from "../../components/promotionPolicy.merge";
import type { GraphCommandOptions } from "./graph.args";
import type { CliDeps } from "../context";

/**
 * `promote graph --flow F [--format text|mermaid|dot] [--product P]`: the flow as a picture. With a product,
 * each environment shows its resolved action and workflows.
 */
export async function graph(
    opts: GraphCommandOptions,
    deps: Pick<CliDeps, "io" | "catalog">,
): Promise<number> {
    const { io } = deps;
    const catalog = deps.catalog();
    const flow = catalog.promotionFlows.find((f) => f.name === opts.flow);
    if (!flow) {
        throw new InvalidInputError(
            `unknown flow "${opts.flow}" (--flow): one of ${catalog.promotionFlows.map((f) => f.name).join(", ") || "(none defined)"}`,
            { path: "--flow" },
        );
    }
    const product = opts.product ? catalog.products.find((p) => p.name === opts.product) : undefined;
    if (opts.product && !product) {
        throw new InvalidInputError(
            `unknown product "${opts.product}" (--product): one of ${catalog.products.map((p) => p.name).join(", ") || "(none defined)"}`,
            { path: "--product" },
        );
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
    if (opts.format === "mermaid") {
        io.out(toMermaid(g, label));
    } else if (opts.format === "dot") {
        io.out(toDot(g, label));
    } else {
        const meta = [`trigger ${flow.triggerEnvironment}`, `timeout ${formatDuration(flow.timeoutMs)}`];
        if (flow.version) {
            meta.push(`version ${flow.version}`);
        }
        io.out(`${io.style.bold(flow.name)}  (${meta.join(", ")})`);
        g.layers.forEach((layer, i) => {
            const cells = layer.map((env) =>
                i === 0 ? label(env) : `${label(env)} ${io.style.dim(`⟵ ${g.dependsOn[env].join(", ")}`)}`,
            );
            io.out(`  ${String(i).padStart(2)} │ ${cells.join("   ")}`);
        });
        io.out(`  critical path: ${g.criticalPath.join(" → ")}`);
    }
    return 0;
}
