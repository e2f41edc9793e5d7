import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { compileJsonPath, normalizedPath, queryJsonPath } from "../../../model/jsonPath";

/** One case of the RFC 9535 compliance test suite (test/fixtures/jsonpath-cts/cts.json, BSD-2). */
interface CtsCase {
    readonly name: string;
    readonly selector: string;
    readonly document?: unknown;
    readonly result?: unknown[];
    readonly result_paths?: string[];
    readonly results?: unknown[][];
    readonly results_paths?: string[][];
    readonly invalid_selector?: boolean;
}

/**
 * Cases deliberately left unsupported, each with the reason (skipped, not failed). Keep this list short:
 * every entry is a way our JSONPath differs from RFC 9535.
 */
const unsupported: readonly { readonly name: string; readonly reason: string }[] = [];

const cases = (
    JSON.parse(
        fs.readFileSync(path.join(packageRoot, "test", "fixtures", "jsonpath-cts", "cts.json"), "utf8"),
    ) as { tests: CtsCase[] }
).tests;

describe("JSONPath: the RFC 9535 compliance test suite", () => {
    let passed = 0;
    let skipped = 0;
    after(() => {
        console.log(
            `      RFC 9535 CTS: ${passed}/${cases.length} passed` +
                (skipped ? `, ${skipped} unsupported` : ""),
        );
    });

    it("has the whole suite (more than 700 cases) and names every unsupported case that exists", () => {
        assert.ok(cases.length > 700, `only ${cases.length} cases`);
        const names = new Set(cases.map((c) => c.name));
        for (const u of unsupported) {
            assert.ok(names.has(u.name), `unsupported case ${JSON.stringify(u.name)} is not in the suite`);
        }
    });

    for (const c of cases) {
        const skip = unsupported.find((u) => u.name === c.name);
        if (skip) {
            it(`${c.name} (unsupported: ${skip.reason})`, function () {
                skipped++;
                this.skip();
            });
            continue;
        }
        it(c.name, () => {
            if (c.invalid_selector) {
                assert.throws(() => compileJsonPath(c.selector), /invalid JSONPath .* at column \d+: /);
                passed++;
                return;
            }
            const matches = queryJsonPath(c.selector, c.document);
            const values = matches.map(([, v]) => v);
            const paths = matches.map(([p]) => normalizedPath(p));
            if (c.result !== undefined) {
                assert.deepStrictEqual(values, c.result);
                if (c.result_paths !== undefined) {
                    assert.deepStrictEqual(paths, c.result_paths);
                }
            } else {
                // Non-deterministic order (object members): any one of the listed results.
                const results = c.results ?? [];
                const ok = results.some(
                    (r, i) =>
                        isDeepStrictEqual(values, r) &&
                        (c.results_paths === undefined || isDeepStrictEqual(paths, c.results_paths[i])),
                );
                assert.ok(ok, `got ${JSON.stringify(values)} at ${JSON.stringify(paths)}`);
            }
            passed++;
        });
    }
});
