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

/** `steps[2].dependsOn[0]` from a zod issue path. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
    return path
        .map((seg, i) => (typeof seg === "number" ? `[${seg}]` : `${i === 0 ? "" : "."}${String(seg)}`))
        .join("");
}

/** Zod's issues as ours, with messages that say what to do for the common cases. */
export function zodIssues(entity: string, error: z.ZodError, origin?: string, prefix = ""): Issue[] {
    return error.issues.map((zi) => {
        let reason = zi.message;
        if (zi.code === "unrecognized_keys") {
            reason = `unknown field${zi.keys.length > 1 ? "s" : ""} ${zi.keys.map((k) => JSON.stringify(k)).join(", ")}: remove ${zi.keys.length > 1 ? "them" : "it"} or check the spelling`;
        } else if (zi.code === "invalid_type" && zi.input === undefined) {
            reason = `required field is missing (${zi.expected})`;
        }
        const path = formatFieldPath(zi.path);
        return { entity, path: prefix && path ? `${prefix}.${path}` : prefix || path, reason, origin };
    });
}
