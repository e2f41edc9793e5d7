import { stringify } from "yaml";
import type { Proposal } from "./propose";

/** One written file: its name in the output directory and its text. */
export interface WrittenFile {
    readonly name: string;
    readonly text: string;
}

const comment = (lines: readonly string[]) =>
    lines
        .flatMap((l) => l.split("\n"))
        .map((l) => `# ${l}`.trimEnd())
        .join("\n");

function documents(
    header: readonly string[],
    docs: readonly { readonly notes: readonly string[]; readonly value: unknown }[],
): string {
    return [
        comment(header),
        ...docs.map(
            (d) =>
                `---\n${d.notes.length > 0 ? `${comment(d.notes)}\n` : ""}${stringify(d.value, { lineWidth: 0 })}`,
        ),
    ]
        .join("\n")
        .replace(/\n\n---/g, "\n---");
}

export interface RenderOptions {
    /** Where it was read from: `https://… at main (0a1b2c3d4e5f)`. */
    readonly source: string;
}

/**
 * The proposal as Codefresh-style YAML (DESIGN.md section 1): environments, applications, products with
 * their templates, flows. Every guess is a comment next to what it decided, so a reader changes it in place.
 */
export function renderProposal(p: Proposal, opts: RenderOptions): WrittenFile[] {
    const header = (what: string) => [
        `${what}, proposed by \`promote init\` from ${opts.source}.`,
        "Guesses are said in comments; change anything, then run `promote validate`.",
    ];
    const environments = documents(
        header("Environments"),
        p.environments.map((e) => ({
            notes: [`guess: ${e.why}`],
            value: {
                apiVersion: "promotions/v1alpha1",
                kind: "Environment",
                metadata: { name: e.name },
                spec: { kind: e.kind },
            },
        })),
    );
    const applications = documents(
        [
            ...header("Argo CD Applications"),
            "These are read by promotions only (Argo CD keeps deploying from your own manifests): each names its product",
            "(codefresh.io/product) and its environment (promotions/environment).",
        ],
        p.applications.map((a) => ({
            notes: [
                `from ${a.origin}`,
                `guess: environment ${a.environment} from ${a.environmentWhy}; product ${a.product} from ${a.productWhy}`,
            ],
            value: {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "Application",
                metadata: {
                    name: a.name,
                    namespace: a.namespace,
                    annotations: {
                        "codefresh.io/product": a.product,
                        "promotions/environment": a.environment,
                    },
                },
                spec: {
                    ...(a.project ? { project: a.project } : {}),
                    source: { repoURL: a.repoURL, path: a.path, targetRevision: a.targetRevision },
                    ...(a.destination ? { destination: a.destination } : {}),
                },
            },
        })),
    );
    const products = documents(
        header("Products and their promotion templates"),
        p.products.flatMap((product) => {
            const promotion: Record<string, { jsonPaths: string[] }> = {};
            for (const v of product.values) {
                (promotion[v.file] ??= { jsonPaths: [] }).jsonPaths.push(v.jsonPath);
            }
            return [
                {
                    notes: [
                        `guess: one product from ${product.why}`,
                        `environments, in flow order: ${product.environments.join(", ")}`,
                    ],
                    value: {
                        apiVersion: "codefresh.io/v1beta1",
                        kind: "Product",
                        metadata: { name: product.name },
                        spec: {
                            promotionTemplateRef: product.name,
                            promotionFlows: [{ name: product.flow }],
                        },
                    },
                },
                {
                    notes: [
                        `guess: the values found in ${product.sourceApplication} (the trigger environment) that every environment has:`,
                        ...product.values.map((v) => `  ${v.file} ${v.jsonPath}: ${v.what}`),
                        ...(product.versionSource
                            ? [`the version is read from ${product.versionSource.what}`]
                            : []),
                        ...product.remarks,
                    ],
                    value: {
                        apiVersion: "codefresh.io/v1beta1",
                        kind: "PromotionTemplate",
                        metadata: { name: product.name },
                        spec: {
                            applicationSourceSelector: {
                                matchLabels: { "codefresh.io/product": product.name },
                            },
                            priority: 10,
                            ...(product.versionSource
                                ? {
                                      versionSource: {
                                          file: product.versionSource.file,
                                          jsonPath: product.versionSource.jsonPath,
                                      },
                                  }
                                : {}),
                            promotion,
                        },
                    },
                },
            ];
        }),
    );
    const flows = documents(
        header("Promotion flows"),
        p.flows.map((f) => ({
            notes: [`guess: trigger ${f.trigger}, then the order from ${f.why}`],
            value: {
                apiVersion: "codefresh.io/v1beta1",
                kind: "PromotionFlow",
                metadata: {
                    name: f.name,
                    annotations: {
                        description: `proposed by promote init: ${[f.trigger, ...f.steps.map((s) => s.environment)].join(" → ")}`,
                    },
                },
                spec: {
                    triggerEnvironment: f.trigger,
                    steps: f.steps.map((s) => ({ environment: s.environment, dependsOn: [...s.dependsOn] })),
                },
            },
        })),
    );
    const notes = [
        "# What `promote init` inferred",
        "",
        `Read from ${opts.source}.`,
        "",
        "## Guesses",
        "",
        ...(p.guesses.length > 0
            ? p.guesses.map((g) => `- ${g}`)
            : ["- none beyond the comments in each file"]),
        "",
        "## Left out",
        "",
        ...(p.skipped.length > 0 ? p.skipped.map((s) => `- ${s.what}: ${s.why}`) : ["- nothing"]),
        "",
        "## To decide",
        "",
        ...p.decide.map((d) => `- ${d}`),
        "",
    ].join("\n");
    return [
        { name: "environments.yaml", text: environments },
        { name: "applications.yaml", text: applications },
        { name: "products.yaml", text: products },
        { name: "flows.yaml", text: flows },
        { name: "init-notes.md", text: notes },
    ];
}
