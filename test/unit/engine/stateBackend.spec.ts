import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
    displayBackendUrl,
    readStackResources,
    stackSeen,
    storedStackNames,
    urlPassword,
} from "../../../engine/pulumi/stateBackend";

describe("state backend: direct reads", () => {
    let dir: string;
    let url: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-backend-"));
        url = `file://${dir}`;
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const writeStack = (project: string, stack: string, resources: unknown[], gz = false) => {
        const stacks = path.join(dir, ".pulumi", "stacks", project);
        fs.mkdirSync(stacks, { recursive: true });
        const text = JSON.stringify({ version: 3, checkpoint: { latest: { resources } } });
        fs.writeFileSync(
            path.join(stacks, `${stack}.json${gz ? ".gz" : ""}`),
            gz ? zlib.gzipSync(text) : text,
        );
    };

    it("reads a file:// backend's stacks, plain and gzipped, and says what it does not know", async () => {
        fs.mkdirSync(path.join(dir, ".pulumi"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml"), "version: 1\n");
        writeStack("p", "a", [{ urn: "urn:a", type: "t" }]);
        writeStack("p", "b", [{ urn: "urn:b", type: "t" }], true);
        fs.writeFileSync(path.join(dir, ".pulumi", "stacks", "p", "a.json.bak"), "{}");
        assert.deepStrictEqual(await readStackResources(url, "p", "a"), [{ urn: "urn:a", type: "t" }]);
        assert.deepStrictEqual(await readStackResources(url, "p", "b"), [{ urn: "urn:b", type: "t" }]);
        assert.strictEqual(await readStackResources(url, "p", "c"), undefined);
        assert.deepStrictEqual((await storedStackNames(url, "p"))?.sort(), ["a", "b"]);
        assert.deepStrictEqual(await storedStackNames(url, "q"), []);
        assert.strictEqual(await stackSeen(url, "p", "a"), "exists");
        assert.strictEqual(await stackSeen(url, "p", "c"), "absent");
    });

    it("leaves other layouts and backends to the engine", async () => {
        fs.mkdirSync(path.join(dir, ".pulumi"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml"), "version: 0\n");
        assert.strictEqual(await stackSeen(url, "p", "a"), "unknown");
        assert.strictEqual(await storedStackNames(url, "p"), undefined);
        assert.strictEqual(await stackSeen("s3://bucket", "p", "a"), "unknown");
        assert.strictEqual(await readStackResources("https://api.pulumi.com", "p", "a"), undefined);
    });

    it("an unreachable postgres backend is unknown, not an error", async () => {
        // Port 1 on loopback refuses at once.
        const pg = "postgres://u@127.0.0.1:1/db?sslmode=disable";
        assert.strictEqual(await stackSeen(pg, "p", "a"), "unknown");
        assert.strictEqual(await readStackResources(pg, "p", "a"), undefined);
    });

    it("knows a URL's password and never shows it", () => {
        assert.strictEqual(urlPassword("postgres://u:s%40cret@h:5432/db"), "s@cret");
        assert.strictEqual(urlPassword("postgres://u@h/db"), undefined);
        assert.strictEqual(urlPassword("file:///tmp/x"), undefined);
        assert.strictEqual(
            displayBackendUrl("postgres://u:s3cret@h:5432/db?sslmode=disable"),
            "postgres://u:***@h:5432/db?sslmode=disable",
        );
        assert.strictEqual(displayBackendUrl("file:///tmp/x"), "file:///tmp/x");
    });
});
