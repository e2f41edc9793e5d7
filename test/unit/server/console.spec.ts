import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { OpenAPIHono } from "@hono/zod-openapi";
import { addConsoleRoutes, consoleDir } from "../../../server/console";

describe("the web console's files", () => {
    const app = new OpenAPIHono();
    addConsoleRoutes(app);

    it("finds server/console/ from the build", () => {
        assert.ok(fs.existsSync(path.join(consoleDir(), "index.html")), consoleDir());
        assert.ok(fs.existsSync(path.join(consoleDir(), "app.js")));
    });

    it("serves the page at /, the app and its style, with their types and a strict content policy", async () => {
        for (const [p, type, body] of [
            ["/", "text/html", /<script type="module" src="\/console\/app.js">/],
            ["/console/app.js", "text/javascript", /import dagre from "\/console\/vendor\/dagre.js"/],
            ["/console/style.css", "text/css", /\.card/],
        ] as const) {
            const res = await app.request(p);
            assert.strictEqual(res.status, 200, p);
            assert.strictEqual(res.headers.get("content-type")?.split(";")[0], type, p);
            assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
            assert.strictEqual(res.headers.get("x-content-type-options"), "nosniff");
            assert.match(await res.text(), body, p);
        }
    });

    it("serves dagre's self-contained ES module (no imports of its own) for the graph layout", async () => {
        const res = await app.request("/console/vendor/dagre.js");
        assert.strictEqual(res.status, 200);
        const text = await res.text();
        assert.match(text, /export\s*\{[^}]*layout/);
        assert.doesNotMatch(text, /^\s*import\s/m);
    });

    it("serves nothing else: no path leads out of the console's files", async () => {
        for (const p of [
            "/console/",
            "/console/index.ts",
            "/console/../package.json",
            "/console/%2e%2e/api.ts",
        ]) {
            assert.strictEqual((await app.request(p)).status, 404, p);
        }
    });
});
