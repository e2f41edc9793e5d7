import type { ConcretePath } from "../../model/jsonPath";
import { compileJsonPath, isPrefix, locate, queryJsonPath, queryWithLocators } from "../../model/jsonPath";
import type { ValueEntry } from "./documentEditor";
import { DocumentEditError, leafEntries, readDocument } from "./documentEditor";

/** What one file of a template promotes. */
export interface FilePromotion {
    readonly jsonPaths: readonly string[];
    readonly excludeJsonPaths?: readonly string[];
}

/**
 * The concrete values a file promotes: every match of the template's JSONPaths, split into leaves (scalars
 * and arrays), minus whatever an exclude path matches (or lies under one). A value a filter selected keeps
 * its locator, so {@link locateEntries} finds the target's own element by the same filter.
 */
export function promotedEntries(text: string, file: string, spec: FilePromotion): ValueEntry[] {
    const doc = readDocument(text, file);
    const excluded: ConcretePath[] = (spec.excludeJsonPaths ?? []).flatMap((p) =>
        queryJsonPath(compileJsonPath(p), doc).map(([path]) => path),
    );
    const seen = new Set<string>();
    const entries: ValueEntry[] = [];
    for (const p of spec.jsonPaths) {
        for (const match of queryWithLocators(compileJsonPath(p), doc)) {
            for (const entry of leafEntries(match.path, match.value, match.locator)) {
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

/**
 * Where each entry goes in a target document: its own path, or, for a value a filter selected, the path of
 * the target's element that the same filter selects. Entries whose filter selects nothing in the target are
 * `missing` (the target does not have that element: left alone); a filter that selects a different number
 * of elements than in the source is refused, since which element gets which value would be a guess.
 */
export function locateEntries(
    entries: readonly ValueEntry[],
    target: unknown,
    file: string,
): { located: ValueEntry[]; missing: string[] } {
    const located: ValueEntry[] = [];
    const missing: string[] = [];
    for (const e of entries) {
        if (e.locator === undefined) {
            located.push(e);
            continue;
        }
        const at = locate(e.locator, target);
        if ("path" in at) {
            located.push({ path: at.path, value: e.value });
        } else if ("missing" in at) {
            if (!missing.includes(at.missing)) {
                missing.push(at.missing);
            }
        } else {
            throw new DocumentEditError(file, at.ambiguous);
        }
    }
    return { located, missing };
}

/** The version a template's versionSource points at, as a string (first match), or undefined. */
export function readVersion(text: string, file: string, jsonPath: string): string | undefined {
    const [match] = queryJsonPath(compileJsonPath(jsonPath), readDocument(text, file));
    if (!match || match[1] === null || typeof match[1] === "object") {
        return undefined;
    }
    return String(match[1]);
}
