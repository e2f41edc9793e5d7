import * as path from "path";
import { parseAllDocuments } from "yaml";
import { stageRank } from "./environmentNames";
import type { RepositorySnapshot } from "./repositorySnapshot";

/** An Argo CD Application found in the repository, or made from an ApplicationSet's generator. */
export interface FoundApplication {
    readonly name: string;
    readonly namespace: string;
    readonly project?: string;
    readonly repoURL: string;
    readonly path: string;
    readonly targetRevision: string;
    readonly destination?: { readonly server?: string; readonly name?: string; readonly namespace?: string };
    readonly annotations: Readonly<Record<string, string>>;
    readonly labels: Readonly<Record<string, string>>;
    /** Where it was found: `argocd/apps.yaml`, or the ApplicationSet and its element. */
    readonly origin: string;
    /** The file it was read from. */
    readonly file: string;
    /** Made by an ApplicationSet: its name, and the generator parameter that tells its elements apart. */
    readonly generated?: {
        readonly applicationSet: string;
        readonly varying?: { readonly key: string; readonly value: string };
    };
    /** A multi-source Application (`spec.sources`) or a chart from a Helm repository (`spec.source.chart`). */
    readonly unsupportedSource?: string;
}

/** A Kargo Stage: the order a Kargo user already wrote down. */
export interface KargoStage {
    readonly name: string;
    /** The stages its freight comes from (`requestedFreight[].sources.stages`). */
    readonly upstream: readonly string[];
    /** Its freight comes straight from a Warehouse. */
    readonly direct: boolean;
}

/** Something found and left out, and why: init prints these, and writes them as comments. */
export interface Note {
    readonly what: string;
    readonly why: string;
}

export interface Discovery {
    readonly applications: readonly FoundApplication[];
    readonly stages: readonly KargoStage[];
    readonly skipped: readonly Note[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
    typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
function strings(v: unknown): Record<string, string> {
    return isObj(v)
        ? Object.fromEntries(
              Object.entries(v).flatMap(([k, x]) => (str(x) !== undefined ? [[k, str(x)!]] : [])),
          )
        : {};
}

function applicationFrom(
    value: Obj,
    file: string,
    origin: string,
    generated?: FoundApplication["generated"],
): FoundApplication {
    const metadata = isObj(value.metadata) ? value.metadata : {};
    const spec = isObj(value.spec) ? value.spec : {};
    const source = isObj(spec.source) ? spec.source : {};
    const destination = isObj(spec.destination) ? strings(spec.destination) : undefined;
    const name = str(metadata.name) ?? "(unnamed)";
    const unsupportedSource = Array.isArray(spec.sources)
        ? "it has several sources (spec.sources); promotions edit one Git path per application"
        : str(source.chart)
          ? `it installs the chart ${JSON.stringify(str(source.chart))} from the Helm repository ${str(source.repoURL) ?? ""}, not a Git path; promote by changing its targetRevision (chart version) in the Application itself`
          : undefined;
    return {
        name,
        namespace: str(metadata.namespace) ?? "argocd",
        ...(str(spec.project) ? { project: str(spec.project)! } : {}),
        repoURL: str(source.repoURL) ?? "",
        path:
            (str(source.path) ?? ".")
                .replace(/^\.\/?$/, ".")
                .replace(/^\.\//, "")
                .replace(/\/+$/, "") || ".",
        targetRevision: str(source.targetRevision) ?? "HEAD",
        ...(destination && Object.keys(destination).length > 0 ? { destination } : {}),
        annotations: strings(metadata.annotations),
        labels: strings(metadata.labels),
        origin,
        file,
        ...(generated ? { generated } : {}),
        ...(unsupportedSource ? { unsupportedSource } : {}),
    };
}

/** `{a: {b: 1}}` as `{"a.b": "1"}`: the parameter names ApplicationSet templates use. */
function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
    if (isObj(value)) {
        for (const [k, v] of Object.entries(value)) {
            flatten(v, prefix ? `${prefix}.${k}` : k, out);
        }
    } else if (str(value) !== undefined || typeof value === "boolean") {
        out[prefix] = String(value);
    }
    return out;
}

/** Replaces `{{key}}` (fasttemplate) and `{{ .key }}` (goTemplate) with the parameter's value. */
function render(template: unknown, params: Readonly<Record<string, string>>, missing: Set<string>): unknown {
    if (typeof template === "string") {
        return template.replace(/\{\{-?\s*\.?([\w.[\]-]+)\s*-?\}\}/g, (whole, key: string) => {
            if (params[key] !== undefined) {
                return params[key];
            }
            missing.add(whole);
            return whole;
        });
    }
    if (Array.isArray(template)) {
        return template.map((t) => render(t, params, missing));
    }
    if (isObj(template)) {
        return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, render(v, params, missing)]));
    }
    return template;
}

