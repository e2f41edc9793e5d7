import { isDeepStrictEqual } from "util";
import type { Node } from "yaml";
import { isCollection, isMap, isScalar, isSeq, parseDocument, Scalar, stringify } from "yaml";
import type { ConcretePath } from "../../model/jsonPath";
import { formatPath } from "../../model/jsonPath";

/** One promoted value: where it goes and what it is (a scalar, an array, or null). */
export interface ValueEntry {
    readonly path: ConcretePath;
    readonly value: unknown;
}

export class DocumentEditError extends Error {
    constructor(
        readonly file: string,
        reason: string,
    ) {
        super(`${file}: ${reason}`);
        this.name = "DocumentEditError";
    }
}

/** JSON files are written as JSON; everything else as YAML. */
export function isJsonFile(file: string): boolean {
    return /\.json$/i.test(file);
}

function parseStrict(text: string, file: string) {
    const doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
    if (doc.errors.length > 0) {
        throw new DocumentEditError(
            file,
            `not valid ${isJsonFile(file) ? "JSON" : "YAML"}: ${doc.errors[0].message}`,
        );
    }
    return doc;
}

/** Parses a YAML or JSON file into plain values. */
export function readDocument(text: string, file: string): unknown {
    return parseStrict(text, file).toJS({ maxAliasCount: 1000 }) as unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Splits a matched value into the entries that are written: mappings are descended into (so only the scalars
 * that differ change, and comments inside them survive); scalars and arrays are written as whole values.
 */
export function leafEntries(path: ConcretePath, value: unknown): ValueEntry[] {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
        return Object.entries(value).flatMap(([k, v]) => leafEntries([...path, k], v));
    }
    return [{ path, value }];
}

