import * as assert from "assert";
import {
    applyEntries,
    applyEntriesToBytes,
    decodeText,
    leafEntries,
    readDocument,
} from "../../../../provider/yaml/documentEditor";
import { queryJsonPath } from "../../../../model/jsonPath";
import { locateEntries, promotedEntries, readVersion } from "../../../../provider/yaml/promotedValues";

const values = `# Default values for web.
# This is a YAML-formatted file.

replicaCount: 2 # per environment, never promoted

image:
  repository: ghcr.io/acme/web   # the registry
  # the tag is promoted
  tag: "1.2.0"
  pullPolicy: IfNotPresent

ingress:
  enabled: true
  hosts:
    - host: qa.example.com   # env-specific
      paths: ['/']

resources: {}

sidecar:
  image:
    repository: envoy
    tag: 'v1.30'
`;

const chart = `apiVersion: v2
name: web
description: A Helm chart for Kubernetes

# The chart version
version: 0.3.1
# The app version
appVersion: 1.2.0
dependencies:
  - name: redis
    version: 17.0.0
    repository: https://charts.bitnami.com/bitnami
`;

/** Lines that differ between two texts of the same line count. */
function changedLines(a: string, b: string): [string, string][] {
    const [la, lb] = [a.split("\n"), b.split("\n")];
    assert.strictEqual(la.length, lb.length, `line count changed:\n${b}`);
    return la.flatMap((line, i) => (line === lb[i] ? [] : [[line, lb[i]] as [string, string]]));
}

describe("applyEntries", () => {
    it("promotes $..image into a commented Helm values.yaml changing only the promoted lines", () => {
        const source = readDocument(
            values.replace('tag: "1.2.0"', 'tag: "1.3.0"').replace("tag: 'v1.30'", "tag: 'v1.31'"),
            "values.yaml",
        );
        const entries = queryJsonPath("$..image", source).flatMap(([p, v]) => leafEntries(p, v));
        const out = applyEntries(values, entries, "values.yaml");
        assert.deepStrictEqual(changedLines(values, out), [
            ['  tag: "1.2.0"', '  tag: "1.3.0"'],
            ["    tag: 'v1.30'", "    tag: 'v1.31'"],
        ]);
    });

    it("promotes Chart.yaml's appVersion, version and dependencies (arrays replaced as values)", () => {
        const target = chart;
        const sourceText = chart
            .replace("version: 0.3.1", "version: 0.4.0")
            .replace("appVersion: 1.2.0", "appVersion: 1.3.0")
            .replace("version: 17.0.0", "version: 18.1.2");
        const source = readDocument(sourceText, "Chart.yaml");
        const entries = ["$.appVersion", "$.version", "$.dependencies"].flatMap((p) =>
            queryJsonPath(p, source).flatMap(([path, v]) => leafEntries(path, v)),
        );
        const out = applyEntries(target, entries, "Chart.yaml");
        assert.strictEqual(out, sourceText);
    });

    it("is the identity when nothing differs", () => {
        const entries = queryJsonPath("$..image", readDocument(values, "values.yaml")).flatMap(([p, v]) =>
            leafEntries(p, v),
        );
        assert.strictEqual(applyEntries(values, entries, "values.yaml"), values);
    });

    it("keeps a string a string: a version that looks like a number stays quoted", () => {
        const out = applyEntries(
            "appVersion: 1.2.0\nname: web\n",
            [{ path: ["appVersion"], value: "1.10" }],
            "Chart.yaml",
        );
        assert.strictEqual(out, 'appVersion: "1.10"\nname: web\n');
        assert.deepStrictEqual(readDocument(out, "Chart.yaml"), { appVersion: "1.10", name: "web" });
    });

    it("adds a missing key at the end of its mapping, indented like its siblings", () => {
        const out = applyEntries(values, [{ path: ["image", "digest"], value: "sha256:abc" }], "values.yaml");
        assert.ok(out.includes("  pullPolicy: IfNotPresent\n  digest: sha256:abc\n\ningress:"), out);
    });

    it("adds a missing nested mapping", () => {
        const out = applyEntries("a: 1\n", [{ path: ["b", "c", "d"], value: "x" }], "v.yaml");
        assert.deepStrictEqual(readDocument(out, "v.yaml"), { a: 1, b: { c: { d: "x" } } });
    });

    it("edits JSON files as JSON, keeping their layout", () => {
        const json = '{\n  "name": "web",\n  "image": {\n    "tag": "1.2.0"\n  }\n}\n';
        const out = applyEntries(
            json,
            [
                { path: ["image", "tag"], value: "1.3.0" },
                { path: ["image", "digest"], value: "sha256:abc" },
            ],
            "config.json",
        );
        assert.strictEqual(
            out,
            '{\n  "name": "web",\n  "image": {\n    "tag": "1.3.0",\n    "digest": "sha256:abc"\n  }\n}\n',
        );
        assert.doesNotThrow(() => JSON.parse(out));
    });

    it("replaces a block sequence keeping the indentation and the comment after it", () => {
        const text = "deps:\n  - a\n  - b\n# trailing comment\nother: 1\n";
        const out = applyEntries(text, [{ path: ["deps"], value: ["a", "c", "d"] }], "v.yaml");
        assert.strictEqual(out, "deps:\n  - a\n  - c\n  - d\n# trailing comment\nother: 1\n");
    });

    it("refuses a file that is not YAML, naming it", () => {
        assert.throws(
            () => applyEntries("a: [1, 2\n", [{ path: ["a"], value: 1 }], "bad.yaml"),
            /bad\.yaml: not valid YAML/,
        );
    });
});