function globToRegExp(glob: string): RegExp {
    const body = glob
        .replace(/\/+$/, "")
        .split("")
        .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : /[\\^$.|+()[\]{}]/.test(c) ? `\\${c}` : c))
        .join("");
    return new RegExp(`^${body.replace(/\[\^\/\]\*\[\^\/\]\*/g, ".*")}$`);
}

function directoriesOf(paths: readonly string[]): string[] {
    const dirs = new Set<string>();
    for (const p of paths) {
        const parts = p.split("/");
        for (let i = 1; i < parts.length; i++) {
            dirs.add(parts.slice(0, i).join("/"));
        }
    }
    return [...dirs].sort();
}

/** The parameters of the directory and file generators (`path`, `path.basename`, `path[0]`...), both spellings. */
function pathParams(dir: string): Record<string, string> {
    const base = path.posix.basename(dir);
    const params: Record<string, string> = {
        path: dir,
        "path.path": dir,
        "path.basename": base,
        "path.basenameNormalized": base.toLowerCase().replace(/[^a-z0-9-.]/g, "-"),
    };
    dir.split("/").forEach((s, i) => {
        params[`path[${i}]`] = s;
    });
    return params;
}

interface GeneratorResult {
    readonly elements: readonly Record<string, string>[];
    readonly problem?: string;
}

function generatorElements(generator: Obj, snapshot: RepositorySnapshot): GeneratorResult {
    if (isObj(generator.list)) {
        const elements = Array.isArray(generator.list.elements) ? generator.list.elements : [];
        if (generator.list.elementsYaml !== undefined) {
            return {
                elements: [],
                problem: "a list generator with elementsYaml (a template) is not evaluated",
            };
        }
        return { elements: elements.map((e) => flatten(e)) };
    }
    if (isObj(generator.git)) {
        const g = generator.git;
        const dirs = directoriesOf(snapshot.paths);
        if (Array.isArray(g.directories)) {
            const include = g.directories
                .filter((d) => isObj(d) && d.exclude !== true)
                .map((d) => globToRegExp(str((d as Obj).path) ?? ""));
            const exclude = g.directories
                .filter((d) => isObj(d) && d.exclude === true)
                .map((d) => globToRegExp(str((d as Obj).path) ?? ""));
            return {
                elements: dirs
                    .filter((d) => include.some((r) => r.test(d)) && !exclude.some((r) => r.test(d)))
                    .map(pathParams),
            };
        }
        if (Array.isArray(g.files)) {
            const patterns = g.files.filter(isObj).map((f) => globToRegExp(str(f.path) ?? ""));
            const elements: Record<string, string>[] = [];
            for (const file of snapshot.paths.filter((p) => patterns.some((r) => r.test(p)))) {
                const text = snapshot.files.get(file);
                if (text === undefined) {
                    continue;
                }
                for (const doc of parseAllDocuments(text, { logLevel: "silent" })) {
                    const value: unknown = Array.isArray(doc)
                        ? undefined
                        : doc.errors.length === 0
                          ? doc.toJS()
                          : undefined;
                    for (const item of Array.isArray(value) ? value : [value]) {
                        if (isObj(item)) {
                            elements.push({ ...flatten(item), ...pathParams(path.posix.dirname(file)) });
                        }
                    }
                }
            }
            return { elements };
        }
        return { elements: [], problem: "a git generator without directories or files" };
    }
    const kind = Object.keys(generator).find((k) => k !== "selector" && k !== "values") ?? "(empty)";
    return {
        elements: [],
        problem: `its ${kind} generator reads a live Argo CD or an external service, which init cannot evaluate`,
    };
}

