import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { definitionLimits } from "../../../components/limits";
import { encodingProblem, readYamlFile } from "../../../components/manifests.read";
import { formatIssue } from "../../../components/issues";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("reading a YAML file within the limits", () => {
    let dir = "";
    before(() => (dir = tempDir("read")));
    after(removeTempDirs);
    const read = (name: string, content: string | Buffer, budget = { bytes: 0, documents: 0 }) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, content);
        return readYamlFile(file, name, budget);
    };
    const problems = (name: string, content: string | Buffer) => read(name, content).issues.map(formatIssue);

    it("reads every document with its file and line", () => {
        const r = read("ok.yaml", "a: 1\n---\n# comment\nb: [x, y]\n");
        assert.deepStrictEqual(r.issues, []);
        assert.deepStrictEqual(r.docs, [
            { value: { a: 1 }, origin: "ok.yaml:1" },
            { value: { b: ["x", "y"] }, origin: "ok.yaml:4" },
        ]);
    });

    const table: readonly (readonly [string, string | Buffer, RegExp])[] = [
        [
            "utf16le.yaml",
            Buffer.from("\ufeffa: 1\n", "utf16le"),
            /^utf16le\.yaml: YAML: .*UTF-16.*FF FE.*save it as UTF-8/,
        ],
        [
            "utf16be.yaml",
            Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("a", "latin1")]),
            /UTF-16.*FE FF.*save it as UTF-8/,
        ],
        ["nul.yaml", Buffer.from([0x61, 0x00, 0x3a]), /NUL byte at offset 1/],
        ["latin1.yaml", Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]), /not valid UTF-8/],
        ["broken.yaml", "a: 1\nb: [1, 2\nc: }\n", /^broken\.yaml:3: YAML: not valid YAML \(line 3, column/],
        ["dup.yaml", "a: 1\nb: 2\na: 3\n", /^dup\.yaml:3: YAML: duplicate key "a"/],
        [
            "deep.yaml",
            `a: ${"[".repeat(100_000)}${"]".repeat(100_000)}`,
            new RegExp(`^deep\\.yaml:1: YAML: .*nested more than ${definitionLimits.nestingDepth} deep`),
        ],
        [
            "bomb.yaml",
            "a: &a [x,x,x,x,x,x,x,x,x,x]\n" +
                "bcdefghij"
                    .split("")
                    .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${"abcdefghij"[i]}`).join(",")}]\n`)
                    .join(""),
            /^bomb\.yaml:1: YAML: aliases .*maxAliasCount 100.*alias bomb/,
        ],
        [
            "docs.yaml",
            "---\na: 1\n".repeat(definitionLimits.documentsPerFile + 1),
            /1001 YAML documents, more than the limit of 1000 per file/,
        ],
        [
            "keys.yaml",
            Array.from({ length: definitionLimits.keysPerMapping + 1 }, (_, i) => `k${i}: 1\n`).join(""),
            /^keys\.yaml:1: YAML: a mapping has 10001 keys, more than the limit of 10000/,
        ],
        [
            "huge.yaml",
            "a: 1\n".repeat(definitionLimits.fileBytes / 5 + 1),
            /^huge\.yaml: YAML: the file is 1\.0 MiB, more than the limit of 1 MiB per file/,
        ],
    ];
    for (const [name, content, expected] of table) {
        it(`refuses ${name}, naming the file and why, without throwing`, () => {
            const got = problems(name, content);
            assert.strictEqual(got.length, 1, got.join("\n"));
            assert.match(got[0], expected);
        });
    }

    it("counts bytes and documents across files", () => {
        const budget = { bytes: definitionLimits.totalBytes - 3, documents: 0 };
        assert.match(formatIssue(read("last.yaml", "a: 1\n", budget).issues[0]), /exceed 16 MiB in all/);
        const docs = { bytes: 0, documents: definitionLimits.documentsTotal };
        assert.match(
            formatIssue(read("one-more.yaml", "a: 1\n", docs).issues[0]),
            /more than 5000 YAML documents/,
        );
    });

    it("takes UTF-8 with or without a byte-order mark", () => {
        assert.strictEqual(encodingProblem(Buffer.from("\ufeffa: é\n", "utf8")), undefined);
        assert.deepStrictEqual(read("bom.yaml", "\ufeffa: é\n").docs[0].value, { a: "é" });
    });
});
