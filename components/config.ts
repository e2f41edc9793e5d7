import * as fs from "fs";
import * as path from "path";
import type * as CatalogModule from "./catalog";
import type { Catalog, CatalogOptions, Definitions } from "./catalog";
import { entryOf, readDefinitionFiles, readEntry, writeEntry } from "./definitionsCache";
import type { Issue } from "./issues";
import { describeValue, InvalidDefinitionsError } from "./issues";
import { messageOf } from "../model/errors";
import type { SkippedManifest } from "./manifests";
import { loadManifests } from "./manifests";

/** The lists a definitions object may hold. */
export const definitionLists = [
    "environments",
    "products",
    "applications",
    "promotionTemplates",
    "promotionPolicies",
    "promotionWorkflows",
    "promotionFlows",
] as const satisfies readonly (keyof Definitions)[];

/**
 * Reads the definitions at `configPath`: a directory of YAML manifests, or a JS/TS module whose default
 * export (or module.exports) is a {@link Definitions} object.
 */
export function loadDefinitions(
    configPath: string,
    /** A directory's YAML files and their bytes, already read (see {@link loadManifests}). */
    read?: ReadonlyMap<string, Buffer>,
): { definitions: Definitions; issues: Issue[] } {
    if (!fs.existsSync(configPath)) {
        return {
            definitions: {},
            issues: [
                {
                    entity: "config",
                    path: "",
                    reason: `${configPath} does not exist: pass --config DIR|MODULE`,
                },
            ],
        };
    }
    if (fs.statSync(configPath).isDirectory()) {
        return loadManifests(configPath, read);
    }
    if (/\.(c?js|ts|cts)$/.test(configPath)) {
        const problem = (reason: string) => ({
            definitions: {},
            issues: [{ entity: "config", path: "", reason: `${configPath}: ${reason}` }],
        });
        let mod: ({ default?: unknown } & Record<string, unknown>) | undefined;
        try {
            mod = require(path.resolve(configPath)) as { default?: unknown } & Record<string, unknown>;
        } catch (e) {
            return problem(`the module cannot be loaded: ${messageOf(e).split("\n")[0]}`);
        }
        const definitions: unknown = mod?.default ?? mod;
        if (typeof definitions !== "object" || definitions === null || Array.isArray(definitions)) {
            return problem(
                `expected the module to export a definitions object ({ environments, products, promotionFlows, ... }), got ${describeValue(definitions)}`,
            );
        }
        const lists = definitionLists.map((k) => (definitions as Record<string, unknown>)[k]);
        if (lists.every((l) => l === undefined || (Array.isArray(l) && l.length === 0))) {
            return problem(
                `the module defines nothing: export { ${definitionLists.join(", ")} } (each a list)`,
            );
        }
        return { definitions: definitions as Definitions, issues: [] };
    }
    return {
        definitions: {},
        issues: [
            {
                entity: "config",
                path: "",
                reason: `${configPath}: expected a directory of YAML manifests or a .js/.ts module`,
            },
        ],
    };
}

/** The definitions at a path, loaded and checked: what `validate` reports and every other command acts on. */
export interface CheckedDefinitions {
    readonly catalog: Catalog;
    /** The loader's problems, then the catalog's (none: the catalog may be acted on). */
    readonly issues: readonly Issue[];
    /** What works but perhaps not as meant (see buildCatalog in catalog.ts). */
    readonly warnings: readonly Issue[];
    /** Our rules where a Codefresh user may expect otherwise. */
    readonly notes: readonly Issue[];
    /** Manifests read and left alone. */
    readonly skipped: readonly SkippedManifest[];
}

/** Where parsed definitions are kept between commands (see components/definitionsCache.ts). */
export interface DefinitionsCacheOptions {
    /** A directory of this user's (e.g. `<cache root>/definitions`). */
    readonly dir: string;
}

function check(
    configPath: string,
    opts: CatalogOptions,
    read?: ReadonlyMap<string, Buffer>,
): CheckedDefinitions {
    const { definitions, issues } = loadDefinitions(configPath, read);
    // Loaded here: the schemas (zod) are not needed when the checked definitions come from the cache.
    const { buildCatalog } = require("./catalog") as typeof CatalogModule;
    const built = buildCatalog(definitions, opts);
    return {
        catalog: built.catalog,
        issues: [...issues, ...built.issues],
        warnings: built.warnings,
        notes: built.notes,
        skipped: definitions.skipped ?? [],
    };
}

/**
 * Loads and checks the definitions at `configPath`. With `cache`, a YAML directory whose files are unchanged
 * since a command last checked them is not parsed again: the kept result is exactly what parsing gives (its
 * problems, warnings and notes too). A JS/TS module is always loaded (running it may give another answer).
 */
export function checkDefinitions(
    configPath: string,
    opts: CatalogOptions = {},
    cache?: DefinitionsCacheOptions,
): CheckedDefinitions {
    return lookupDefinitions(configPath, opts, cache).checked;
}

/** {@link checkDefinitions}, saying whether the result came from the cache. */
export function lookupDefinitions(
    configPath: string,
    opts: CatalogOptions = {},
    cache?: DefinitionsCacheOptions,
): { checked: CheckedDefinitions; cached: boolean } {
    let read: Map<string, Buffer> | undefined;
    try {
        read = cache && fs.statSync(configPath).isDirectory() ? readDefinitionFiles(configPath) : undefined;
    } catch {
        read = undefined; // gone or unreadable: the loader says what is wrong
    }
    if (!cache || !read || read.size === 0) {
        return { checked: check(configPath, opts, read), cached: false };
    }
    const entry = entryOf(cache.dir, configPath, opts, read);
    const kept = readEntry<CheckedDefinitions>(entry.file, entry.key);
    if (kept) {
        return { checked: kept, cached: true };
    }
    const checked = check(configPath, opts, read);
    writeEntry(entry.file, entry.key, checked);
    return { checked, cached: false };
}

/** Loads and validates; throws {@link InvalidDefinitionsError} listing every problem. */
export function loadCatalog(
    configPath: string,
    opts: CatalogOptions = {},
    cache?: DefinitionsCacheOptions,
): Catalog {
    const { catalog, issues } = checkDefinitions(configPath, opts, cache);
    if (issues.length > 0) {
        throw new InvalidDefinitionsError(issues);
    }
    return catalog;
}
