import * as assert from "assert";
import { compileJsonPath, formatPath, queryJsonPath } from "../../../../provider/yaml/jsonPath";

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
        ["image.tag", /starts with "\$"/],
        ["$.image..", /expected a key name/],
        ["$[image]", /quoted key/],
        ["$.image tag", /expected "\.", "\.\." or "\["/],
    ];
    for (const [path, reason] of bad) {
        it(`rejects ${path}`, () => {
            assert.throws(() => compileJsonPath(path), reason);
        });
    }
});
