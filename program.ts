/**
 * The definitions program (`pulumi up` at the root of this repository): registers one component per
 * definition found at the `promotions:definitions` config path (a directory of YAML manifests or a JS/TS
 * module; default ./promotions) and exports the validated catalog as the stack output `catalog`.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { buildCatalog } from "./components/catalog";
import { loadDefinitions } from "./components/config";
import { InvalidDefinitionsError } from "./components/issues";
import { catalogOf, registerDefinitions } from "./components/register";

const config = new pulumi.Config("promotions");
const definitionsPath = path.resolve(config.get("definitions") ?? "promotions");
const { definitions, issues } = loadDefinitions(definitionsPath);
// Check the whole model before registering anything, so the error lists every problem at once.
const all = [...issues, ...buildCatalog(definitions).issues];
if (all.length > 0) {
    throw new pulumi.RunError(new InvalidDefinitionsError(all).message);
}
export const catalog = catalogOf(registerDefinitions(definitions));
