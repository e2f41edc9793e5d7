import * as fs from "fs";
import * as path from "path";
import { LineCounter, parseAllDocuments } from "yaml";
import type { Definitions } from "./catalog";
import type { Issue } from "./issues";

type Manifest = {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown; labels?: unknown; annotations?: unknown };
    spec?: unknown;
};

const supported = [
    "codefresh.io/v1beta1 Product, PromotionTemplate, PromotionPolicy, PromotionFlow",
    "argoproj.io/v1alpha1 Application, WorkflowTemplate",
    "promotions/v1alpha1 Environment, PromotionWorkflow",
].join("; ");

/** The YAML files of a definitions directory, skipping hidden directories and node_modules. */
export function manifestFiles(dir: string): string[] {
    const files: string[] = [];
    const walk = (d: string) => {
        for (const entry of fs
            .readdirSync(d, { withFileTypes: true })
            .sort((a, b) => (a.name < b.name ? -1 : 1))) {
            if (entry.name.startsWith(".") || entry.name === "node_modules") {
                continue;
            }
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (/\.ya?ml$/i.test(entry.name)) {
                files.push(full);
            }
        }
    };
    walk(dir);
    return files;
}

/** `promotions/health-wait: "false"` (never wait) or a timeout such as `"5m"`. */
function healthAnnotation(v: string | undefined): { healthWait?: false | { timeout: string } } {
    if (v === undefined) {
        return {};
    }
    return v === "false" ? { healthWait: false } : { healthWait: { timeout: v } };
}

function record(v: unknown): Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function spec(m: Manifest): Record<string, unknown> {
    return record(m.spec);
}

/**
 * Reads a directory of (multi-document) YAML manifests into definitions: Codefresh's Product,
 * PromotionTemplate, PromotionPolicy and PromotionFlow exactly as published; Argo CD Applications annotated
 * `codefresh.io/product`; Argo WorkflowTemplates annotated `codefresh.io/workflow-origin: promotion`; our
 * Environment and PromotionWorkflow. Manifests of other kinds are reported, never silently dropped.
 */
export function loadManifests(dir: string): { definitions: Definitions; issues: Issue[] } {
    const issues: Issue[] = [];
    const origins: Record<string, string> = {};
    const d = {
        environments: [] as unknown[],
        products: [] as unknown[],
        applications: [] as unknown[],
        promotionTemplates: [] as unknown[],
        promotionPolicies: [] as unknown[],
        promotionWorkflows: [] as unknown[],
        promotionFlows: [] as unknown[],
    };
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        issues.push({ entity: "config", path: "", reason: `${dir} is not a directory of YAML manifests` });
        return { definitions: {}, issues };
    }
    for (const file of manifestFiles(dir)) {
        const fromCwd = path.relative(process.cwd(), file);
        const rel = fromCwd.startsWith("..") ? file : fromCwd;
        const lineCounter = new LineCounter();
        const docs = parseAllDocuments(fs.readFileSync(file, "utf8"), { lineCounter });
        const list = Array.isArray(docs) ? docs : [docs];
        for (const doc of list) {
            const line = lineCounter.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line;
            const origin = `${rel}:${line}`;
            if (doc.errors.length > 0) {
                issues.push({ entity: "YAML", path: "", reason: doc.errors[0].message, origin });
                continue;
            }
            const m = doc.toJS() as Manifest | null;
            if (m === null || m === undefined) {
                continue;
            }
            const kind = typeof m.kind === "string" ? m.kind : undefined;
            const name = m.metadata?.name;
            if (typeof name !== "string" || name === "") {
                issues.push({
                    entity: kind ?? "manifest",
                    path: "metadata.name",
                    reason: "required field is missing",
                    origin,
                });
                continue;
            }
            const annotations = record(m.metadata?.annotations) as Record<string, string>;
            const labels = record(m.metadata?.labels) as Record<string, string>;
            const at = (k: string) => (origins[`${k}/${name}`] = origin);
            const group = typeof m.apiVersion === "string" ? m.apiVersion.split("/")[0] : "";
            switch (`${group} ${kind}`) {
                case "codefresh.io Product":
                    d.products.push({ name, ...spec(m) });
                    at("Product");
                    break;
                case "codefresh.io PromotionTemplate":
                    d.promotionTemplates.push({ name, ...spec(m) });
                    at("PromotionTemplate");
                    break;
                case "codefresh.io PromotionPolicy":
                    d.promotionPolicies.push({ name, ...spec(m) });
                    at("PromotionPolicy");
                    break;
                case "codefresh.io PromotionFlow":
                    d.promotionFlows.push({
                        name,
                        ...spec(m),
                        ...(annotations.version !== undefined
                            ? { version: String(annotations.version) }
                            : {}),
                        ...(annotations.description !== undefined
                            ? { description: annotations.description }
                            : {}),
                    });
                    at("PromotionFlow");
                    break;
                case "promotions Environment":
                    d.environments.push({ name, ...spec(m) });
                    at("Environment");
                    break;
                case "promotions PromotionWorkflow":
                    d.promotionWorkflows.push({ name, kind: "local", ...spec(m) });
                    at("PromotionWorkflow");
                    break;
                case "argoproj.io WorkflowTemplate": {
                    if (annotations["codefresh.io/workflow-origin"] !== "promotion") {
                        break; // an ordinary workflow template, not a promotion workflow
                    }
                    const args = record(spec(m).arguments);
                    const params = Array.isArray(args.parameters) ? args.parameters : [];
                    d.promotionWorkflows.push({
                        name,
                        kind: "argo",
                        templateName: name,
                        parameters: params.map((p) => String(record(p).name)),
                        ...(annotations.description !== undefined
                            ? { description: annotations.description }
                            : {}),
                        ...(annotations.version !== undefined
                            ? { version: String(annotations.version) }
                            : {}),
                    });
                    at("PromotionWorkflow");
                    break;
                }
                case "argoproj.io Application": {
                    const product = annotations["codefresh.io/product"];
                    if (product === undefined) {
                        break; // not part of any product
                    }
                    const s = spec(m);
                    if (s.sources !== undefined && s.source === undefined) {
                        issues.push({
                            entity: `Application "${name}"`,
                            path: "spec.sources",
                            reason: "multi-source applications cannot be promoted: use spec.source",
                            origin,
                        });
                        break;
                    }
                    const source = record(s.source);
                    const dest = record(s.destination);
                    d.applications.push({
                        name,
                        ...(typeof m.metadata?.namespace === "string"
                            ? { namespace: m.metadata.namespace }
                            : {}),
                        product,
                        ...(annotations["promotions/environment"]
                            ? { environment: annotations["promotions/environment"] }
                            : {}),
                        repoURL: source.repoURL,
                        ...(source.path !== undefined ? { path: source.path } : {}),
                        ...(source.targetRevision !== undefined
                            ? { targetRevision: source.targetRevision }
                            : {}),
                        ...(Object.keys(dest).length > 0
                            ? {
                                  destination: Object.fromEntries(
                                      Object.entries(dest).filter(([k]) =>
                                          ["server", "name", "namespace"].includes(k),
                                      ),
                                  ),
                              }
                            : {}),
                        labels,
                        ...healthAnnotation(annotations["promotions/health-wait"]),
                    });
                    at("Application");
                    break;
                }
                default:
                    issues.push({
                        entity: `${kind ?? "manifest"} "${name}"`,
                        path: "kind",
                        reason: `unsupported apiVersion/kind ${String(m.apiVersion)} ${String(kind)}: supported are ${supported}`,
                        origin,
                    });
            }
        }
    }
    return { definitions: { ...(d as Definitions), origins }, issues };
}