describe("promotedEntries", () => {
    it("expands matches into leaves and leaves excluded paths out", () => {
        const entries = promotedEntries(values, "values.yaml", {
            jsonPaths: ["$..image", "$.replicaCount"],
            excludeJsonPaths: ["$.image.pullPolicy", "$.sidecar"],
        });
        assert.deepStrictEqual(entries, [
            { path: ["image", "repository"], value: "ghcr.io/acme/web" },
            { path: ["image", "tag"], value: "1.2.0" },
            { path: ["replicaCount"], value: 2 },
        ]);
    });

    it("reads the version as a string", () => {
        assert.strictEqual(readVersion(chart, "Chart.yaml", "$.appVersion"), "1.2.0");
        assert.strictEqual(readVersion(chart, "Chart.yaml", "$.nope"), undefined);
    });
});

describe("applyEntries keeps the target's collection style", () => {
    const cases: [string, string, unknown, string][] = [
        ["a flow sequence stays flow", "features: [a, b]\n", ["a", "b", "c"], "features: [a, b, c]\n"],
        [
            "a padded, double-quoted flow sequence stays so",
            'features: [ "a", "b" ]  # on\n',
            ["a", "b", "c"],
            'features: [ "a", "b", "c" ]  # on\n',
        ],
        [
            "a single-quoted flow sequence stays single-quoted",
            "features: ['a']\n",
            ["a", "1.10"],
            "features: ['a', '1.10']\n",
        ],
        [
            "a flow sequence of mappings stays flow",
            "deps: [{name: redis, version: 17.0.0}]\n",
            [{ name: "redis", version: "18.0.0" }],
            "deps: [{name: redis, version: 18.0.0}]\n",
        ],
        [
            "a block sequence stays block, indented as it was",
            "features:\n  - a\n  - b\nnext: 1\n",
            ["a", "b", "c"],
            "features:\n  - a\n  - b\n  - c\nnext: 1\n",
        ],
        [
            "a block sequence that is not indented stays so",
            "features:\n- a\n- b\nnext: 1\n",
            ["a", "c"],
            "features:\n- a\n- c\nnext: 1\n",
        ],
        [
            "a block sequence of double-quoted strings stays double-quoted",
            'features:\n  - "a"\n',
            ["a", "b"],
            'features:\n  - "a"\n  - "b"\n',
        ],
        [
            "an empty flow sequence gets its items in flow style",
            "features: []\n",
            ["a", "b"],
            "features: [a, b]\n",
        ],
        ["a scalar becoming a list is written in flow style", "features: none\n", ["a"], "features: [a]\n"],
    ];
    for (const [name, text, value, expected] of cases) {
        it(name, () => {
            const out = applyEntries(
                text,
                [{ path: [text.startsWith("deps") ? "deps" : "features"], value }],
                "v.yaml",
            );
            assert.strictEqual(out, expected);
        });
    }

    it("a flow mapping value keeps its style: a scalar in it is replaced in place, a new key is added flow", () => {
        const text = 'image: {repository: web, tag: "1.0"}\n';
        assert.strictEqual(
            applyEntries(text, [{ path: ["image", "tag"], value: "1.1" }], "v.yaml"),
            'image: {repository: web, tag: "1.1"}\n',
        );
        assert.strictEqual(
            applyEntries(text, [{ path: ["image", "digest"], value: "sha256:abc" }], "v.yaml"),
            'image: {repository: web, tag: "1.0", digest: sha256:abc}\n',
        );
        assert.strictEqual(
            applyEntries(text, [{ path: ["image", "note"], value: "a, b" }], "v.yaml"),
            'image: {repository: web, tag: "1.0", note: "a, b"}\n',
        );
        assert.strictEqual(
            applyEntries("l: [a, b]\n", [{ path: ["l", 1], value: "c, d" }], "v.yaml"),
            'l: [a, "c, d"]\n',
        );
    });

    it("a block mapping value stays block", () => {
        const text = "image:\n  repository: web\n  tag: 1.0.0\n";
        assert.strictEqual(
            applyEntries(text, [{ path: ["image", "pullPolicy"], value: "Always" }], "v.yaml"),
            "image:\n  repository: web\n  tag: 1.0.0\n  pullPolicy: Always\n",
        );
    });

    it("a one-line JSON array stays one line, spaced as it was", () => {
        assert.strictEqual(
            applyEntries(
                '{"features": ["a", "b"], "n": 1}\n',
                [{ path: ["features"], value: ["a", "b", "c"] }],
                "c.json",
            ),
            '{"features": ["a", "b", "c"], "n": 1}\n',
        );
        assert.strictEqual(
            applyEntries('{"features":["a"]}\n', [{ path: ["features"], value: ["a", "b"] }], "c.json"),
            '{"features":["a","b"]}\n',
        );
    });
});

