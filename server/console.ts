import * as fs from "node:fs";
import * as path from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";

/**
 * The web console: a small single-page app of plain ES modules in server/console/ (app.js, views/, lib/; served
 * as they are, no bundling, their JSDoc types checked by `tsc -p server/console` in the build), with the graph
 * layout library (@dagrejs/dagre, its self-contained ES module build) beside it. Everything it shows comes from
 * the JSON API under /api/v1 and the event stream.
 */

const javascript = "text/javascript; charset=utf-8";
const types: Record<string, string> = { ".js": javascript, ".css": "text/css; charset=utf-8" };

/** server/console/ from the sources (ts-node) or from the build (dist/server/ is two floors below the root). */
export function consoleDir(): string {
    const candidates = [
        path.join(__dirname, "console"),
        path.join(__dirname, "..", "..", "server", "console"),
    ];
    return candidates.find((d) => fs.existsSync(path.join(d, "index.html"))) ?? candidates[0];
}

/**
 * The files the console serves, by URL path under /console/: the page's scripts and style sheets found in `dir`
 * (app.js, lib/*.js, views/*.js, style.css), never its type declarations or configuration.
 */
export function consoleFiles(dir: string): Map<string, { readonly file: string; readonly type: string }> {
    const files = new Map<string, { file: string; type: string }>();
    const walk = (sub: string): void => {
        for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
            const rel = sub ? `${sub}/${entry.name}` : entry.name;
            const type = types[path.extname(entry.name)];
            if (entry.isDirectory()) {
                walk(rel);
            } else if (entry.isFile() && type) {
                files.set(`/console/${rel}`, { file: path.join(dir, ...rel.split("/")), type });
            }
        }
    };
    walk("");
    return files;
}

/** The route of the modules in server/console/lib/ and views/ (a folder, a module; only files found there answer). */
export const moduleRoute = "/console/:folder/:module";

function dagreModule(): string {
    // The package's "import" entry is the self-contained ES module build (no imports of its own).
    const pkg = require.resolve("@dagrejs/dagre/package.json");
    return path.join(path.dirname(pkg), "dist", "dagre.esm.js");
}

/**
 * The page, with its links to the console's files and the API under `basePath` (the prefix a reverse proxy
 * serves the server under; "" at the root). The scripts find the prefix from their own URL (lib/api.js).
 */
export function consolePage(html: string, basePath: string): string {
    return basePath ? html.replace(/(href|src)="\/(?!\/)/g, `$1="${basePath}/`) : html;
}

/**
 * The page with a `modulepreload` link for each of the console's modules (`urls`, dagre's included): the browser
 * fetches them all at once instead of one level of imports after another (app.js, a view, lib/, dagre).
 */
export function withModulePreloads(html: string, urls: readonly string[]): string {
    const links = urls.map((u) => `<link rel="modulepreload" href="${u}" />`).join("\n        ");
    return html.replace(/(\s*)(<script type="module")/, `$1${links}$1$2`);
}

/**
 * Adds the console's routes (`/`, `/console/*`) to the app. Files are read once, at the first request. The routes
 * are at the root even under a path prefix: the server strips the prefix before routing (server/server.ts).
 */
export function addConsoleRoutes(app: OpenAPIHono, dir: string = consoleDir(), basePath = ""): void {
    const cache = new Map<string, string>();
    const read = (file: string, edit: (text: string) => string = (t) => t): string => {
        let text = cache.get(file);
        if (text === undefined) {
            text = edit(fs.readFileSync(file, "utf8"));
            cache.set(file, text);
        }
        return text;
    };
    const headers = (type: string) => ({
        "Content-Type": type,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy":
            "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    });
    const serve = (file: string, type: string) => (c: Context) => c.body(read(file), 200, headers(type));
    const files = consoleFiles(dir);
    const modules = [...files.keys()]
        .filter((u) => u.endsWith(".js") && u !== "/console/app.js")
        .concat("/console/vendor/dagre.js");
    const index = path.join(dir, "index.html");
    app.get("/", (c) =>
        c.body(
            read(index, (html) => consolePage(withModulePreloads(html, modules), basePath)),
            200,
            headers("text/html; charset=utf-8"),
        ),
    );
    for (const [route, { file, type }] of files) {
        if (!route.slice("/console/".length).includes("/")) {
            app.get(route, serve(file, type));
        }
    }
    app.get("/console/vendor/dagre.js", serve(dagreModule(), javascript));
    // The views' and shared parts' modules: one route for the folders (a new view needs no new route).
    app.get(moduleRoute, (c) => {
        const found = files.get(c.req.path);
        return found ? serve(found.file, found.type)(c) : c.notFound();
    });
}
