import * as assert from "assert";
import { applyEntries, leafEntries, readDocument } from "../../../../provider/yaml/documentEditor";
import { queryJsonPath } from "../../../../model/jsonPath";
import { promotedEntries, readVersion } from "../../../../provider/yaml/promotedValues";

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
