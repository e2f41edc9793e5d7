/**
 * The relative imports between the package's own TypeScript files, and the circles among them: strongly
 * connected components (Tarjan) of the file graph, or of the graph of one folder's subfolders. Read with the
 * TypeScript parser, so every form counts: `import`, `import type`, `export ... from`, `import x = require()`,
 * `import("./x")` and `require("./x")` with a literal, and `typeof import("./x")` in types.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** One file importing another: paths relative to the root with `/`, and the names the import takes. */
export interface ImportEdge {
    readonly from: string;
    readonly to: string;
    /** `type X` for type-only names, `*` for a whole module, `(side effect)` for a bare `import "./x"`. */
    readonly names: readonly string[];
}

/** Files (or folders) that reach each other through imports, sorted, with the imports that tie them. */
export interface ImportCircle {
    readonly members: readonly string[];
    readonly edges: readonly ImportEdge[];
}

function sources(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

function toPosix(p: string): string {
    return p.split(path.sep).join("/");
}

/** The `.ts` files (not `.d.ts`) under `dirs`, relative to `root` with `/`, sorted. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
    return dirs
        .flatMap((d) => sources(path.join(root, d)))
        .map((f) => toPosix(path.relative(root, f)))
        .sort();
}

/** `./x` from `dir`: x.ts, then x/index.ts, as `moduleResolution: node` finds them; undefined if neither is ours. */
function resolve(dir: string, specifier: string, known: ReadonlySet<string>): string | undefined {
    const base = path.resolve(dir, specifier);
    return [base, `${base}.ts`, path.join(base, "index.ts")].find((c) => known.has(c));
}

function bindingNames(name: ts.BindingName): string[] {
    if (ts.isIdentifier(name)) {
        return ["*"];
    }
    if (ts.isObjectBindingPattern(name)) {
        return name.elements.map((e) => (e.propertyName ?? e.name).getText());
    }
    return ["*"];
}

/** What a dynamic `import()` or `require()` takes: the property read from it, or the names destructured. */
function dynamicNames(call: ts.Node): string[] {
    let node: ts.Node = call;
    while (
        ts.isParenthesizedExpression(node.parent) ||
        ts.isAwaitExpression(node.parent) ||
        ts.isAsExpression(node.parent)
    ) {
        node = node.parent;
    }
    const parent = node.parent;
    if (ts.isPropertyAccessExpression(parent) && parent.expression === node) {
        if (parent.name.text === "then" && ts.isCallExpression(parent.parent)) {
            const callback = parent.parent.arguments[0];
            if (callback && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) {
                const first = callback.parameters[0];
                if (first) {
                    return bindingNames(first.name);
                }
            }
            return ["*"];
        }
        return [parent.name.text];
    }
    if (ts.isVariableDeclaration(parent) && parent.initializer === node) {
        return bindingNames(parent.name);
    }
    return ["*"];
}

function importClauseNames(clause: ts.ImportClause | undefined): string[] {
    if (!clause) {
        return ["(side effect)"];
    }
    const prefix = clause.isTypeOnly ? "type " : "";
    const names: string[] = [];
    if (clause.name) {
        names.push(`${prefix}default`);
    }
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) {
        names.push(`${prefix}*`);
    }
    if (bindings && ts.isNamedImports(bindings)) {
        for (const e of bindings.elements) {
            const typeOnly = clause.isTypeOnly || e.isTypeOnly;
            names.push(`${typeOnly ? "type " : ""}${(e.propertyName ?? e.name).text}`);
        }
    }
    return names;
}

function exportClauseNames(decl: ts.ExportDeclaration): string[] {
    const prefix = decl.isTypeOnly ? "type " : "";
    const clause = decl.exportClause;
    if (!clause || ts.isNamespaceExport(clause)) {
        return [`${prefix}*`];
    }
    return clause.elements.map(
        (e) => `${decl.isTypeOnly || e.isTypeOnly ? "type " : ""}${(e.propertyName ?? e.name).text}`,
    );
}

