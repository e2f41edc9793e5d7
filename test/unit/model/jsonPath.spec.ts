import * as assert from "assert";
import {
    compileJsonPath,
    formatPath,
    locate,
    normalizedPath,
    queryJsonPath,
    queryWithLocators,
} from "../../../model/jsonPath";

const doc = {
    appVersion: "1.2.0",
    image: { repository: "ghcr.io/acme/web", tag: "1.2.0" },
    sidecar: { image: { repository: "envoy", tag: "v1" } },
    "rollout-canary": { image: { tag: "c1" } },
    global: { codefresh: { a: 1, b: [1, 2] } },
    dependencies: [{ name: "redis", version: "17.0.0" }],
};

describe("JSONPath", () => {
    const cases: [string, [string, unknown][]][] = [
        ["$.appVersion", [["$.appVersion", "1.2.0"]]],
        ["$.image.tag", [["$.image.tag", "1.2.0"]]],
        [
            "$..image",
            [
                ["$.image", doc.image],
                ["$.sidecar.image", doc.sidecar.image],
                ['$["rollout-canary"].image', doc["rollout-canary"].image],
            ],
        ],
        [
            "$.global.codefresh.*",
            [
                ["$.global.codefresh.a", 1],
                ["$.global.codefresh.b", [1, 2]],
            ],
        ],
        ['$["rollout-canary"]["image"]["tag"]', [['$["rollout-canary"].image.tag', "c1"]]],
        ["$['rollout-canary'].image.tag", [['$["rollout-canary"].image.tag', "c1"]]],
        ["$.dependencies", [["$.dependencies", doc.dependencies]]],
        ["$.dependencies[0].version", [["$.dependencies[0].version", "17.0.0"]]],
        ["$.dependencies[*].name", [["$.dependencies[0].name", "redis"]]],
        ["$.missing.key", []],
        ["$", [["$", doc]]],
        ["$appVersion", [["$.appVersion", "1.2.0"]]],
    ];
    for (const [path, expected] of cases) {
        it(`evaluates ${path}`, () => {
            const got = queryJsonPath(path, doc).map(([p, v]) => [formatPath(p), v]);
            assert.deepStrictEqual(got, expected);
        });
    }

    const bad: [string, RegExp][] = [
        ["image.tag", /at column 1: a JSONPath starts with "\$"/],
        ["$.image..", /at column 10: expected a name, "\*" or "\[" after "\.\."/],
        ["$[image]", /at column 3: expected an index, .*names are quoted/],
        ["$.image tag", /at column 9: expected '\.', '\.\.' or a bracketed selection, found 't'/],
        ["$.images[?(@.name == 'a')", /at column \d+: expected "\]" to close/],
        ["$appVersion tag", /"\$appVersion tag" at column 13: /],
        ["$[?length(@.*) < 3]", /length\(\) argument 0 must be of ValueType/],
        ["$.a.", /at column 5: expected a name or "\*" after "\."$/],
        ["$.a[?@.name = 'x']", /at column 13: expected "==" \(a comparison is written ==/],
        [
            "$.a[?(@.name == x)]",
            /at column 18: expected @, \$, a quoted string.*strings are quoted: @\.name == 'web'/,
        ],
        ["$.a[?@.v > 1 & @.w]", /at column 14: expected "&&" or "\|\|"/],
        ["$.a ", /at column 4: expected nothing after the path \(trailing whitespace\)/],
    ];
    for (const [path, reason] of bad) {
        it(`rejects ${path}`, () => {
            assert.throws(() => compileJsonPath(path), reason);
        });
    }

    it("is an invalid-input error (exit code 2)", () => {
        assert.throws(
            () => compileJsonPath("$["),
            (e: Error & { exitCode?: number }) => e.exitCode === 2,
        );
    });
});

const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    images: [
        { name: "ghcr.io/dexidp/dex", newTag: "v2.38.0" },
        { name: "quay.io/argoproj/argocd", newTag: "v2.11.0" },
        { name: "redis", newName: "public.ecr.aws/docker/library/redis", newTag: "7.0.15-alpine" },
    ],
};
const argocd = "$.images[?(@.name == 'quay.io/argoproj/argocd')].newTag";

