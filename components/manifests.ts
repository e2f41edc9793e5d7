import * as fs from "fs";
import * as path from "path";
import type { Definitions, SkippedManifest } from "./catalog.types";
import type { Issue } from "./issues";
import { describeValue, entityName } from "./issues";
import type { ReadBudget } from "./manifests.read";
import { readYamlFile } from "./manifests.read";

export type { SkippedManifest };

type Manifest = {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown; labels?: unknown; annotations?: unknown };
    spec?: unknown;
};

/** The apiVersion of each kind we read (the first is the one to suggest). */
export const apiVersions: Readonly<Record<string, string | readonly string[]>> = {
    // Both versions Codefresh's runtime serves: v1beta2 (the one it stores) adds `concurrency`.
    Product: ["codefresh.io/v1beta1", "codefresh.io/v1beta2"],
    PromotionTemplate: "codefresh.io/v1beta1",
    PromotionPolicy: "codefresh.io/v1beta1",
    PromotionFlow: "codefresh.io/v1beta1",
    Application: "argoproj.io/v1alpha1",
    WorkflowTemplate: "argoproj.io/v1alpha1",
    Environment: "promotions/v1alpha1",
    PromotionWorkflow: "promotions/v1alpha1",
    PromotionWindow: "promotions/v1alpha1",
    PromotionPermission: "promotions/v1alpha1",
    PromotionNotification: "promotions/v1alpha1",
};

const supported = [
    "codefresh.io/v1beta1 Product, PromotionTemplate, PromotionPolicy, PromotionFlow",
    "codefresh.io/v1beta2 Product",
    "argoproj.io/v1alpha1 Application, WorkflowTemplate",
    "promotions/v1alpha1 Environment, PromotionWorkflow, PromotionWindow, PromotionPermission, PromotionNotification",
].join("; ");

const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

/** Edits (insert, delete, replace) between two short strings, case ignored. */
function distance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    let row = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const next = [i];
        for (let j = 1; j <= y.length; j++) {
            next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[y.length];
}

/**
 * A Kubernetes manifest that is not ours (a ServiceAccount, Role or RoleBinding beside a WorkflowTemplate, an
 * AppProject, a CustomResourceDefinition, Codefresh's own RestrictedGitSource): it names a kind and an
 * apiVersion of another API group, an Argo kind other than Application and WorkflowTemplate, or a
 * `codefresh.io` kind that is not one we read nor one letter or two off one (`PromotionFlows` is a typo of
 * ours, and refused). Such manifests are skipped and listed, never refused. Every kind of the `promotions`
 * group is ours; a document without kind or apiVersion is not recognisably anyone's and stays refused.
 */
export function foreignManifest(m: { apiVersion?: unknown; kind?: unknown }): boolean {
    if (typeof m.kind !== "string" || typeof m.apiVersion !== "string" || m.kind === "") {
        return false;
    }
    const kind = m.kind;
    const group = m.apiVersion.includes("/") ? m.apiVersion.split("/")[0] : ""; // "v1": the core group
    switch (group) {
        case "promotions":
            return false;
        case "codefresh.io":
            return !Object.keys(apiVersions).some(
                (ours) =>
                    apiVersionsOf(ours).some((v) => v.startsWith("codefresh.io/")) &&
                    distance(kind, ours) <= 2,
            );
        case "argoproj.io":
            return !["Application", "WorkflowTemplate"].includes(kind);
        default:
            return true;
    }
}

/** The apiVersions a kind of ours is read under. */
function apiVersionsOf(kind: string): readonly string[] {
    if (!Object.prototype.hasOwnProperty.call(apiVersions, kind)) {
        return [];
    }
    const v = apiVersions[kind];
    return typeof v === "string" ? [v] : v;
}

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
 * Why a manifest's shape is unusable before its kind is even looked at (a field that must be a mapping is
 * not, an apiVersion we do not read), or undefined.
 */
function shapeProblem(m: Manifest, kind: string | undefined): { path: string; reason: string } | undefined {
    const expected = kind !== undefined ? apiVersionsOf(kind) : [];
    if (expected.length > 0 && !expected.includes(m.apiVersion as string)) {
        return {
            path: "apiVersion",
            reason: `unsupported apiVersion ${JSON.stringify(m.apiVersion ?? null)} for ${kind}: use apiVersion: ${expected.join(" or ")}`,
        };
    }
    for (const [field, value] of [
        ["metadata.labels", m.metadata?.labels],
        ["metadata.annotations", m.metadata?.annotations],
        ["spec", m.spec],
    ] as const) {
        if (value !== undefined && value !== null && !isRecord(value)) {
            return {
                path: field,
                reason: `expected a mapping, got ${describeValue(value)}: indent its fields under ${field}:`,
            };
        }
    }
    const s = record(m.spec);
    if (kind === "Product" && m.apiVersion === "codefresh.io/v1beta1" && s.concurrency !== undefined) {
        // Codefresh's v1beta1 Product has no concurrency (its CRD adds it in v1beta2).
        return {
            path: "spec.concurrency",
            reason: "concurrency is a field of codefresh.io/v1beta2 Product, not v1beta1: use apiVersion: codefresh.io/v1beta2",
        };
    }
    for (const field of ["source", "destination"]) {
        if (kind === "Application" && s[field] !== undefined && s[field] !== null && !isRecord(s[field])) {
            return {
                path: `spec.${field}`,
                reason: `expected a mapping, got ${describeValue(s[field])}: indent its fields under spec.${field}:`,
            };
        }
    }
    if (kind === "WorkflowTemplate") {
        const args = record(s.arguments);
        if (args.parameters !== undefined && !Array.isArray(args.parameters)) {
            return {
                path: "spec.arguments.parameters",
                reason: `expected a list, got ${describeValue(args.parameters)}: list the parameters as "- name: X"`,
            };
        }
    }
    return undefined;
}

