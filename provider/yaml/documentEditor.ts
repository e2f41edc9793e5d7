import { isDeepStrictEqual } from "util";
import type { Node, ToStringOptions } from "yaml";
import {
    Document,
    isCollection,
    isMap,
    isPair,
    isScalar,
    isSeq,
    parseDocument,
    Scalar,
    stringify,
    visit,
} from "yaml";
import { InvalidInputError } from "../../model/errors";
import type { ConcretePath, Locator } from "../../model/jsonPath";
import { formatPath } from "../../model/jsonPath";

/** One promoted value: where it goes and what it is (a scalar, an array, or null). */
export interface ValueEntry {
    /** Where the value is in the source document. */
    readonly path: ConcretePath;
    readonly value: unknown;
    /**
     * Present when a filter selected the value (`$.images[?(@.name == 'web')].newTag`): the path with the
     * filter kept, so the target's own element is found by the same filter wherever it is in its list.
     */
    readonly locator?: Locator;
}

/** A file the editor cannot read or write as asked; the message names the file, what is wrong and the fix. */
export class DocumentEditError extends InvalidInputError {
    constructor(
        readonly file: string,
        readonly reason: string,
    ) {
        super(`${file}: ${reason}`, { path: file });
    }
}

/** JSON files are written as JSON; everything else as YAML. */
export function isJsonFile(file: string): boolean {
    return /\.json$/i.test(file);
}

/**
 * A file's bytes as text. UTF-16 and UTF-32 files are refused (YAML tools read them, but we edit bytes and
 * would have to rewrite the whole file); bytes that are not UTF-8 read as U+FFFD and, on lines that are not
 * edited, are written back as they were (see {@link applyEntriesToBytes}).
 */
export function decodeText(bytes: Buffer, file: string): string {
    const bom = bytes.subarray(0, 4);
    const utf32 =
        (bom.length >= 4 && bom[0] === 0 && bom[1] === 0 && bom[2] === 0xfe && bom[3] === 0xff) ||
        (bom.length >= 4 && bom[0] === 0xff && bom[1] === 0xfe && bom[2] === 0 && bom[3] === 0);
    const utf16Bom =
        bom.length >= 2 && ((bom[0] === 0xff && bom[1] === 0xfe) || (bom[0] === 0xfe && bom[1] === 0xff));
    // Without a byte order mark, ASCII text in UTF-16 has a NUL byte beside every character.
    const nulPairs =
        bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0) && bytes.subarray(0, 64).includes(0);
    if (utf32) {
        throw new DocumentEditError(file, "the file is UTF-32; save it as UTF-8");
    }
    if (utf16Bom || nulPairs) {
        throw new DocumentEditError(file, `file ${file} is UTF-16; save it as UTF-8`);
    }
    return bytes.toString("utf8");
}

/**
 * The last document parsed (never changed after parsing): planning reads a file and then edits the same text,
 * which parses it once instead of twice.
 */
let lastParsed: { text: string; doc: ReturnType<typeof parseDocument> } | undefined;

