import * as fs from "node:fs";
import * as path from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";

/**
 * The web console: a small single-page app of plain ES modules in server/console/ (served as they are, no
 * build step), with the graph layout library (@dagrejs/dagre, its self-contained ES module build) beside it.
 * Everything it shows comes from the JSON API under /api/v1 and the event stream.
 */

/** The files the console serves, by URL path: name in server/console/ and content type. */
const files: Record<string, { readonly file: string; readonly type: string }> = {
    "/": { file: "index.html", type: "text/html; charset=utf-8" },
    "/console/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
    "/console/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** server/console/ from the sources (ts-node) or from the build (dist/server/ is two floors below the root). */
export function consoleDir(): string {
    const candidates = [
        path.join(__dirname, "console"),
        path.join(__dirname, "..", "..", "server", "console"),
    ];
    return candidates.find((d) => fs.existsSync(path.join(d, "index.html"))) ?? candidates[0];
}

function dagreModule(): string {
    // The package's "import" entry is the self-contained ES module build (no imports of its own).
    const pkg = require.resolve("@dagrejs/dagre/package.json");
    return path.join(path.dirname(pkg), "dist", "dagre.esm.js");
}

/** Adds the console's routes (`/`, `/console/*`) to the app. Files are read once, at the first request. */
export function addConsoleRoutes(app: OpenAPIHono, dir: string = consoleDir()): void {
    const cache = new Map<string, string>();
    const read = (file: string): string => {
        let text = cache.get(file);
        if (text === undefined) {
            text = fs.readFileSync(file, "utf8");
            cache.set(file, text);
        }
        return text;
    };
    const serve = (file: string, type: string) => (c: Context) =>
        c.body(read(file), 200, {
            "Content-Type": type,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy":
                "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        });
    for (const [route, { file, type }] of Object.entries(files)) {
        app.get(route, serve(path.join(dir, file), type));
    }
    app.get("/console/vendor/dagre.js", serve(dagreModule(), "text/javascript; charset=utf-8"));
}