/** Every specifier a file imports, with the names each takes. */
function fileImports(file: string, text: string): { specifier: string; names: string[] }[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const found: { specifier: string; names: string[] }[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            found.push({ specifier: node.moduleSpecifier.text, names: importClauseNames(node.importClause) });
        } else if (
            ts.isExportDeclaration(node) &&
            node.moduleSpecifier &&
            ts.isStringLiteral(node.moduleSpecifier)
        ) {
            found.push({ specifier: node.moduleSpecifier.text, names: exportClauseNames(node) });
        } else if (
            ts.isImportEqualsDeclaration(node) &&
            ts.isExternalModuleReference(node.moduleReference) &&
            ts.isStringLiteral(node.moduleReference.expression)
        ) {
            found.push({ specifier: node.moduleReference.expression.text, names: ["*"] });
        } else if (
            ts.isCallExpression(node) &&
            node.arguments.length === 1 &&
            ts.isStringLiteral(node.arguments[0])
        ) {
            const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
            const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
            if (isImport || isRequire) {
                found.push({ specifier: node.arguments[0].text, names: dynamicNames(node) });
            }
        } else if (
            ts.isImportTypeNode(node) &&
            ts.isLiteralTypeNode(node.argument) &&
            ts.isStringLiteral(node.argument.literal)
        ) {
            const name = node.qualifier ? node.qualifier.getText() : "*";
            found.push({ specifier: node.argument.literal.text, names: [`type ${name}`] });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

/**
 * The relative imports among the `.ts` files under `dirs` (relative to `root`); imports of packages, of
 * files outside `dirs` and of non-TypeScript files are left out. One edge per importing and imported file.
 */
export function importEdges(root: string, dirs: readonly string[]): ImportEdge[] {
    const files = dirs.flatMap((d) => sources(path.join(root, d))).sort();
    const known = new Set(files);
    const edges = new Map<string, { from: string; to: string; names: Set<string> }>();
    for (const file of files) {
        for (const { specifier, names } of fileImports(file, fs.readFileSync(file, "utf8"))) {
            if (!specifier.startsWith(".")) {
                continue;
            }
            const target = resolve(path.dirname(file), specifier, known);
            if (!target) {
                continue;
            }
            const from = toPosix(path.relative(root, file));
            const to = toPosix(path.relative(root, target));
            const key = `${from}\0${to}`;
            const edge = edges.get(key) ?? { from, to, names: new Set<string>() };
            for (const n of names) {
                edge.names.add(n);
            }
            edges.set(key, edge);
        }
    }
    return [...edges.values()].map((e) => ({ from: e.from, to: e.to, names: [...e.names].sort() }));
}

/** Tarjan's strongly connected components of the graph `edges` draws, with more than one node or a self-loop. */
export function importCircles(edges: readonly ImportEdge[]): ImportCircle[] {
    const next = new Map<string, string[]>();
    for (const e of edges) {
        next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
        if (!next.has(e.to)) {
            next.set(e.to, []);
        }
    }
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const components: string[][] = [];
    const connect = (v: string): void => {
        index.set(v, index.size);
        low.set(v, index.get(v)!);
        stack.push(v);
        onStack.add(v);
        for (const w of next.get(v)!) {
            if (!index.has(w)) {
                connect(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            components.push(component.sort());
        }
    };
    for (const v of [...next.keys()].sort()) {
        if (!index.has(v)) {
            connect(v);
        }
    }
    return components
        .filter((c) => c.length > 1 || edges.some((e) => e.from === c[0] && e.to === c[0]))
        .map((members) => {
            const inside = new Set(members);
            return { members, edges: edges.filter((e) => inside.has(e.from) && inside.has(e.to)) };
        })
        .sort((a, b) => a.members[0].localeCompare(b.members[0]));
}

/**
 * The circles among `folder`'s subfolders: each file counts as its first-level subfolder (`engine/release`
 * for `engine/release/gates.ts` and for anything deeper), files directly in `folder` as `folder` itself.
 * Imports within one subfolder, and to or from files outside `folder`, do not count. Each circle's
 * edges are the file imports that cross between its folders.
 */
export function folderCircles(edges: readonly ImportEdge[], folder: string): ImportCircle[] {
    const folderOf = (file: string): string | undefined => {
        if (!file.startsWith(`${folder}/`)) {
            return undefined;
        }
        const rest = file.slice(folder.length + 1).split("/");
        return rest.length === 1 ? folder : `${folder}/${rest[0]}`;
    };
    const crossing = edges
        .map((e) => ({ edge: e, from: folderOf(e.from), to: folderOf(e.to) }))
        .filter(
            (c): c is { edge: ImportEdge; from: string; to: string } => !!c.from && !!c.to && c.from !== c.to,
        );
    const folderEdges = new Map<string, ImportEdge>();
    for (const c of crossing) {
        folderEdges.set(`${c.from}\0${c.to}`, { from: c.from, to: c.to, names: [] });
    }
    return importCircles([...folderEdges.values()]).map((circle) => {
        const inside = new Set(circle.members);
        return {
            members: circle.members,
            edges: crossing.filter((c) => inside.has(c.from) && inside.has(c.to)).map((c) => c.edge),
        };
    });
}

/** A circle as lines for an assertion message: its members, then each import that ties them. */
export function describeCircle(circle: ImportCircle): string {
    const lines = circle.edges.map((e) => `    ${e.from} → ${e.to}: ${e.names.join(", ")}`);
    return [`  ${circle.members.join(" ↔ ")}`, ...lines].join("\n");
}