describe("applyEntriesToBytes", () => {
    it("leaves a line that is not UTF-8 (an ISO-8859-1 comment) byte-identical", () => {
        const before = Buffer.concat([
            Buffer.from("# Werte f", "latin1"),
            Buffer.from([0xfc]), // ü in ISO-8859-1, not UTF-8
            Buffer.from("r die Umgebung\nimage:\n  tag: 1.0.0 # gr", "latin1"),
            Buffer.from([0xfc, 0xdf]),
            Buffer.from("e\nname: caf\u00e9\n", "utf8"),
        ]);
        const after = applyEntriesToBytes(
            before,
            [{ path: ["image", "tag"], value: "1.1.0" }],
            "values.yaml",
        );
        const expected = Buffer.from(before.toString("latin1").replace("tag: 1.0.0", "tag: 1.1.0"), "latin1");
        assert.ok(after.equals(expected), `${after.toString("latin1")}`);
        assert.ok(!after.includes(Buffer.from("\ufffd", "utf8")), "a U+FFFD was written");
    });

    it("edits after a multi-byte and an invalid sequence at the right byte offsets", () => {
        const before = Buffer.concat([
            Buffer.from("a: \u{1F600} x\nb: ", "utf8"),
            Buffer.from([0xe2, 0x82]), // a truncated three-byte sequence
            Buffer.from("\nc: 1\n", "utf8"),
        ]);
        const after = applyEntriesToBytes(before, [{ path: ["c"], value: 2 }], "v.yaml");
        assert.ok(after.equals(Buffer.concat([before.subarray(0, before.length - 2), Buffer.from("2\n")])));
    });

    it("refuses a UTF-16 file with the fix, not a missing-field error", () => {
        const utf16 = Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            Buffer.from("image:\n  tag: 1.0.0\n", "utf16le"),
        ]);
        assert.throws(
            () => applyEntriesToBytes(utf16, [{ path: ["image", "tag"], value: "1.1.0" }], "values.yaml"),
            /values\.yaml: file values\.yaml is UTF-16; save it as UTF-8/,
        );
        assert.throws(
            () => decodeText(Buffer.from("a: 1\n", "utf16le"), "v.yaml"),
            /UTF-16; save it as UTF-8/,
        );
        assert.strictEqual(decodeText(Buffer.from("a: 1\n"), "v.yaml"), "a: 1\n");
    });
});