function columnOf(text: string, offset: number): number {
    return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** The end of a node's own text, without the trailing blank lines and comments a block collection owns. */
function trimmedEnd(text: string, start: number, end: number): number {
    let e = end;
    while (e > start && /\s/.test(text[e - 1])) {
        e--;
    }
    return e;
}

function renderScalar(value: unknown, original: Scalar | undefined, json: boolean): string {
    if (json || value === null || typeof value !== "string") {
        return value === null ? "null" : JSON.stringify(value);
    }
    const type = original?.type;
    if (type === Scalar.QUOTE_SINGLE && !value.includes("\n")) {
        return `'${value.replace(/'/g, "''")}'`;
    }
    if (type === Scalar.QUOTE_DOUBLE) {
        return JSON.stringify(value);
    }
    // Plain when it reads back as the same string; quoted otherwise (e.g. "1.10", "true", "a: b").
    const plain = stringify(value, { lineWidth: 0 }).trimEnd();
    return plain === value ? value : JSON.stringify(value);
}

/** A value as YAML (or JSON) text whose first line starts at `column` and later lines are indented to it. */
function renderValue(value: unknown, column: number, json: boolean): string {
    const pad = " ".repeat(column);
    const isEmptyCollection =
        (Array.isArray(value) && value.length === 0) ||
        (isPlainObject(value) && Object.keys(value).length === 0);
    let body: string;
    if (json) {
        body = JSON.stringify(value, null, 2);
    } else if (isEmptyCollection || !(Array.isArray(value) || isPlainObject(value))) {
        body = isEmptyCollection ? JSON.stringify(value) : renderScalar(value, undefined, false);
    } else {
        body = stringify(value, { lineWidth: 0, indentSeq: true }).trimEnd();
    }
    return body
        .split("\n")
        .map((line, i) => (i === 0 || line === "" ? line : pad + line))
        .join("\n");
}

function renderKey(key: string | number, json: boolean): string {
    const k = String(key);
    if (json) {
        return JSON.stringify(k);
    }
    return renderScalar(k, undefined, false);
}

/** `key: value` (or nested keys for the rest of the path) as text starting at `column`. */
function renderPair(rest: ConcretePath, value: unknown, column: number, json: boolean): string {
    let nested: unknown = value;
    for (let i = rest.length - 1; i >= 1; i--) {
        nested = { [String(rest[i])]: nested };
    }
    const key = renderKey(rest[0], json);
    const block = !json && (Array.isArray(nested) || isPlainObject(nested)) && !isEmptyish(nested);
    if (block) {
        return `${key}:\n${" ".repeat(column + 2)}${renderValue(nested, column + 2, false)}`;
    }
    return `${key}: ${renderValue(nested, column, json)}`;
}

function isEmptyish(v: unknown): boolean {
    return (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

function rangeOf(node: Node, file: string): [number, number] {
    if (!node.range) {
        throw new DocumentEditError(file, "a node has no source position");
    }
    return [node.range[0], node.range[1]];
}

function replaceNode(text: string, node: Node, value: unknown, file: string, json: boolean): string {
    const [start, rawEnd] = rangeOf(node, file);
    const end = trimmedEnd(text, start, rawEnd);
    let replacement: string;
    if (isScalar(node) && !(Array.isArray(value) || isPlainObject(value))) {
        replacement = renderScalar(value, node, json);
    } else if (isCollection(node) && !node.flow && !json && !isEmptyish(value)) {
        replacement = renderValue(value, columnOf(text, start), false);
    } else {
        // A scalar becoming a collection, or a flow collection: write it in flow style on the same line.
        replacement = json ? renderValue(value, columnOf(text, start), true) : JSON.stringify(value);
    }
    return text.slice(0, start) + replacement + text.slice(end);
}

function insertMissing(
    text: string,
    path: ConcretePath,
    value: unknown,
    file: string,
    json: boolean,
): string {
    const doc = parseStrict(text, file);
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
        let root: unknown = value;
        for (let i = path.length - 1; i >= 0; i--) {
            root = typeof path[i] === "number" ? [root] : { [String(path[i])]: root };
        }
        return (json ? JSON.stringify(root, null, 2) : stringify(root, { lineWidth: 0 }).trimEnd()) + "\n";
    }
    for (let depth = path.length - 1; depth >= 0; depth--) {
        const parent =
            depth === 0 ? doc.contents : (doc.getIn(path.slice(0, depth), true) as Node | undefined);
        if (parent === undefined) {
            continue;
        }
        const rest = path.slice(depth);
        if (isMap(parent) && typeof rest[0] === "string") {
            const items = parent.items;
            if (items.length === 0) {
                return replaceNode(text, parent, buildNested(rest, value), file, json);
            }
            const first = items[0].key as Node;
            const last = items[items.length - 1];
            const lastNode = (last.value ?? last.key) as Node;
            const [lastStart, lastEndRaw] = rangeOf(lastNode, file);
            const insertAt = trimmedEnd(text, lastStart, lastEndRaw);
            const column = columnOf(text, rangeOf(first, file)[0]);
            if (parent.flow) {
                const multiline = text.slice(rangeOf(parent, file)[0], insertAt).includes("\n");
                const sep = multiline ? `,\n${" ".repeat(column)}` : ", ";
                return (
                    text.slice(0, insertAt) +
                    sep +
                    renderPair(rest, value, column, true) +
                    text.slice(insertAt)
                );
            }
            return (
                text.slice(0, insertAt) +
                `\n${" ".repeat(column)}${renderPair(rest, value, column, json)}` +
                text.slice(insertAt)
            );
        }
        if (isSeq(parent) && rest[0] === parent.items.length && rest.length === 1) {
            const next = [...(parent.toJSON() as unknown[]), value];
            return replaceNode(text, parent, next, file, json);
        }
        throw new DocumentEditError(
            file,
            `cannot create ${formatPath(path)}: ${formatPath(path.slice(0, depth))} is not a mapping`,
        );
    }
    throw new DocumentEditError(file, `cannot create ${formatPath(path)}`);
}

function buildNested(path: ConcretePath, value: unknown): Record<string, unknown> {
    let nested: unknown = value;
    for (let i = path.length - 1; i >= 1; i--) {
        nested = { [String(path[i])]: nested };
    }
    return { [String(path[0])]: nested };
}

/**
 * Writes each entry's value at its path and changes nothing else: comments, key order, quoting, blank lines
 * and every byte around the written values stay as they were. Missing keys are added at the end of their
 * mapping. The result is read back and checked, so a write that would not hold fails loudly instead.
 */
export function applyEntries(text: string, entries: readonly ValueEntry[], file: string): string {
    const json = isJsonFile(file);
    let out = text;
    for (const entry of entries) {
        const doc = parseStrict(out, file);
        const node =
            entry.path.length === 0 ? doc.contents : (doc.getIn(entry.path, true) as Node | undefined);
        if (node !== undefined && node !== null) {
            const current = (node as Node).toJSON() as unknown;
            if (!isDeepStrictEqual(current, entry.value)) {
                out = replaceNode(out, node as Node, entry.value, file, json);
            }
        } else {
            out = insertMissing(out, entry.path, entry.value, file, json);
        }
    }
    const check = readDocument(out, file);
    for (const entry of entries) {
        const got = lookup(check, entry.path);
        if (!isDeepStrictEqual(got, entry.value)) {
            throw new DocumentEditError(
                file,
                `writing ${formatPath(entry.path)} did not hold (read back ${JSON.stringify(got)}, ` +
                    `expected ${JSON.stringify(entry.value)}); the file was left unchanged`,
            );
        }
    }
    return out;
}

/** The value at a concrete path, or undefined. */
export function lookup(value: unknown, path: ConcretePath): unknown {
    let cur: unknown = value;
    for (const seg of path) {
        if (typeof seg === "number" ? !Array.isArray(cur) : !isPlainObject(cur)) {
            return undefined;
        }
        cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur;
}