function expandApplicationSet(
    value: Obj,
    file: string,
    snapshot: RepositorySnapshot,
    skipped: Note[],
): FoundApplication[] {
    const metadata = isObj(value.metadata) ? value.metadata : {};
    const spec = isObj(value.spec) ? value.spec : {};
    const name = str(metadata.name) ?? "(unnamed)";
    const what = `ApplicationSet "${name}" (${file})`;
    const template = isObj(spec.template) ? spec.template : undefined;
    if (!template || !Array.isArray(spec.generators)) {
        skipped.push({ what, why: "it has no spec.template or spec.generators" });
        return [];
    }
    const found: FoundApplication[] = [];
    for (const generator of spec.generators.filter(isObj)) {
        const { elements, problem } = generatorElements(generator, snapshot);
        if (problem) {
            skipped.push({
                what,
                why: `${problem}; write its Applications out (or annotate them) to include them`,
            });
            continue;
        }
        // The parameter whose value differs between elements is what tells the applications apart.
        const keys = [...new Set(elements.flatMap((e) => Object.keys(e)))];
        const varies = keys.filter((k) => new Set(elements.map((e) => e[k])).size > 1);
        // Prefer one whose values are stage names, then the folder, then what the source path uses; never a URL.
        const templatePath = JSON.stringify(isObj(template.spec) ? template.spec.source : "");
        const notUrl = (k: string) => !/:\/\//.test(elements[0][k] ?? "");
        const varying =
            varies.find((k) => elements.every((e) => e[k] !== undefined && stageRank(e[k]) !== undefined)) ??
            varies.find((k) => k === "path.basename") ??
            varies.find((k) => templatePath.includes(k) && notUrl(k)) ??
            varies.find((k) => !k.startsWith("path") && notUrl(k));
        for (const params of elements) {
            const missing = new Set<string>();
            const rendered = render(
                { apiVersion: "argoproj.io/v1alpha1", kind: "Application", ...template },
                params,
                missing,
            );
            if (missing.size > 0) {
                skipped.push({
                    what: `${what} element ${JSON.stringify(params)}`,
                    why: `its template uses ${[...missing].join(", ")}, which the element does not give (functions and conditionals are not evaluated)`,
                });
                continue;
            }
            const label = varying ? `${varying}=${params[varying]}` : JSON.stringify(params);
            found.push(
                applicationFrom(
                    rendered as Obj,
                    file,
                    `ApplicationSet "${name}" (${file}), element ${label}`,
                    {
                        applicationSet: name,
                        ...(varying && params[varying] !== undefined
                            ? { varying: { key: varying, value: params[varying] } }
                            : {}),
                    },
                ),
            );
        }
    }
    return found;
}

const argoManifest = /^\s*kind:\s*["']?(Application|ApplicationSet)["']?\s*$/m;

/** Reads every Argo CD Application, ApplicationSet and Kargo Stage of the repository. */
export function discover(snapshot: RepositorySnapshot): Discovery {
    const applications: FoundApplication[] = [];
    const stages: KargoStage[] = [];
    const skipped: Note[] = [];
    for (const [file, text] of snapshot.files) {
        if (!/\.ya?ml$/i.test(file)) {
            continue;
        }
        let docs;
        try {
            docs = parseAllDocuments(text, { logLevel: "silent" });
        } catch {
            continue;
        }
        const list = Array.isArray(docs) ? docs : [docs];
        for (const doc of list) {
            if (doc.errors.length > 0) {
                if (argoManifest.test(text)) {
                    skipped.push({
                        what: file,
                        why: "it looks like a template of Argo CD Applications (Helm or similar) and is not valid YAML as it stands; it is not rendered: run init on the rendered manifests (e.g. `helm template`), or on the repositories and folders its Applications deploy",
                    });
                }
                break;
            }
            const value: unknown = doc.toJS();
            if (!isObj(value)) {
                continue;
            }
            const apiVersion = str(value.apiVersion) ?? "";
            if (apiVersion.startsWith("argoproj.io/") && value.kind === "Application") {
                applications.push(applicationFrom(value, file, file));
            } else if (apiVersion.startsWith("argoproj.io/") && value.kind === "ApplicationSet") {
                applications.push(...expandApplicationSet(value, file, snapshot, skipped));
            } else if (apiVersion.startsWith("kargo.akuity.io/") && value.kind === "Stage") {
                const spec = isObj(value.spec) ? value.spec : {};
                const requested = Array.isArray(spec.requestedFreight)
                    ? spec.requestedFreight.filter(isObj)
                    : [];
                const sources = requested.map((r) => (isObj(r.sources) ? r.sources : {}));
                stages.push({
                    name: str(isObj(value.metadata) ? value.metadata.name : undefined) ?? "(unnamed)",
                    upstream: sources.flatMap((s) =>
                        Array.isArray(s.stages)
                            ? s.stages.filter((x): x is string => typeof x === "string")
                            : [],
                    ),
                    direct: sources.some((s) => s.direct === true),
                });
            }
        }
    }
    return { applications, stages, skipped };
}
