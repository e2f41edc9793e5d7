import { matchesSelector } from "./common";
import type { PromotionTemplateDefinition, TemplateBody } from "./promotionTemplate";

export interface TemplateChoice {
    readonly body: TemplateBody;
    /** `inline` (the product's own), `ref` (promotionTemplateRef), `selector` (matched by labels), or `none`. */
    readonly source: "inline" | "ref" | "selector" | "none";
    readonly templateName?: string;
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

/**
 * The template for an application: the product's promotionTemplateRef, else its inline template, else the
 * matching stand-alone template with the lowest priority number (ties by name), else none (every file).
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
        .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (matching.length > 0) {
        return { body: bodyOf(matching[0]), source: "selector", templateName: matching[0].name };
    }
    return { body: {}, source: "none" };
}

function bodyOf(t: PromotionTemplateDefinition): TemplateBody {
    return {
        ...(t.versionSource ? { versionSource: t.versionSource } : {}),
        ...(t.promotion ? { promotion: t.promotion } : {}),
    };
}
