import { matchesSelector } from "./labelSelector";
import type { PromotionTemplateDefinition, TemplateBody } from "./promotionTemplate";

export interface TemplateChoice {
    readonly body: TemplateBody;
    /** `inline` (the product's own), `ref` (promotionTemplateRef), `selector` (matched by labels), or `none`. */
    readonly source: "inline" | "ref" | "selector" | "none";
    /** The referenced template, or the matching template that wins conflicts (the lowest priority number). */
    readonly templateName?: string;
    /** `selector`: every matching template, in priority order; `body` is their composite. */
    readonly templateNames?: readonly string[];
}

export interface TemplateSubject {
    readonly product: {
        readonly name: string;
        readonly promotionTemplate?: TemplateBody;
        readonly promotionTemplateRef?: string;
    };
    readonly application: { readonly environment: string; readonly labels: Readonly<Record<string, string>> };
}

/** Labels a template's applicationSourceSelector sees: the application's, plus its product and environment. */
export function selectorLabels(subject: TemplateSubject): Record<string, string> {
    return {
        ...subject.application.labels,
        "codefresh.io/product": subject.product.name,
        "codefresh.io/environment": subject.application.environment,
    };
}

const byPriority = (a: PromotionTemplateDefinition, b: PromotionTemplateDefinition) =>
    a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The template for an application: the product's promotionTemplateRef, else its inline template, else every
 * matching stand-alone template merged into one composite in priority order (see {@link mergeTemplates}),
 * else none (every file).
 */
export function selectTemplate(
    subject: TemplateSubject,
    templates: readonly PromotionTemplateDefinition[],
): TemplateChoice {
    const { product } = subject;
    // As Codefresh documents: a predefined template, when set, provides both the version and the values.
    if (product.promotionTemplateRef) {
        const t = templates.find((x) => x.name === product.promotionTemplateRef);
        if (t) {
            return { body: bodyOf(t), source: "ref", templateName: t.name };
        }
    }
    if (product.promotionTemplate) {
        return { body: product.promotionTemplate, source: "inline" };
    }
    const labels = selectorLabels(subject);
    const matching = templates
        .filter((t) => matchesSelector(t.applicationSourceSelector, labels))
        .sort(byPriority);
    if (matching.length > 0) {
        return {
            body: mergeTemplates(matching),
            source: "selector",
            templateName: matching[0].name,
            templateNames: matching.map((t) => t.name),
        };
    }
    return { body: {}, source: "none" };
}

/**
 * Several templates matching one application, as one composite (Codefresh applies every matching template in
 * priority order): a file and JSONPath promoted by any of them is promoted; a template without `promotion`
 * (every file) makes the composite promote every file. On a conflict the lower `priority` number wins: the
 * version source is the first one set; a JSONPath one template excludes (`excludeJsonPaths`, ours) and another
 * lists, path for path as written, stays as the template of lower number has it.
 */
export function mergeTemplates(templates: readonly PromotionTemplateDefinition[]): TemplateBody {
    const ordered = [...templates].sort(byPriority);
    const versionSource = ordered.find((t) => t.versionSource)?.versionSource;
    if (ordered.some((t) => t.promotion === undefined)) {
        return versionSource ? { versionSource } : {};
    }
    const files = new Map<string, { include: string[]; exclude: string[]; decided: Set<string> }>();
    for (const t of ordered) {
        for (const [file, spec] of Object.entries(t.promotion ?? {})) {
            const f = files.get(file) ?? { include: [], exclude: [], decided: new Set<string>() };
            files.set(file, f);
            // `decided`: paths a template of lower number already included or excluded; later ones cannot flip them.
            for (const p of spec.jsonPaths) {
                if (!f.decided.has(p)) {
                    f.include.push(p);
                }
            }
            for (const p of spec.excludeJsonPaths ?? []) {
                if (!f.decided.has(p)) {
                    f.exclude.push(p);
                }
            }
            spec.jsonPaths.forEach((p) => f.decided.add(p));
            (spec.excludeJsonPaths ?? []).forEach((p) => f.decided.add(p));
        }
    }
    const promotion: NonNullable<TemplateBody["promotion"]> = {};
    for (const [file, f] of files) {
        const include = [...new Set(f.include)].filter((p) => !f.exclude.includes(p));
        if (include.length === 0) {
            continue; // every path of the file was excluded by a template of lower number
        }
        promotion[file] = {
            jsonPaths: include,
            ...(f.exclude.length > 0 ? { excludeJsonPaths: [...new Set(f.exclude)] } : {}),
        };
    }
    return { ...(versionSource ? { versionSource } : {}), promotion };
}

function bodyOf(t: PromotionTemplateDefinition): TemplateBody {
    return {
        ...(t.versionSource ? { versionSource: t.versionSource } : {}),
        ...(t.promotion ? { promotion: t.promotion } : {}),
    };
}
