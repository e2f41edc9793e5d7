import * as fs from "fs";
import * as path from "path";
import type { Catalog, Definitions } from "./catalog";
import { buildCatalog } from "./catalog";
import type { Issue } from "./issues";
import { InvalidDefinitionsError } from "./issues";
import { loadManifests } from "./manifests";

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
        const mod = require(path.resolve(configPath)) as { default?: Definitions } & Definitions;
        return { definitions: mod.default ?? mod, issues: [] };
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
export function loadCatalog(configPath: string): Catalog {
    const { definitions, issues } = loadDefinitions(configPath);
    const built = buildCatalog(definitions);
    const all = [...issues, ...built.issues];
    if (all.length > 0) {
        throw new InvalidDefinitionsError(all);
    }
    return built.catalog;
}