/**
 * Reads a directory of (multi-document) YAML manifests into definitions: Codefresh's Product,
 * PromotionTemplate, PromotionPolicy and PromotionFlow exactly as published; Argo CD Applications annotated
 * `codefresh.io/product`; Argo WorkflowTemplates annotated `codefresh.io/workflow-origin: promotion`; our
 * Environment and PromotionWorkflow. Kubernetes kinds that are not ours (see {@link foreignManifest}), and
 * Applications and WorkflowTemplates without our annotations, are skipped and listed in `skipped`; an unknown
 * kind of our own API groups is refused.
 */
export function loadManifests(
    dir: string,
    /** The directory's YAML files and their bytes, already read (in {@link manifestFiles} order). */
    read?: ReadonlyMap<string, Buffer>,
): { definitions: Definitions; issues: Issue[] } {
    const issues: Issue[] = [];
    const origins: Record<string, string> = {};
    const refused: { kind: string; name: string; product?: string }[] = [];
    const skipped: SkippedManifest[] = [];
    const d = {
        environments: [] as unknown[],
        products: [] as unknown[],
        applications: [] as unknown[],
        promotionTemplates: [] as unknown[],
        promotionPolicies: [] as unknown[],
        promotionWorkflows: [] as unknown[],
        promotionFlows: [] as unknown[],
        promotionWindows: [] as unknown[],
        promotionPermissions: [] as unknown[],
        promotionNotifications: [] as unknown[],
    };
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        issues.push({ entity: "config", path: "", reason: `${dir} is not a directory of YAML manifests` });
        return { definitions: {}, issues };
    }
    const files = read ? [...read.keys()] : manifestFiles(dir);
    if (files.length === 0) {
        issues.push({
            entity: "config",
            path: "",
            reason: `${dir} holds no YAML files (*.yaml, *.yml): pass --config the directory of your promotion manifests, or a .js/.ts module`,
        });
        return { definitions: {}, issues };
    }
    const budget: ReadBudget = { bytes: 0, documents: 0 };
    for (const file of files) {
        const fromCwd = path.relative(process.cwd(), file);
        const rel = fromCwd.startsWith("..") ? file : fromCwd;
        const parsed = readYamlFile(file, rel, budget, read?.get(file));
        issues.push(...parsed.issues);
        for (const doc of parsed.docs) {
            const origin = doc.origin;
            if (doc.value === null || doc.value === undefined) {
                continue;
            }
            if (!isRecord(doc.value)) {
                issues.push({
                    entity: "manifest",
                    path: "",
                    reason: `expected a mapping with apiVersion, kind, metadata and spec, got ${describeValue(doc.value)}`,
                    origin,
                });
                continue;
            }
            const m = doc.value as Manifest;
            const skip = (reason: SkippedManifest["reason"]) => {
                const name = isRecord(m.metadata) ? m.metadata.name : undefined;
                skipped.push({
                    kind: String(m.kind),
                    apiVersion: String(m.apiVersion),
                    ...(typeof name === "string" ? { name } : {}),
                    origin,
                    reason,
                });
            };
            if (foreignManifest(m)) {
                skip("foreign");
                continue;
            }
            if (m.metadata !== undefined && m.metadata !== null && !isRecord(m.metadata)) {
                issues.push({
                    entity: typeof m.kind === "string" ? m.kind : "manifest",
                    path: "metadata",
                    reason: `expected a mapping, got ${describeValue(m.metadata)}: indent name: under metadata:`,
                    origin,
                });
                continue;
            }
            const kind = typeof m.kind === "string" ? m.kind : undefined;
            const name = m.metadata?.name;
            if (typeof name !== "string" || name === "") {
                issues.push({
                    entity: kind ?? "manifest",
                    path: "metadata.name",
                    reason:
                        name === undefined || name === null || name === ""
                            ? "required field is missing: give the manifest a name"
                            : `expected a string, got ${describeValue(name)}`,
                    origin,
                });
                continue;
            }
            const annotated = record(m.metadata?.annotations);
            if (kind === "Application" && annotated["codefresh.io/product"] === undefined) {
                skip("no-product");
                continue;
            }
            if (kind === "WorkflowTemplate" && annotated["codefresh.io/workflow-origin"] !== "promotion") {
                skip("not-promotion");
                continue;
            }
            const shape = shapeProblem(m, kind);
            if (shape) {
                issues.push({ entity: entityName(kind ?? "manifest", name), ...shape, origin });
                const product = record(m.metadata?.annotations)["codefresh.io/product"];
                refused.push({
                    kind: kind === "WorkflowTemplate" ? "PromotionWorkflow" : (kind ?? "manifest"),
                    name,
                    ...(typeof product === "string" ? { product } : {}),
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
                case "promotions PromotionWindow":
                    d.promotionWindows.push({ name, ...spec(m) });
                    at("PromotionWindow");
                    break;
                case "promotions PromotionPermission":
                    d.promotionPermissions.push({ name, ...spec(m) });
                    at("PromotionPermission");
                    break;
                case "promotions PromotionNotification":
                    d.promotionNotifications.push({ name, ...spec(m) });
                    at("PromotionNotification");
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
    if (issues.length === 0 && Object.values(d).every((list) => list.length === 0)) {
        issues.push({
            entity: "config",
            path: "",
            reason: `${dir} holds YAML files but no promotion definitions: expected manifests of ${supported} (Applications annotated codefresh.io/product)`,
        });
    }
    return {
        definitions: {
            ...(d as Definitions),
            origins,
            ...(refused.length > 0 ? { refused } : {}),
            ...(skipped.length > 0 ? { skipped } : {}),
        },
        issues,
    };
}
