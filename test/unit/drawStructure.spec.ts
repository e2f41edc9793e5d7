import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../engine/pulumi/engineLocator";
import { CIRCLE_COLOUR, drawStructure, readStructure } from "../support/drawStructure";
import { sourceFiles } from "../support/importGraph";
import { removeTempDirs, tempDir } from "../support/tmp";

interface DrawnArrow {
    readonly from: string;
    readonly to: string;
    readonly imports: number;
    readonly inCircle: boolean;
    readonly body: string;
}

interface DrawnRoom {
    readonly id: string;
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly texts: readonly string[];
}

function arrows(svg: string): DrawnArrow[] {
    return [
        ...svg.matchAll(
            /<g class="(arrow[^"]*)" data-from="([^"]+)" data-to="([^"]+)" data-imports="(\d+)">([\s\S]*?)<\/g>/g,
        ),
    ].map((m) => ({
        from: m[2],
        to: m[3],
        imports: Number(m[4]),
        inCircle: m[1].split(" ").includes("in-circle"),
        body: m[5],
    }));
}

function rooms(svg: string): DrawnRoom[] {
    return [
        ...svg.matchAll(
            /<g class="room" data-room="([^"]+)" transform="translate\(([\d.-]+),([\d.-]+)\)">\n<rect width="([\d.]+)" height="([\d.]+)"([\s\S]*?)<\/g>/g,
        ),
    ].map((m) => ({
        id: m[1],
        x: Number(m[2]),
        y: Number(m[3]),
        width: Number(m[4]),
        height: Number(m[5]),
        texts: [...m[6].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
    }));
}

describe("drawStructure", () => {
    after(removeTempDirs);

    function tree(files: Readonly<Record<string, string>>): string {
        const root = tempDir("structure");
        for (const [name, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
            fs.writeFileSync(path.join(root, name), text);
        }
        return root;
    }

    it("draws a box per folder and the two folders that import each other as a red circle, with counts", () => {
        const root = tree({
            "src/a/x.ts": 'import { y } from "../b/y";\nexport const x = y;\n',
            "src/b/y.ts": 'import type { X } from "../a/types";\nexport const y = 2 as X;\n',
            "src/b/z.ts": 'import { x } from "../a/x";\nexport const z = x;\n',
            "src/a/types.ts": "export type X = number;\n",
            "src/main.ts":
                'import { x } from "./a/x";\nimport { z } from "./b/z";\nexport const m = x + z;\n// end\n',
            "src/notes.md": "not TypeScript\n",
        });
        const svg = drawStructure(root, "src");

        const drawn = rooms(svg);
        assert.deepStrictEqual(drawn.map((r) => r.id).sort(), ["src", "src/a", "src/b"]);
        const a = drawn.find((r) => r.id === "src/a")!;
        assert.deepStrictEqual(a.texts.slice(0, 2), ["a/", "2 files · 3 lines"]);
        assert.deepStrictEqual(a.texts.slice(2), ["x.ts", "2", "types.ts", "1"], "files largest first");
        assert.deepStrictEqual(drawn.find((r) => r.id === "src")!.texts.slice(0, 2), [
            "src/ (own files)",
            "1 file · 4 lines",
        ]);

        const byPair = new Map(arrows(svg).map((r) => [`${r.from} → ${r.to}`, r]));
        assert.deepStrictEqual([...byPair.keys()].sort(), [
            "src → src/a",
            "src → src/b",
            "src/a → src/b",
            "src/b → src/a",
        ]);
        const ba = byPair.get("src/b → src/a")!;
        assert.strictEqual(ba.imports, 2, "y.ts → types.ts and z.ts → x.ts");
        assert.match(ba.body, />2<\/text>/);
        for (const pair of ["src/a → src/b", "src/b → src/a"]) {
            assert.ok(byPair.get(pair)!.inCircle, `${pair} is part of the circle`);
            assert.ok(byPair.get(pair)!.body.includes(`stroke="${CIRCLE_COLOUR}"`), `${pair} is drawn red`);
        }
        for (const pair of ["src → src/a", "src → src/b"]) {
            assert.ok(!byPair.get(pair)!.inCircle, `${pair} is no part of the circle`);
            assert.ok(!byPair.get(pair)!.body.includes(CIRCLE_COLOUR), `${pair} is not drawn red`);
        }
        assert.match(svg, /Red arrows tie a folder circle: a\/ and b\/ reach each other/);
    });

    it("draws no red where no two folders reach each other", () => {
        const root = tree({
            "src/a/x.ts": 'import { y } from "../b/y";\nexport const x = y;\n',
            "src/a/w.ts": 'import { x } from "./x";\nexport const w = x;\n',
            "src/b/y.ts": "export const y = 2;\n",
        });
        const svg = drawStructure(root, "src");
        assert.deepStrictEqual(
            arrows(svg).map((r) => [r.from, r.to, r.imports, r.inCircle]),
            [["src/a", "src/b", 1, false]],
        );
        assert.ok(!svg.includes(CIRCLE_COLOUR), "no red anywhere");
        assert.match(svg, /No folder circle/);
    });

    it("lists the 12 largest files of a box and sums up the rest, or every file when asked", () => {
        const files: Record<string, string> = {};
        for (let i = 1; i <= 14; i++) {
            files[`src/big/f${String(i).padStart(2, "0")}.ts`] = "export {};\n".repeat(i);
        }
        const root = tree(files);
        const listed = rooms(drawStructure(root, "src"))[0].texts;
        assert.strictEqual(listed[1], "14 files · 105 lines");
        assert.deepStrictEqual(listed.slice(2, 6), ["f14.ts", "14", "f13.ts", "13"]);
        assert.deepStrictEqual(listed.slice(-4), ["f03.ts", "3", "… 2 more", "3"]);
        const all = rooms(drawStructure(root, "src", { allFiles: true }))[0].texts;
        assert.deepStrictEqual(all.slice(-2), ["f01.ts", "1"]);
        assert.strictEqual(all.length, 2 + 14 * 2);
    });

    it("draws engine/ with every file in one box and no two boxes overlapping", () => {
        const svg = drawStructure(packageRoot, "engine");
        const drawn = rooms(svg);
        assert.ok(drawn.length > 3, `only ${drawn.length} boxes drawn for engine/`);
        const structure = readStructure(packageRoot, "engine");
        assert.strictEqual(
            structure.rooms.reduce((n, r) => n + r.files.length, 0),
            sourceFiles(packageRoot, ["engine"]).length,
        );
        for (let i = 0; i < drawn.length; i++) {
            for (let j = i + 1; j < drawn.length; j++) {
                const [p, q] = [drawn[i], drawn[j]];
                const apart =
                    p.x + p.width <= q.x ||
                    q.x + q.width <= p.x ||
                    p.y + p.height <= q.y ||
                    q.y + q.height <= p.y;
                assert.ok(apart, `${p.id} and ${q.id} overlap`);
            }
        }
    });

    it("names the folder and the root when the folder holds no TypeScript", () => {
        const root = tree({ "src/a.ts": "export {};\n" });
        assert.throws(() => drawStructure(root, "lib"), /no TypeScript files under "lib" in .*structure/);
    });
});
