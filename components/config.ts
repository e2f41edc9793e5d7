import * as fs from "fs";
import * as path from "path";
import type { Catalog, CatalogOptions, Definitions } from "./catalog";
import { buildCatalog } from "./catalog";
import type { Issue } from "./issues";
import { describeValue, InvalidDefinitionsError } from "./issues";
import { messageOf } from "../model/errors";
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
export function loadDefinitions(configPath: string): { definitions: Definitions; issues: Issue[] } {
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
        return loadManifests(configPath);
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

/** Loads and validates; throws {@link InvalidDefinitionsError} listing every problem. */
export function loadCatalog(configPath: string, opts: CatalogOptions = {}): Catalog {
    const { definitions, issues } = loadDefinitions(configPath);
    const built = buildCatalog(definitions, opts);
    const all = [...issues, ...built.issues];
    if (all.length > 0) {
        throw new InvalidDefinitionsError(all);
    }
    return built.catalog;
}
