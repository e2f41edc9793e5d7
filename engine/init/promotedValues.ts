import * as path from "path";
import { parseAllDocuments } from "yaml";
import { compileJsonPath, queryJsonPath } from "../../model/jsonPath";

/** A value `promote init` proposes to promote: a file under the application path and an RFC 9535 JSONPath. */
export interface PromotedValue {
    readonly file: string;
    readonly jsonPath: string;
    /** What it is, for the comment beside it: `Chart appVersion`, `Kustomize image ghcr.io/a/b`. */
    readonly what: string;
    /** Lower is a better version source. */
    readonly versionRank: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `$.a.b`, `$['flask-ui'].image`: names as RFC 9535 member-name shorthands where it allows them. */
export function memberPath(keys: readonly string[]): string {
    return `$${keys.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `['${k.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`)).join("")}`;
}

const quoted = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** The one YAML document of a file, or undefined (invalid, templated, several documents, not a mapping). */
export function singleDocument(text: string): Obj | undefined {
    const docs = parseAllDocuments(text, { logLevel: "silent" });
    const list = Array.isArray(docs) ? docs.filter((d) => d.contents !== null) : [];
    if (list.length !== 1 || list[0].errors.length > 0) {
        return undefined;
    }
    const value: unknown = list[0].toJS();
    return isObj(value) ? value : undefined;
}

const tagKey = /^(image[-_]?)?tag$/i;

/** `image.tag`-like values of a Helm values file (or any plain YAML): `tag` under an `image…` key, `imageTag`. */
function valuesCandidates(doc: Obj, file: string): PromotedValue[] {
    const found: PromotedValue[] = [];
    const walk = (node: unknown, keys: string[]) => {
        if (!isObj(node) || keys.length > 8) {
            return;
        }
        for (const [k, v] of Object.entries(node)) {
            const here = [...keys, k];
            const parent = keys[keys.length - 1] ?? "";
            if (typeof v === "string" || typeof v === "number") {
                if (
                    (k === "tag" && /image/i.test(parent)) ||
                    (k !== "tag" && tagKey.test(k)) ||
                    k === "imageTag"
                ) {
                    found.push({
                        file,
                        jsonPath: memberPath(here),
                        what: `image tag ${here.join(".")}`,
                        versionRank: 3,
                    });
                } else if (
                    k === "image" &&
                    typeof v === "string" &&
                    /^[\w.-]+(:\d+)?(\/[\w.-]+)+:[\w.-]+$/.test(v)
                ) {
                    found.push({
                        file,
                        jsonPath: memberPath(here),
                        what: `image ${here.join(".")}`,
                        versionRank: 4,
                    });
                }
            } else {
                walk(v, here);
            }
        }
    };
    walk(doc, []);
    return found;
}

/** Containers of a Kubernetes workload (a Kustomize patch or a plain manifest), by where their list sits. */
function containerCandidates(doc: Obj, file: string): PromotedValue[] {
    const spec = isObj(doc.spec) ? doc.spec : undefined;
    const lists: [string[], unknown][] = [
        [
            ["spec", "template", "spec", "containers"],
            isObj(spec?.template) && isObj((spec.template as Obj).spec)
                ? ((spec.template as Obj).spec as Obj).containers
                : undefined,
        ],
        [["spec", "containers"], spec?.containers],
    ];
    const found: PromotedValue[] = [];
    for (const [keys, list] of lists) {
        for (const c of Array.isArray(list) ? list.filter(isObj) : []) {
            if (typeof c.name === "string" && typeof c.image === "string") {
                found.push({
                    file,
                    jsonPath: `${memberPath(keys)}[?@.name==${quoted(c.name)}].image`,
                    what: `image of container ${c.name} (${String(doc.kind)} ${String(isObj(doc.metadata) ? doc.metadata.name : "")})`,
                    versionRank: 4,
                });
            }
        }
    }
    return found;
}

/**
 * What is worth promoting in the files of one application: the Chart's `appVersion`, Kustomize
 * `images[].newTag` (through a filter on the image name, so each target's own entry is found),
 * `image.tag`-like values of values files, container images of workload patches.
 */
export function candidatesIn(files: ReadonlyMap<string, string>): PromotedValue[] {
    const found: PromotedValue[] = [];
    for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
        if (!/\.ya?ml$/i.test(file)) {
            continue;
        }
        const doc = singleDocument(text);
        if (!doc) {
            continue;
        }
        const base = path.posix.basename(file);
        if (base === "Chart.yaml") {
            if (typeof doc.appVersion === "string" || typeof doc.appVersion === "number") {
                found.push({ file, jsonPath: "$.appVersion", what: "Chart appVersion", versionRank: 1 });
            }
        } else if (/^kustomization\.ya?ml$/i.test(base) || doc.kind === "Kustomization") {
            for (const image of Array.isArray(doc.images) ? doc.images.filter(isObj) : []) {
                if (typeof image.name === "string") {
                    for (const field of ["newTag", "digest"]) {
                        if (typeof image[field] === "string" || typeof image[field] === "number") {
                            found.push({
                                file,
                                jsonPath: `$.images[?@.name==${quoted(image.name)}].${field}`,
                                what: `Kustomize image ${image.name} ${field}`,
                                versionRank: 2,
                            });
                        }
                    }
                }
            }
        } else if (typeof doc.kind === "string" && typeof doc.apiVersion === "string") {
            found.push(...containerCandidates(doc, file));
        } else {
            found.push(...valuesCandidates(doc, file));
        }
    }
    return found;
}

/** The value at `jsonPath` in `text`, when it matches exactly one scalar. */
export function valueAt(text: string | undefined, jsonPath: string): string | undefined {
    if (text === undefined) {
        return undefined;
    }
    const doc = singleDocument(text);
    if (!doc) {
        return undefined;
    }
    const matches = queryJsonPath(compileJsonPath(jsonPath), doc);
    return matches.length === 1 && (typeof matches[0][1] === "string" || typeof matches[0][1] === "number")
        ? String(matches[0][1])
        : undefined;
}