describe("JSONPath: filters, slices, unions and normalized paths", () => {
    it("selects an image's newTag by name in a kustomization (the Kustomize case)", () => {
        const got = queryJsonPath(argocd, kustomization).map(([p, v]) => [normalizedPath(p), v]);
        assert.deepStrictEqual(got, [["$['images'][1]['newTag']", "v2.11.0"]]);
    });

    const cases: [string, string[]][] = [
        ["$.images[0:2].name", ["$['images'][0]['name']", "$['images'][1]['name']"]],
        ["$.images[-1].newTag", ["$['images'][2]['newTag']"]],
        ["$.images[0,2].newTag", ["$['images'][0]['newTag']", "$['images'][2]['newTag']"]],
        ["$.images[?@.newName].name", ["$['images'][2]['name']"]],
        ["$.images[?!@.newName && search(@.name, 'argo')].name", ["$['images'][1]['name']"]],
        [
            "$.images[?match(@.newTag, 'v2[.].*') || @.name == 'redis'].name",
            [0, 1, 2].map((i) => `$['images'][${i}]['name']`),
        ],
        [
            "$.images[?length(@.name) > 10 && count(@.*) == 2].name",
            [0, 1].map((i) => `$['images'][${i}]['name']`),
        ],
        ["$..newTag", [0, 1, 2].map((i) => `$['images'][${i}]['newTag']`)],
        [
            "$.images[?value(@.name) == 'redis']['newName','newTag']",
            ["$['images'][2]['newName']", "$['images'][2]['newTag']"],
        ],
    ];
    for (const [path, expected] of cases) {
        it(`evaluates ${path}`, () => {
            assert.deepStrictEqual(
                queryJsonPath(path, kustomization).map(([p]) => normalizedPath(p)),
                expected,
            );
        });
    }

    it("writes normalized paths as RFC 9535 section 2.7 says (quotes and control characters escaped)", () => {
        assert.strictEqual(normalizedPath([]), "$");
        assert.strictEqual(
            normalizedPath(["a'b", 0, "c\\d", "\n\u0001"]),
            "$['a\\'b'][0]['c\\\\d']['\\n\\u0001']",
        );
    });

    it("gives a match found through a filter a locator that finds the element again in a reordered list", () => {
        const [match] = queryWithLocators(argocd, kustomization);
        assert.deepStrictEqual(match.path, ["images", 1, "newTag"]);
        assert.deepStrictEqual(match.locator, [
            "images",
            { filter: "[?(@.name == 'quay.io/argoproj/argocd')]", nth: 0, of: 1 },
            "newTag",
        ]);
        const target: { images: { name: string; newTag?: string }[] } = {
            images: [{ name: "x" }, { name: "quay.io/argoproj/argocd", newTag: "v1" }, { name: "y" }],
        };
        assert.deepStrictEqual(locate(match.locator!, target), { path: ["images", 1, "newTag"] });
        target.images.reverse();
        assert.deepStrictEqual(locate(match.locator!, target), { path: ["images", 1, "newTag"] });
        target.images.unshift({ name: "z" });
        assert.deepStrictEqual(locate(match.locator!, target), { path: ["images", 2, "newTag"] });
        assert.deepStrictEqual(locate(match.locator!, { images: [{ name: "y" }] }), {
            missing: "$.images[?(@.name == 'quay.io/argoproj/argocd')]",
        });
    });

    it("keeps a filter as written (a negated group keeps its parentheses) and reports an ambiguous one", () => {
        const [match] = queryWithLocators("$.images[?!(@.name != 'redis')].newTag", kustomization);
        assert.deepStrictEqual(match.locator?.[1], { filter: "[?!(@.name != 'redis')]", nth: 0, of: 1 });
        // Several matches: each is told apart by its name (the filter compares no field with ==).
        const many = queryWithLocators("$.images[?@.newTag].newTag", kustomization);
        assert.strictEqual(many.length, 3);
        assert.deepStrictEqual(many[1].locator?.[1], {
            filter: "[?@.newTag]",
            nth: 1,
            of: 3,
            key: { "$['name']": "quay.io/argoproj/argocd" },
        });
        const reordered = { images: [kustomization.images[1], kustomization.images[0]] };
        assert.deepStrictEqual(locate(many[1].locator!, reordered), { path: ["images", 0, "newTag"] });
        assert.deepStrictEqual(locate(many[2].locator!, reordered), {
            missing: `$.images[?@.newTag] with @['name'] == "redis"`,
        });
        // Elements without names and a filter that compares nothing: which is which would be a guess.
        const [, second] = queryWithLocators("$.list[?@.x].x", { list: [{ x: 1 }, { x: 2 }] });
        const located = locate(second.locator!, { list: [{ x: 5 }, { x: 6 }] });
        assert.ok(
            "ambiguous" in located &&
                /selects 2 elements here and 2 in the source, and nothing tells which is which/.test(
                    located.ambiguous,
                ),
            JSON.stringify(located),
        );
        // Fields compared with == tell the elements apart.
        const byEq = queryWithLocators("$.list[?@.id == 1 || @.id == 2].v", {
            list: [
                { id: 1, v: "a" },
                { id: 2, v: "b" },
            ],
        });
        assert.deepStrictEqual(byEq[1].locator?.[1], {
            filter: "[?@.id == 1 || @.id == 2]",
            nth: 1,
            of: 2,
            key: { "$['id']": 2 },
        });
        assert.deepStrictEqual(locate(byEq[1].locator!, { list: [{ id: 2 }, { id: 3 }, { id: 1 }] }), {
            path: ["list", 0, "v"],
        });
    });

    it("has no locator for a match found without a filter", () => {
        assert.deepStrictEqual(queryWithLocators("$.images[1].newTag", kustomization), [
            { path: ["images", 1, "newTag"], value: "v2.11.0" },
        ]);
    });
});
