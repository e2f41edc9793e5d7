import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../engine/pulumi/engineLocator";
import type { ImportCircle, ImportEdge } from "../support/importGraph";
import { describeCircle, folderCircles, importCircles, importEdges } from "../support/importGraph";
import { removeTempDirs, tempDir } from "../support/tmp";

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

/** The source trees the circle checks read (test/, bench/ and examples/ are not sources). */
const sourceDirs = ["cli", "components", "engine", "model", "provider", "server"] as const;

function failOnCircles(where: string, circles: readonly ImportCircle[]): void {
    if (circles.length > 0) {
        assert.fail(
            `${circles.length} import circle${circles.length === 1 ? "" : "s"} ${where} (each names its members, then the imports that tie them, with the ` +
                `names imported; move what both sides need into a file of its own below them):\n` +
                circles.map(describeCircle).join("\n"),
        );
    }
}

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

    describe("import circles", () => {
        let edges: ImportEdge[];
        before(() => {
            edges = importEdges(packageRoot, sourceDirs);
        });

        it("no file imports itself through a chain", () => {
            assert.ok(
                edges.length > 100,
                `only ${edges.length} imports read: are the sources where expected?`,
            );
            failOnCircles("between files", importCircles(edges));
        });

        it("engine/'s folders import each other in no circle", () => {
            failOnCircles("between engine/'s folders", folderCircles(edges, "engine"));
        });
    });

    describe("the circle finder", () => {
        after(removeTempDirs);

        function tree(files: Readonly<Record<string, string>>): string {
            const root = tempDir("imports");
            for (const [name, text] of Object.entries(files)) {
                fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
                fs.writeFileSync(path.join(root, name), text);
            }
            return root;
        }

        it("sees every form of import, and names what each takes", () => {
            const root = tree({
                "src/a.ts": 'import type { B } from "./b";\nexport const a = 1 as unknown as B;\n',
                "src/b.ts": 'export type B = number;\nexport { a as renamed } from "./a";\n',
                "src/c.ts": 'const { f } = require("./d");\nexport const g = f;\n',
                "src/d.ts": 'export async function f() {\n    return (await import("./c")).g;\n}\n',
                "src/e.ts": 'export let x: typeof import("./f").F;\n',
                "src/f.ts": 'import "./e";\nexport const F = 1;\n',
                "src/g.ts": 'import h = require("./h");\nexport const G = h;\n',
                "src/h/index.ts": 'export * from "../g";\n',
                "src/i.ts":
                    'import * as fs from "fs";\n// import { a } from "./j";\nexport const s = "./i";\n',
                "src/j.ts": 'import { s } from "./i";\nexport default s;\n',
                "src/self.ts": 'import type { Self } from "./self";\nexport type Self = string;\n',
            });
            const circles = importCircles(importEdges(root, ["src"]));
            assert.deepStrictEqual(circles, [
                {
                    members: ["src/a.ts", "src/b.ts"],
                    edges: [
                        { from: "src/a.ts", to: "src/b.ts", names: ["type B"] },
                        { from: "src/b.ts", to: "src/a.ts", names: ["a"] },
                    ],
                },
                {
                    members: ["src/c.ts", "src/d.ts"],
                    edges: [
                        { from: "src/c.ts", to: "src/d.ts", names: ["f"] },
                        { from: "src/d.ts", to: "src/c.ts", names: ["g"] },
                    ],
                },
                {
                    members: ["src/e.ts", "src/f.ts"],
                    edges: [
                        { from: "src/e.ts", to: "src/f.ts", names: ["type F"] },
                        { from: "src/f.ts", to: "src/e.ts", names: ["(side effect)"] },
                    ],
                },
                {
                    members: ["src/g.ts", "src/h/index.ts"],
                    edges: [
                        { from: "src/g.ts", to: "src/h/index.ts", names: ["*"] },
                        { from: "src/h/index.ts", to: "src/g.ts", names: ["*"] },
                    ],
                },
                {
                    members: ["src/self.ts"],
                    edges: [{ from: "src/self.ts", to: "src/self.ts", names: ["type Self"] }],
                },
            ]);
        });

        it("finds a circle between folders that no two files make, and ignores imports within a folder", () => {
            const root = tree({
                "engine/facade.ts": 'import { r } from "./release/run";\nexport const f = r;\n',
                "engine/release/run.ts": 'import { k } from "../store/kv";\nexport const r = k;\n',
                "engine/release/record.ts": "export const record = 1;\n",
                "engine/store/kv.ts": "export const k = 1;\n",
                "engine/store/records.ts":
                    'import { record } from "../release/record";\nexport const x = record;\n',
                "engine/pulumi/stack.ts": 'import { f } from "../facade";\nexport const s = f;\n',
                "cli/main.ts": 'import { s } from "../engine/pulumi/stack";\nexport const m = s;\n',
            });
            const edges = importEdges(root, ["engine", "cli"]);
            assert.deepStrictEqual(importCircles(edges), []);
            assert.deepStrictEqual(folderCircles(edges, "engine"), [
                {
                    members: ["engine/release", "engine/store"],
                    edges: [
                        { from: "engine/release/run.ts", to: "engine/store/kv.ts", names: ["k"] },
                        {
                            from: "engine/store/records.ts",
                            to: "engine/release/record.ts",
                            names: ["record"],
                        },
                    ],
                },
            ]);
        });
    });
});