function parseStrict(text: string, file: string) {
    if (lastParsed?.text === text) {
        return lastParsed.doc;
    }
    const doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
    if (doc.errors.length > 0) {
        throw new DocumentEditError(
            file,
            `not valid ${isJsonFile(file) ? "JSON" : "YAML"}: ${doc.errors[0].message}`,
        );
    }
    lastParsed = { text, doc };
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
export function leafEntries(path: ConcretePath, value: unknown, locator?: Locator): ValueEntry[] {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
        return Object.entries(value).flatMap(([k, v]) =>
            leafEntries([...path, k], v, locator === undefined ? undefined : [...locator, k]),
        );
    }
    return [{ path, value, ...(locator !== undefined ? { locator } : {}) }];
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

function isEmptyish(v: unknown): boolean {
    return (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

type StringType = "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE";

/** How the target quotes strings in a collection: the style of its first string value, else plain. */
function stringStyleOf(node: Node | undefined): StringType {
    let style: StringType = "PLAIN";
    if (node === undefined) {
        return style;
    }
    visit(node, {
        Scalar(key, n) {
            if (key !== "key" && typeof n.value === "string") {
                style = n.type === Scalar.QUOTE_DOUBLE || n.type === Scalar.QUOTE_SINGLE ? n.type : "PLAIN";
                return visit.BREAK;
            }
            return undefined;
        },
    });
    return style;
}

/** A scalar as the target writes it; `flow` when it sits in a flow collection (where "," and brackets end it). */
function renderScalar(value: unknown, original: Scalar | undefined, json: boolean, flow = false): string {
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
    return plain === value && !(flow && /[,[\]{}]/.test(value)) ? value : JSON.stringify(value);
}

/** A collection in flow style on one line, spaced and quoted like `original` (`[a, b]`, `[ "a", "b" ]`). */
function renderFlow(value: unknown, original: Node | undefined, text: string, json: boolean): string {
    const source = original?.range ? text.slice(original.range[0], original.range[1]) : "";
    const padded = /^[[{][ \t]/.test(source);
    if (json) {
        const sep = source === "" || /,[ \t]/.test(source) ? ", " : ",";
        const colon = source === "" || /:[ \t]/.test(source) ? ": " : ":";
        const pad = padded ? " " : "";
        const render = (v: unknown): string => {
            if (Array.isArray(v)) {
                return v.length === 0 ? "[]" : `[${pad}${v.map(render).join(sep)}${pad}]`;
            }
            if (isPlainObject(v)) {
                const items = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${colon}${render(x)}`);
                return items.length === 0 ? "{}" : `{${pad}${items.join(sep)}${pad}}`;
            }
            return JSON.stringify(v);
        };
        return render(value);
    }
    const doc = new Document(value);
    visit(doc, {
        Collection(_, n) {
            n.flow = true;
        },
    });
    const options: ToStringOptions = {
        flowCollectionPadding: padded,
        lineWidth: 0,
        defaultStringType: stringStyleOf(original),
        defaultKeyType: "PLAIN",
    };
    return doc.toString(options).trimEnd();
}

/** A value in block style whose first line starts at `column` and later lines are indented to it. */
function renderBlock(value: unknown, column: number, original: Node | undefined): string {
    const pad = " ".repeat(column);
    const body = stringify(value, {
        lineWidth: 0,
        indentSeq: true,
        defaultStringType: stringStyleOf(original),
        defaultKeyType: "PLAIN",
    }).trimEnd();
    return body
        .split("\n")
        .map((line, i) => (i === 0 || line === "" ? line : pad + line))
        .join("\n");
}

/** A value as multi-line JSON: indented by `unit` per level, later lines starting at `indent`. */
function renderJsonBlock(value: unknown, indent: number, unit = 2): string {
    const pad = " ".repeat(indent);
    return JSON.stringify(value, null, unit)
        .split("\n")
        .map((line, i) => (i === 0 ? line : pad + line))
        .join("\n");
}

/** How far the line holding `offset` is indented. */
function lineIndent(text: string, offset: number): number {
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    return /^[ \t]*/.exec(text.slice(lineStart))![0].length;
}

/** The indentation step a multi-line collection uses: its first item's column beyond its own line's indent. */
function indentUnit(text: string, node: Node): number {
    const items = isCollection(node) ? (node.items as unknown[]) : [];
    const first = items[0];
    const firstNode = (isPair(first) ? first.key : first) as Node | undefined;
    if (firstNode?.range && node.range) {
        const unit = columnOf(text, firstNode.range[0]) - lineIndent(text, node.range[0]);
        if (unit > 0 && unit <= 8 && text.slice(node.range[0], firstNode.range[0]).includes("\n")) {
            return unit;
        }
    }
    return 2;
}

function renderKey(key: string | number, json: boolean): string {
    const k = String(key);
    return json ? JSON.stringify(k) : renderScalar(k, undefined, false);
}

function nest(rest: ConcretePath, value: unknown): unknown {
    let nested: unknown = value;
    for (let i = rest.length - 1; i >= 1; i--) {
        nested = { [String(rest[i])]: nested };
    }
    return nested;
}

/** `key: value` (or nested keys for the rest of the path) as block text starting at `column`. */
function renderPair(
    rest: ConcretePath,
    value: unknown,
    column: number,
    json: boolean,
    text: string,
    unit = 2,
): string {
    const nested = nest(rest, value);
    const key = renderKey(rest[0], json);
    const isCollectionValue = Array.isArray(nested) || isPlainObject(nested);
    if (json) {
        return `${key}: ${isCollectionValue ? renderJsonBlock(nested, column, unit) : renderScalar(nested, undefined, true)}`;
    }
    if (isCollectionValue && !isEmptyish(nested)) {
        return `${key}:\n${" ".repeat(column + 2)}${renderBlock(nested, column + 2, undefined)}`;
    }
    return `${key}: ${isCollectionValue ? renderFlow(nested, undefined, text, false) : renderScalar(nested, undefined, false)}`;
}

function rangeOf(node: Node, file: string): [number, number] {
    if (!node.range) {
        throw new DocumentEditError(file, "a node has no source position");
    }
    return [node.range[0], node.range[1]];
}

/** One edit of a text: replace `[start, end)` with `insert`. */
interface Splice {
    readonly start: number;
    readonly end: number;
    readonly insert: string;
}

function replaceNode(
    text: string,
    node: Node,
    value: unknown,
    file: string,
    json: boolean,
    inFlow = false,
): Splice {
    const [start, rawEnd] = rangeOf(node, file);
    const end = trimmedEnd(text, start, rawEnd);
    const isCollectionValue = Array.isArray(value) || isPlainObject(value);
    let insert: string;
    if (isScalar(node) && !isCollectionValue) {
        insert = renderScalar(value, node, json, inFlow);
    } else if (
        isCollection(node) &&
        (json ? text.slice(start, end).includes("\n") : !node.flow) &&
        !isEmptyish(value) &&
        isCollectionValue
    ) {
        // A block collection stays block (JSON: a multi-line array or object stays multi-line).
        insert = json
            ? renderJsonBlock(value, lineIndent(text, start), indentUnit(text, node))
            : renderBlock(value, columnOf(text, start), node);
    } else if (!isCollectionValue) {
        insert = renderScalar(value, undefined, json, inFlow);
    } else {
        // A flow collection stays flow, spaced and quoted as it was; a scalar becoming a collection is
        // written in flow style on its line.
        insert = renderFlow(value, isCollection(node) ? node : undefined, text, json);
    }
    return { start, end, insert };
}

function countOf(node: unknown): string {
    if (isSeq(node)) {
        return `a list of ${node.items.length} item${node.items.length === 1 ? "" : "s"}`;
    }
    if (isMap(node)) {
        return "a mapping";
    }
    return isScalar(node) ? `the scalar ${JSON.stringify(node.value)}` : "not a collection";
}

function insertMissing(
    text: string,
    path: ConcretePath,
    value: unknown,
    file: string,
    json: boolean,
): Splice {
    const doc = parseStrict(text, file);
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
        let root: unknown = value;
        for (let i = path.length - 1; i >= 0; i--) {
            root = typeof path[i] === "number" ? [root] : { [String(path[i])]: root };
        }
        const insert =
            (json ? JSON.stringify(root, null, 2) : stringify(root, { lineWidth: 0 }).trimEnd()) + "\n";
        return { start: 0, end: text.length, insert };
    }
    for (let depth = path.length - 1; depth >= 0; depth--) {
        const parent =
            depth === 0 ? doc.contents : (doc.getIn(path.slice(0, depth), true) as Node | undefined);
        if (parent === undefined || parent === null) {
            continue;
        }
        const rest = path.slice(depth);
        const where = formatPath(path.slice(0, depth));
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
                const nested = nest(rest, value);
                const collection = Array.isArray(nested) || isPlainObject(nested);
                const rendered = !collection
                    ? renderScalar(nested, undefined, json, true)
                    : json && multiline && !isEmptyish(nested)
                      ? renderJsonBlock(nested, column, indentUnit(text, parent))
                      : renderFlow(nested, parent, text, json);
                return {
                    start: insertAt,
                    end: insertAt,
                    insert: `${sep}${renderKey(rest[0], json)}: ${rendered}`,
                };
            }
            return {
                start: insertAt,
                end: insertAt,
                insert: `\n${" ".repeat(column)}${renderPair(rest, value, column, json, text, indentUnit(text, parent))}`,
            };
        }
        if (isSeq(parent) && typeof rest[0] === "number") {
            if (rest[0] === parent.items.length && rest.length === 1) {
                const next = [...(parent.toJSON() as unknown[]), value];
                return replaceNode(text, parent, next, file, json);
            }
            throw new DocumentEditError(
                file,
                `cannot write ${formatPath(path)}: ${where} is ${countOf(parent)} here, so index ${rest[0]} ` +
                    `is out of range (the target's list is shorter than the source's); select the element ` +
                    `with a filter (e.g. ${where}[?(@.name == '…')]) or align the lists`,
            );
        }
        const wanted = typeof rest[0] === "number" ? "a list" : "a mapping";
        throw new DocumentEditError(
            file,
            `cannot write ${formatPath(path)}: ${where} is ${countOf(parent)} here, not ${wanted}; ` +
                `make the target's ${where} ${wanted} like the source's, or leave ${formatPath(path)} out of the template`,
        );
    }
    throw new DocumentEditError(file, `cannot write ${formatPath(path)}`);
}

function buildNested(path: ConcretePath, value: unknown): Record<string, unknown> {
    return { [String(path[0])]: nest(path, value) };
}

/** Each entry's edit, in order (each splice applies to the text the ones before it produced). */
function editsFor(
    text: string,
    entries: readonly ValueEntry[],
    file: string,
): { out: string; splices: Splice[] } {
    const json = isJsonFile(file);
    let out = text;
    const splices: Splice[] = [];
    for (const entry of entries) {
        const doc = parseStrict(out, file);
        const node =
            entry.path.length === 0 ? doc.contents : (doc.getIn(entry.path, true) as Node | undefined);
        let splice: Splice | undefined;
        if (node !== undefined && node !== null && !isPair(node)) {
            const current = (node as Node).toJSON() as unknown;
            if (!isDeepStrictEqual(current, entry.value)) {
                const parent = entry.path.length === 0 ? undefined : doc.getIn(entry.path.slice(0, -1), true);
                const inFlow = isCollection(parent) && parent.flow === true;
                splice = replaceNode(out, node as Node, entry.value, file, json, inFlow);
            }
        } else {
            splice = insertMissing(out, entry.path, entry.value, file, json);
        }
        if (splice) {
            out = out.slice(0, splice.start) + splice.insert + out.slice(splice.end);
            splices.push(splice);
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
    return { out, splices };
}

/**
 * Writes each entry's value at its path and changes nothing else: comments, key order, quoting, blank lines
 * and every byte around the written values stay as they were; a collection keeps its style (flow stays flow,
 * block stays block). Missing keys are added at the end of their mapping. The result is read back and
 * checked, so a write that would not hold fails loudly instead.
 */
export function applyEntries(text: string, entries: readonly ValueEntry[], file: string): string {
    return editsFor(text, entries, file).out;
}

/**
 * For each UTF-16 code unit of `bytes.toString("utf8")`, the byte offset where its character starts (plus
 * the length at the end). Follows the WHATWG UTF-8 decoder Node uses, so an invalid sequence is one U+FFFD.
 */
function charOffsets(bytes: Buffer): number[] {
    const offsets: number[] = [];
    let i = 0;
    while (i < bytes.length) {
        const b = bytes[i];
        let need = 0;
        let lower = 0x80;
        let upper = 0xbf;
        if (b <= 0x7f) {
            need = 0;
        } else if (b >= 0xc2 && b <= 0xdf) {
            need = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
            need = 2;
            lower = b === 0xe0 ? 0xa0 : 0x80;
            upper = b === 0xed ? 0x9f : 0xbf;
        } else if (b >= 0xf0 && b <= 0xf4) {
            need = 3;
            lower = b === 0xf0 ? 0x90 : 0x80;
            upper = b === 0xf4 ? 0x8f : 0xbf;
        } else {
            offsets.push(i);
            i++;
            continue;
        }
        let j = i + 1;
        let seen = 0;
        while (seen < need && j < bytes.length && bytes[j] >= lower && bytes[j] <= upper) {
            lower = 0x80;
            upper = 0xbf;
            j++;
            seen++;
        }
        offsets.push(i);
        if (seen === need && need === 3) {
            offsets.push(i); // a character outside the BMP is two UTF-16 code units
        }
        i = seen === need ? i + need + 1 : j;
    }
    offsets.push(bytes.length);
    return offsets;
}

/**
 * {@link applyEntries} on a file's bytes: only the bytes of the written values change, so lines that are not
 * promoted stay byte-identical even when they are not UTF-8 (a Latin-1 comment stays Latin-1).
 */
export function applyEntriesToBytes(bytes: Buffer, entries: readonly ValueEntry[], file: string): Buffer {
    const text = decodeText(bytes, file);
    const { out, splices } = editsFor(text, entries, file);
    let current = bytes;
    let currentText = text;
    for (const s of splices) {
        const offsets = charOffsets(current);
        current = Buffer.concat([
            current.subarray(0, offsets[s.start]),
            Buffer.from(s.insert, "utf8"),
            current.subarray(offsets[s.end]),
        ]);
        currentText = currentText.slice(0, s.start) + s.insert + currentText.slice(s.end);
    }
    if (current.toString("utf8") !== out || currentText !== out) {
        throw new DocumentEditError(
            file,
            "cannot edit next to bytes that are not UTF-8 without changing them; save the file as UTF-8",
        );
    }
    return current;
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
