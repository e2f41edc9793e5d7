import type { z } from "zod";
import { InvalidInputError } from "../model/errors";

export { entityName } from "../model/errors";

/** One problem with the definitions: which entity, which field, why (and where in a YAML file, if known). */
export interface Issue {
    /** `Kind "name"`, e.g. `PromotionFlow "seq"`. */
    readonly entity: string;
    /** A field path such as `steps[2].dependsOn[0]`; empty for the entity as a whole. */
    readonly path: string;
    readonly reason: string;
    /** `file.yaml:12` for manifests loaded from a directory. */
    readonly origin?: string;
}

export function formatIssue(issue: Issue): string {
    const where = issue.origin ? `${issue.origin}: ` : "";
    const field = issue.path ? `${issue.path}: ` : "";
    return `${where}${issue.entity}: ${field}${issue.reason}`;
}

/** Every problem found at once. Exit code 2. */
export class InvalidDefinitionsError extends InvalidInputError {
    constructor(readonly issues: readonly Issue[]) {
        super(
            `${issues.length} problem${issues.length === 1 ? "" : "s"} in the promotion definitions:\n` +
                issues.map((i) => `  - ${formatIssue(i)}`).join("\n"),
        );
    }
}

/**
 * `steps[2].dependsOn[0]` from a zod issue path; a key that is not a plain name (a file, a label) is quoted:
 * `promotion["values.yaml"].jsonPaths[0]`.
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
    return path
        .map((seg, i) =>
            typeof seg === "number"
                ? `[${seg}]`
                : typeof seg === "string" && !/^[A-Za-z_$][\w$-]*$/.test(seg)
                  ? `[${JSON.stringify(seg)}]`
                  : `${i === 0 ? "" : "."}${String(seg)}`,
        )
        .join("");
}

/** What a YAML or JS value is, in the words a YAML author uses. */
export function describeValue(v: unknown): string {
    if (v === null) {
        return "null (an empty value)";
    }
    if (Array.isArray(v)) {
        return "a list";
    }
    switch (typeof v) {
        case "object":
            return "a mapping";
        case "string":
            return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
        case "number":
        case "boolean":
        case "bigint":
            return `${typeof v} ${String(v)}`;
        default:
            return typeof v;
    }
}

const expectedWords: Readonly<Record<string, string>> = {
    object: "a mapping",
    record: "a mapping",
    map: "a mapping",
    array: "a list",
    tuple: "a list",
    string: "a string",
    number: "a number",
    int: "an integer",
    boolean: "true or false",
};

/** The value at a zod issue path, and whether it is there at all. */
function valueAt(input: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
    let v: unknown = input;
    for (const seg of path) {
        if (typeof v !== "object" || v === null || !Object.prototype.hasOwnProperty.call(v, seg)) {
            return { present: false };
        }
        v = (v as Record<PropertyKey, unknown>)[seg];
    }
    return v === undefined ? { present: false } : { present: true, value: v };
}

/**
 * Zod's issues as ours, with messages that say what to do for the common cases. `input` (what was parsed)
 * tells a missing field from one of the wrong type: only an absent field is "missing".
 */
export function zodIssues(
    entity: string,
    error: z.ZodError,
    origin?: string,
    prefix = "",
    input?: unknown,
): Issue[] {
    return error.issues.map((zi) => {
        let reason = zi.message;
        if (zi.code === "unrecognized_keys") {
            reason = `unknown field${zi.keys.length > 1 ? "s" : ""} ${zi.keys.map((k) => JSON.stringify(k)).join(", ")}: remove ${zi.keys.length > 1 ? "them" : "it"} or check the spelling`;
        } else if (zi.code === "invalid_type") {
            const expected = expectedWords[zi.expected] ?? zi.expected;
            const at = valueAt(input, zi.path);
            reason = at.present
                ? `expected ${expected}, got ${describeValue(at.value)}`
                : `required field is missing (${expected})`;
        }
        const path = formatFieldPath(zi.path);
        return { entity, path: prefix && path ? `${prefix}.${path}` : prefix || path, reason, origin };
    });
}
