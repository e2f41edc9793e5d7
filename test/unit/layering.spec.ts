import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../engine/pulumi/engineLocator";

/** The floors, lowest first: a file may import its own floor and those below, never one above. */
const levels: Readonly<Record<string, number>> = {
    model: 0,
    components: 1,
    provider: 2,
    engine: 3,
    cli: 4,
    server: 4,
    programs: 4,
};

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

describe("layering", () => {
    it("no import runs from a lower floor to a higher one", () => {
        const violations: string[] = [];
        for (const [floor, level] of Object.entries(levels)) {
            for (const file of sources(path.join(packageRoot, floor))) {
                const text = fs.readFileSync(file, "utf8");
                for (const m of text.matchAll(/(?:from|require\(|import\()\s*"(\.[^"]+)"/g)) {
                    const target = path.relative(packageRoot, path.resolve(path.dirname(file), m[1]));
                    const targetLevel = levels[target.split(path.sep)[0]] ?? -1;
                    if (targetLevel > level) {
                        violations.push(`${path.relative(packageRoot, file)} imports ${target}`);
                    }
                }
            }
        }
        assert.deepStrictEqual(violations, []);
    });
});
