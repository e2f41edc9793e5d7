import type { ValueEntry } from "./documentEditor";
import { leafEntries, readDocument } from "./documentEditor";
import type { ConcretePath } from "../../model/jsonPath";
import { compileJsonPath, isPrefix, queryJsonPath } from "../../model/jsonPath";

/** What one file of a template promotes. */
export interface FilePromotion {
    readonly jsonPaths: readonly string[];
    readonly excludeJsonPaths?: readonly string[];
}

/**
 * The concrete values a file promotes: every match of the template's JSONPaths, split into leaves (scalars
 * and arrays), minus whatever an exclude path matches (or lies under one).
 */
export function promotedEntries(text: string, file: string, spec: FilePromotion): ValueEntry[] {
    const doc = readDocument(text, file);
    const excluded: ConcretePath[] = (spec.excludeJsonPaths ?? []).flatMap((p) =>
        queryJsonPath(compileJsonPath(p), doc).map(([path]) => path),
    );
    const seen = new Set<string>();
    const entries: ValueEntry[] = [];
    for (const p of spec.jsonPaths) {
        for (const [path, value] of queryJsonPath(compileJsonPath(p), doc)) {
            for (const entry of leafEntries(path, value)) {
                const key = JSON.stringify(entry.path);
                if (seen.has(key) || excluded.some((x) => isPrefix(x, entry.path))) {
                    continue;
                }
                seen.add(key);
                entries.push(entry);
            }
        }
    }
    return entries;
}

/** The version a template's versionSource points at, as a string (first match), or undefined. */
export function readVersion(text: string, file: string, jsonPath: string): string | undefined {
    const [match] = queryJsonPath(compileJsonPath(jsonPath), readDocument(text, file));
    if (!match || match[1] === null || typeof match[1] === "object") {
        return undefined;
    }
    return String(match[1]);
}
