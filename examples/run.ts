/**
 * Runs one of the seed scenarios in examples/<name>/: `npm run example -- <name>` (or all of them with no
 * name). Each scenario folder holds its definitions (`promotions/` YAML, or a `definitions.ts` module) and a
 * `scenario.json`: the product, its environments, the version a developer ships, and the CLI commands.
 */
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../engine/pulumi/engineLocator";
import { ExampleWorkspace } from "./workspace";

interface Scenario {
    readonly title: string;
    readonly product: string;
    readonly environments: readonly string[];
    /** What a developer ships to the trigger environment first. */
    readonly ship: { readonly environment: string; readonly version: string };
    readonly commands: readonly { readonly title: string; readonly args: readonly string[] }[];
}

const examplesDir = path.join(packageRoot, "examples");

export function scenarios(): string[] {
    return fs
        .readdirSync(examplesDir)
        .filter((n) => fs.existsSync(path.join(examplesDir, n, "scenario.json")))
        .sort();
}

export function runScenario(name: string): number {
    const dir = path.join(examplesDir, name);
    const scenario = JSON.parse(fs.readFileSync(path.join(dir, "scenario.json"), "utf8")) as Scenario;
    const ws = new ExampleWorkspace(path.join("examples", name));
    ws.heading(`${name}: ${scenario.title}`);
    ws.createRepository(scenario.product, scenario.environments);
    // YAML definitions are copied with the repository's URL filled in; a TS module reads EXAMPLE_REPO_URL.
    const config = fs.existsSync(path.join(dir, "promotions"))
        ? ws.definitions(path.join(dir, "promotions"))
        : path.join(packageRoot, "dist", "examples", name, "definitions.js");
    ws.ship(scenario.product, scenario.ship.environment, scenario.ship.version);
    console.log(
        `repository ${ws.bare}\ndefinitions ${config}\nshipped ${scenario.product} ${scenario.ship.version} to ${scenario.ship.environment}`,
    );
    for (const c of scenario.commands) {
        ws.heading(c.title);
        const code = ws.promote(config, c.args);
        if (code !== 0) {
            return code;
        }
    }
    ws.heading("the promotion commits");
    console.log(ws.log(scenario.environments.length));
    return 0;
}

if (require.main === module) {
    const wanted = process.argv[2];
    const names = wanted ? [wanted] : scenarios();
    if (wanted && !scenarios().includes(wanted)) {
        console.error(`no example "${wanted}": one of ${scenarios().join(", ")}`);
        process.exitCode = 2;
    } else {
        for (const n of names) {
            const code = runScenario(n);
            if (code !== 0) {
                process.exitCode = code;
                break;
            }
        }
    }
}
