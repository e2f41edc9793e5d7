import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { OpenAPIHono } from "@hono/zod-openapi";
import { addConsoleRoutes, consoleDir, consolePage } from "../../../server/console";

describe("the web console's files", () => {
    const app = new OpenAPIHono();
    addConsoleRoutes(app);

    it("finds server/console/ from the build", () => {
        assert.ok(fs.existsSync(path.join(consoleDir(), "index.html")), consoleDir());
        assert.ok(fs.existsSync(path.join(consoleDir(), "app.js")));
    });

    it("serves the page at /, the app, its modules and its style, with their types and a strict content policy", async () => {
        for (const [p, type, body] of [
            ["/", "text/html", /<script type="module" src="\/console\/app.js">/],
            ["/console/app.js", "text/javascript", /import \{ dashboard \} from "\.\/views\/dashboard\.js"/],
            ["/console/lib/api.js", "text/javascript", /new URL\("\.\.\/\.\.", import\.meta\.url\)/],
            ["/console/views/graph.js", "text/javascript", /import dagre from "\.\.\/vendor\/dagre\.js"/],
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
            "/console/types.d.ts",
            "/console/tsconfig.json",
            "/console/vendor/dagre.d.ts",
            "/console/views/",
            "/console/views/missing.js",
            "/console/lib/%2e%2e%2fapp.js",
        ]) {
            assert.strictEqual((await app.request(p)).status, 404, p);
        }
    });

    it("every module the console imports is one the server serves (relative imports, so a path prefix keeps working)", async () => {
        const seen = new Set<string>();
        const visit = async (url: string): Promise<void> => {
            if (seen.has(url)) {
                return;
            }
            seen.add(url);
            const res = await app.request(url);
            assert.strictEqual(res.status, 200, url);
            for (const [, spec] of (await res.text()).matchAll(/^import .* from "([^"]+)";$/gm)) {
                assert.match(
                    spec,
                    /^\.\.?\//,
                    `${url} imports ${spec}: only relative imports work under a prefix`,
                );
                await visit(new URL(spec, `http://x${url}`).pathname);
            }
        };
        await visit("/console/app.js");
        assert.ok(
            seen.has("/console/vendor/dagre.js") && seen.has("/console/views/release.js"),
            [...seen].join(),
        );
    });

    it("links the page to its files and preloads its modules under the path prefix the server is reached under", async () => {
        const html = fs.readFileSync(path.join(consoleDir(), "index.html"), "utf8");
        assert.strictEqual(consolePage(html, ""), html);
        const prefixed = consolePage(html, "/promotions");
        assert.match(prefixed, /<script type="module" src="\/promotions\/console\/app.js">/);
        assert.match(prefixed, /href="\/promotions\/console\/style.css"/);
        assert.match(prefixed, /href="\/promotions\/api\/v1\/openapi.json"/);
        assert.doesNotMatch(prefixed, /(href|src)="\/(?!promotions\/)/);
        const served = new OpenAPIHono();
        addConsoleRoutes(served, consoleDir(), "/promotions");
        const page = await (await served.request("/")).text();
        // Every module is preloaded (fetched at once, not one level of imports after another), under the prefix.
        for (const m of ["lib/api.js", "views/release.js", "views/graph.js", "vendor/dagre.js"]) {
            assert.match(page, new RegExp(`<link rel="modulepreload" href="/promotions/console/${m}" />`), m);
        }
        assert.doesNotMatch(page, /(href|src)="\/(?!promotions\/)/);
        assert.match(page, /<script type="module" src="\/promotions\/console\/app.js">/);
    });
});
