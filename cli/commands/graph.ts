import { formatDuration } from "../../model/duration";
import { InvalidInputError } from "../../model/errors";
import { flowGraph, toDot, toMermaid } from "../../components/promotionFlow.graph";
import type { Catalog, CatalogProduct } from "../../components/catalog";
import { resolvePolicy } from "../../components/promotionPolicy.merge";
import { selectTemplate } from "../../components/promotionTemplate.select";
import type { GraphCommandOptions } from "./graph.args";
import type { CliDeps } from "../context";

/**
 * The template each of the product's applications in these environments promotes with, applications sharing
 * one grouped: where it comes from (a reference, the inline template, or the composite of every matching
 * PromotionTemplate in priority order) and what it promotes.
 */
export function templateLines(
    catalog: Catalog,
    product: CatalogProduct,
    environments: readonly string[],
): string[] {
    const groups = new Map<string, { apps: string[]; lines: string[] }>();
    for (const app of product.applications.filter((a) => environments.includes(a.environment))) {
        const choice = selectTemplate({ product, application: app }, catalog.promotionTemplates);
        const priority = (n: string) => catalog.promotionTemplates.find((t) => t.name === n)?.priority;
        const head =
            choice.source === "ref"
                ? `promotionTemplateRef ${choice.templateName}`
                : choice.source === "inline"
                  ? "inline promotionTemplate"
                  : choice.source === "none"
                    ? "none (every file under the application path)"
                    : (choice.templateNames ?? []).length > 1
                      ? `composite of ${(choice.templateNames ?? []).map((n) => `${n} (priority ${priority(n)})`).join(", ")}`
                      : `PromotionTemplate ${choice.templateName} (priority ${priority(choice.templateName!)})`;
        const body = choice.body;
        const lines = [
            head,
            ...(body.versionSource
                ? [`version: ${body.versionSource.file} ${body.versionSource.jsonPath}`]
                : []),
            ...(choice.source !== "none" && body.promotion === undefined
                ? ["every file under the application path"]
                : Object.entries(body.promotion ?? {}).map(
                      ([file, spec]) =>
                          `${file}: ${spec.jsonPaths.join(", ")}${spec.excludeJsonPaths?.length ? ` (excluding ${spec.excludeJsonPaths.join(", ")})` : ""}`,
                  )),
        ];
        const key = JSON.stringify(lines);
        const g = groups.get(key) ?? { apps: [], lines };
        g.apps.push(app.name);
        groups.set(key, g);
    }
    return [...groups.values()].flatMap((g) => [
        `template for ${g.apps.join(", ")}: ${g.lines[0]}`,
        ...g.lines.slice(1).map((l) => `    ${l}`),
    ]);
}

/**
 * `promote graph --flow F [--format text|mermaid|dot] [--product P]`: the flow as a picture. With a product,
 * each environment shows its resolved action and workflows, and the text format the (merged) template of
 * each application.
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
        if (product) {
            const envs = [flow.triggerEnvironment, ...flow.steps.map((s) => s.environment)];
            templateLines(catalog, product, envs).forEach((l) => io.out(`  ${l}`));
        }
    }
    return 0;
}