describe("applyEntries refuses what it cannot write, saying where and why", () => {
    it("an index past the end of the target's list is out of range, not 'not a mapping'", () => {
        assert.throws(
            () =>
                applyEntries("deps:\n  - a\n", [{ path: ["deps", 3, "version"], value: "1" }], "Chart.yaml"),
            (e: Error) =>
                /Chart\.yaml: cannot write \$\.deps\[3\]\.version: \$\.deps is a list of 1 item here, so index 3 is out of range/.test(
                    e.message,
                ) && !/not a mapping/.test(e.message),
        );
    });

    it("a key under a scalar names the scalar and the fix", () => {
        assert.throws(
            () => applyEntries("image: nginx\n", [{ path: ["image", "tag"], value: "1" }], "v.yaml"),
            /cannot write \$\.image\.tag: \$\.image is the scalar "nginx" here, not a mapping; make the target's/,
        );
    });
});

const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: argocd
resources:
  - https://raw.githubusercontent.com/argoproj/argo-cd/v2.11.0/manifests/install.yaml
images:
  - name: quay.io/argoproj/argocd
    newTag: v2.11.0 # promoted
  - name: ghcr.io/dexidp/dex
    newTag: v2.38.0
  - name: redis
    newTag: 7.0.15-alpine
`;

describe("promoting a filtered path (the Kustomize case)", () => {
    const argocd = "$.images[?(@.name == 'quay.io/argoproj/argocd')].newTag";
    // The target lists the images in another order, and pins dex to its own version.
    const target = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: argocd-qa
images:
  - name: redis
    newTag: 7.0.15-alpine
  - name: ghcr.io/dexidp/dex
    newTag: v2.37.0
  - name: quay.io/argoproj/argocd   # the UI
    newTag: v2.10.4
`;

    it("writes only that image's newTag, found in the target by the same filter", () => {
        const source = kustomization
            .replace("newTag: v2.11.0", "newTag: v2.12.1")
            .replace("v2.38.0", "v2.39.0");
        const entries = promotedEntries(source, "kustomization.yaml", { jsonPaths: [argocd] });
        assert.deepStrictEqual(
            entries.map((e) => [e.path, e.value]),
            [[["images", 0, "newTag"], "v2.12.1"]],
        );
        const { located, missing } = locateEntries(
            entries,
            readDocument(target, "kustomization.yaml"),
            "k.yaml",
        );
        assert.deepStrictEqual(missing, []);
        assert.deepStrictEqual(located, [{ path: ["images", 2, "newTag"], value: "v2.12.1" }]);
        const out = applyEntries(target, located, "kustomization.yaml");
        assert.deepStrictEqual(changedLines(target, out), [["    newTag: v2.10.4", "    newTag: v2.12.1"]]);
    });

    it("promotes several images by name and excludes one by filter", () => {
        const entries = promotedEntries(kustomization, "kustomization.yaml", {
            jsonPaths: ["$.images[?@.name == 'redis' || search(@.name, 'argoproj')]"],
            excludeJsonPaths: ["$.images[?@.name == 'redis'].newTag"],
        });
        const { located } = locateEntries(entries, readDocument(target, "kustomization.yaml"), "k.yaml");
        assert.deepStrictEqual(located, [
            { path: ["images", 2, "name"], value: "quay.io/argoproj/argocd" },
            { path: ["images", 2, "newTag"], value: "v2.11.0" },
            { path: ["images", 0, "name"], value: "redis" },
        ]);
    });

    it("leaves an image the target does not list alone and reports it", () => {
        const entries = promotedEntries(kustomization, "kustomization.yaml", { jsonPaths: [argocd] });
        const { located, missing } = locateEntries(
            entries,
            readDocument("images:\n  - name: redis\n    newTag: '7'\n", "k.yaml"),
            "k.yaml",
        );
        assert.deepStrictEqual(located, []);
        assert.deepStrictEqual(missing, ["$.images[?(@.name == 'quay.io/argoproj/argocd')]"]);
    });

    it("tells several filtered images apart by name, whatever their order in the target", () => {
        const source = kustomization.replace("v2.11.0 #", "v2.12.0 #").replace("v2.38.0", "v2.39.0");
        const entries = promotedEntries(source, "kustomization.yaml", {
            jsonPaths: ["$.images[?@.newTag].newTag"],
        });
        const out = applyEntries(
            target,
            locateEntries(entries, readDocument(target, "kustomization.yaml"), "k.yaml").located,
            "kustomization.yaml",
        );
        assert.deepStrictEqual(changedLines(target, out), [
            ["    newTag: v2.37.0", "    newTag: v2.39.0"],
            ["    newTag: v2.10.4", "    newTag: v2.12.0"],
        ]);
    });

    it("refuses a filter whose elements nothing tells apart when the target has a different number", () => {
        const entries = promotedEntries("l:\n  - {x: 1}\n  - {x: 2}\n", "v.yaml", {
            jsonPaths: ["$.l[?@.x].x"],
        });
        assert.throws(
            () => locateEntries(entries, readDocument("l: [{x: 5}]\n", "v.yaml"), "v.yaml"),
            /v\.yaml: \$\.l\[\?@\.x\] selects 1 element here and 2 in the source, and nothing tells which is which; make the filter select one element/,
        );
    });
});

describe("applyEntries on multi-line JSON", () => {
    it("replaces a nested array indented like the file (4 spaces), not at the bracket's column", () => {
        const json = '{\n    "name": "web",\n    "features": [\n        "a"\n    ]\n}\n';
        const out = applyEntries(json, [{ path: ["features"], value: ["a", "b"] }], "config.json");
        assert.strictEqual(
            out,
            '{\n    "name": "web",\n    "features": [\n        "a",\n        "b"\n    ]\n}\n',
        );
    });

    it("adds a key holding an object, indented like its siblings", () => {
        const json = '{\n    "name": "web"\n}\n';
        const out = applyEntries(json, [{ path: ["image"], value: ["x"] }], "config.json");
        assert.strictEqual(out, '{\n    "name": "web",\n    "image": [\n        "x"\n    ]\n}\n');
    });
});

describe("writing at every normalized path a query selects", () => {
    const target = "a:\n  - {tag: '1'}\n  - {tag: '1'}\n  - {tag: '1'}\nb:\n  c:\n    tag: '1' # deep\n";
    const source = "a:\n  - {tag: '2'}\n  - {tag: '3'}\n  - {tag: '4'}\nb:\n  c:\n    tag: '5'\n";
    const cases: [string, string][] = [
        [
            "$.a[0,2].tag",
            "a:\n  - {tag: '2'}\n  - {tag: '1'}\n  - {tag: '4'}\nb:\n  c:\n    tag: '1' # deep\n",
        ],
        [
            "$.a[1:].tag",
            "a:\n  - {tag: '1'}\n  - {tag: '3'}\n  - {tag: '4'}\nb:\n  c:\n    tag: '1' # deep\n",
        ],
        [
            "$.a[-1:].tag",
            "a:\n  - {tag: '1'}\n  - {tag: '1'}\n  - {tag: '4'}\nb:\n  c:\n    tag: '1' # deep\n",
        ],
        ["$..tag", "a:\n  - {tag: '2'}\n  - {tag: '3'}\n  - {tag: '4'}\nb:\n  c:\n    tag: '5' # deep\n"],
        [
            "$['b'][*]['tag']",
            "a:\n  - {tag: '1'}\n  - {tag: '1'}\n  - {tag: '1'}\nb:\n  c:\n    tag: '5' # deep\n",
        ],
    ];
    for (const [jsonPath, expected] of cases) {
        it(jsonPath, () => {
            const entries = promotedEntries(source, "v.yaml", { jsonPaths: [jsonPath] });
            assert.strictEqual(applyEntries(target, entries, "v.yaml"), expected);
        });
    }
});
