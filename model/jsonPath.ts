/**
 * JSONPath as RFC 9535 defines it (evaluated by json-p3, which passes the whole compliance test suite):
 * names, wildcards, indexes, slices, unions, descendant segments and filter selectors with comparisons,
 * `&&`, `||`, `!`, existence tests and the functions length, count, match, search and value. Every match
 * has a normalized path (`$['images'][0]['newTag']`), which is what the editor writes to and what a release
 * records. Codefresh's `$appVersion` (for `$.appVersion`) is read too.
 *
 * A match found through a filter also has a {@link Locator}: its path with each filter step kept as the
 * filter, so the same element can be found again in another document (a target whose list is in a
 * different order).
 */
import type { JSONPathQuery, JSONValue } from "json-p3";
import { JSONPathEnvironment, JSONPathError, JSONPathNode } from "json-p3";
import { isDeepStrictEqual } from "util";
import { InvalidInputError } from "./errors";

export type PathSegment = string | number;
/** The keys and indexes of one node, from the root: a normalized path as a list. */
export type ConcretePath = readonly PathSegment[];

/** A step of a {@link Locator}: a key or index, or a filter that selects the element among its siblings. */
export type LocatorStep =
    | PathSegment
    | {
          /** The bracketed filter segment as written, e.g. `[?(@.name == 'web')]`. */
          readonly filter: string;
          /** Which of the filter's matches (0-based) and how many there were where the path was found. */
          readonly nth: number;
          readonly of: number;
          /**
           * When the filter selected several elements: what tells this one apart, the values of the fields the
           * filter compares with `==` (or, if it compares none, the element's `name`), by normalized path
           * relative to the element (`$['name']`).
           */
          readonly key?: Readonly<Record<string, unknown>>;
      };
export type Locator = readonly LocatorStep[];

export interface JsonPathMatch {
    readonly path: ConcretePath;
    readonly value: unknown;
    /** Present when a filter selected a step of the path. */
    readonly locator?: Locator;
}

export interface CompiledPath {
    /** As written by the user. */
    readonly source: string;
    /** As evaluated (`$appVersion` read as `$.appVersion`). */
    readonly text: string;
    readonly query: JSONPathQuery;
}

/** A JSONPath that does not parse: names the 1-based column and what was wrong or expected there. */
export class JsonPathSyntaxError extends InvalidInputError {
    constructor(
        readonly source: string,
        readonly column: number,
        readonly reason: string,
    ) {
        super(`invalid JSONPath ${JSON.stringify(source)} at column ${column}: ${reason}`);
    }
}

const environment = new JSONPathEnvironment({ strict: true });

/** Codefresh's own published template writes "$appVersion" for "$.appVersion"; read it the same way. */
const codefreshShorthand = /^\$[A-Za-z_]/;

/** What the parser's messages mean for someone writing a template, as "expected …". */
function explain(message: string): string {
    const m = /^(.*?)(?: \('.*':\d+\))?$/s.exec(message);
    const reason = m ? m[1] : message;
    const hints: [RegExp, string][] = [
        [/^expected '\$'/, 'a JSONPath starts with "$" (e.g. $.image.tag)'],
        [/unclosed bracketed selection/, 'expected "]" to close the "[" selection'],
        [/bald descendant segment/, 'expected a name, "*" or "[" after ".."'],
        [
            /unexpected shorthand selector/,
            'expected a name after "." (keys with dashes or dots: $["my-key"])',
        ],
        [/TOKEN_ERROR|found 'TOKEN_NAME'|unexpected token 'TOKEN/, 'expected ".", ".." or "["'],
        [/can't backup beyond start/, 'expected a name or "*" after "."'],
        [
            /unexpected filter selector token '='/,
            'expected "==" (a comparison is written ==, !=, <, <=, > or >=)',
        ],
        [/unexpected filter selector token '[&|]'/, 'expected "&&" or "||"'],
        [
            /unexpected filter selector token/,
            'expected @, $, a quoted string, a number, true, false, null, a function, "(" or "!" ' +
                "(strings are quoted: @.name == 'web')",
        ],
        [/empty bracketed segment/, 'expected an index, a slice, "*", a quoted name or a filter inside [ ]'],
        [
            /unexpected token .* in bracketed selection/,
            'expected an index, a slice, "*", a quoted name or a filter ("?") inside [ ] (names are quoted: [\'name\'])',
        ],
    ];
    const hint = hints.find(([re]) => re.test(reason))?.[1];
    // The parser's own words, after the hint, unless they describe its internals.
    return hint ? (/backup/.test(reason) ? hint : `${hint} (${reason})`) : reason;
}

/** Parses a JSONPath; throws {@link JsonPathSyntaxError} naming the column and what was expected. */
export function compileJsonPath(source: string): CompiledPath {
    const trailing = /\s+$/.exec(source);
    if (trailing && source.trim() !== "") {
        throw new JsonPathSyntaxError(
            source,
            trailing.index + 1,
            "expected nothing after the path (trailing whitespace)",
        );
    }
    const shorthand = codefreshShorthand.test(source);
    const text = shorthand ? `$.${source.slice(1)}` : source;
    try {
        return { source, text, query: environment.compile(text) };
    } catch (e) {
        if (e instanceof JSONPathError) {
            const index = shorthand && e.token.index > 1 ? e.token.index - 1 : e.token.index;
            throw new JsonPathSyntaxError(source, index + 1, explain(e.message));
        }
        throw e;
    }
}

function compiled(path: CompiledPath | string): CompiledPath {
    return typeof path === "string" ? compileJsonPath(path) : path;
}

/** Every match of `path` in `document`, in RFC 9535 order (duplicates included), with its path. */
export function queryJsonPath(path: CompiledPath | string, document: unknown): [ConcretePath, unknown][] {
    return compiled(path)
        .query.query(document as JSONValue)
        .nodes.map((n) => [n.location, n.value]);
}

/** The text of each segment of a query, as written (so a filter is re-evaluated exactly as the user wrote it). */
function segmentTexts(c: CompiledPath): string[] {
    const segments = c.query.segments;
    return segments.map((s, i) => {
        const end = i + 1 < segments.length ? segments[i + 1].token.index : c.text.length;
        const raw = c.text.slice(s.token.index, end);
        return raw.slice(0, raw.lastIndexOf("]") + 1);
    });
}

type Segment = JSONPathQuery["segments"][number];

/** A child segment whose every selector is a filter (`[?…]`): its step is found again by filtering. */
function isFilterSegment(s: Segment): boolean {
    return (
        !s.toString().startsWith("..") &&
        s.selectors.length > 0 &&
        s.selectors.every((x) => x.toString().startsWith("?"))
    );
}

/** Anything in json-p3's filter expression tree (read by shape: its classes are not exported). */
interface ExpressionNode {
    readonly operator?: string;
    readonly left?: ExpressionNode;
    readonly right?: ExpressionNode;
    readonly expression?: ExpressionNode;
    readonly path?: JSONPathQuery;
    toString(): string;
}

/** The relative singular queries a filter compares with `==` (`@.name == 'web'` gives `$['name']`). */
function equalityFields(segment: Segment): string[] {
    const fields = new Set<string>();
    const visitExpr = (e: ExpressionNode | undefined, compared: boolean): void => {
        if (e === undefined) {
            return;
        }
        if (e.path !== undefined) {
            if (compared && e.toString().startsWith("@") && e.path.singularQuery()) {
                fields.add(e.path.toString({ form: "canonical" }));
            }
            return;
        }
        if (e.left !== undefined && e.right !== undefined) {
            const equality = e.operator === "==";
            visitExpr(e.left, equality);
            visitExpr(e.right, equality);
            return;
        }
        visitExpr(e.right, false);
        visitExpr(e.expression, false);
    };
    for (const selector of segment.selectors) {
        visitExpr((selector as unknown as { expression?: ExpressionNode }).expression, false);
    }
    return [...fields];
}

/** The values of `fields` in `element` (fields it lacks are left out). */
function keyOf(element: unknown, fields: readonly string[]): Record<string, unknown> {
    const key: Record<string, unknown> = {};
    for (const f of fields) {
        const [match] = queryJsonPath(f, element);
        if (match !== undefined) {
            key[f] = match[1];
        }
    }
    return key;
}

/** The fields that tell a filter's elements apart: those it compares with `==`, else `name` when there is one. */
function identityFields(segment: Segment, elements: readonly unknown[]): string[] {
    const compared = equalityFields(segment);
    if (compared.length > 0) {
        return compared;
    }
    const named = elements.every(
        (e) => typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string",
    );
    return named ? ["$['name']"] : [];
}

/**
 * Like {@link queryJsonPath}, and each match found through a filter also carries its {@link Locator}. Matches
 * come once each (a node reached twice is kept at its first place).
 */
export function queryWithLocators(path: CompiledPath | string, document: unknown): JsonPathMatch[] {
    const c = compiled(path);
    const texts = segmentTexts(c);
    type Walk = { node: JSONPathNode; locator: LocatorStep[]; filtered: boolean };
    let current: Walk[] = [
        {
            node: new JSONPathNode(document as JSONValue, [], document as JSONValue),
            locator: [],
            filtered: false,
        },
    ];
    c.query.segments.forEach((segment, i) => {
        const filter = isFilterSegment(segment);
        const next: Walk[] = [];
        for (const w of current) {
            const out = segment.resolve([w.node]);
            const fields =
                filter && out.length > 1
                    ? identityFields(
                          segment,
                          out.map((n) => n.value),
                      )
                    : [];
            out.forEach((node, nth) => {
                const extra = node.location.slice(w.node.location.length);
                const key = fields.length > 0 ? { key: keyOf(node.value, fields) } : {};
                next.push({
                    node,
                    locator: filter
                        ? [...w.locator, { filter: texts[i], nth, of: out.length, ...key }]
                        : [...w.locator, ...extra],
                    filtered: w.filtered || filter,
                });
            });
        }
        current = next;
    });
    const seen = new Set<string>();
    const matches: JsonPathMatch[] = [];
    for (const w of current) {
        const key = JSON.stringify(w.node.location);
        if (seen.has(key)) {
            continue;
        }
        seen.add(key);
        matches.push({
            path: w.node.location,
            value: w.node.value,
            ...(w.filtered ? { locator: w.locator } : {}),
        });
    }
    return matches;
}

/** Where a {@link Locator} leads in a document. */
export type Located =
    | { readonly path: ConcretePath }
    /** A filter step selects nothing there: the element is not in this document. */
    | { readonly missing: string }
    /** A filter step selects a different number of elements than where the locator was made. */
    | { readonly ambiguous: string };

/**
 * The path a {@link Locator} names in `document`: keys and indexes are taken as they are (they need not exist
 * yet), each filter is evaluated on the document itself, so the element it selected is found wherever it is.
 */
export function locate(locator: Locator, document: unknown): Located {
    const path: PathSegment[] = [];
    for (const step of locator) {
        if (typeof step !== "object") {
            path.push(step);
            continue;
        }
        const at = normalizedPath(path);
        const where = `${formatPath(path)}${step.filter}`;
        const found = queryJsonPath(`${at}${step.filter}`, document);
        const key = step.key;
        const candidates =
            key === undefined || Object.keys(key).length === 0
                ? found
                : found.filter(([, v]) => isDeepStrictEqual(keyOf(v, Object.keys(key)), key));
        if (candidates.length === 0) {
            return {
                missing:
                    key === undefined || Object.keys(key).length === 0
                        ? where
                        : `${where} with ${describeKey(key)}`,
            };
        }
        if (candidates.length > 1 || (key === undefined && step.of > 1)) {
            return {
                ambiguous:
                    `${where} selects ${found.length} element${found.length === 1 ? "" : "s"} here and ${step.of} in the source, ` +
                    `and nothing tells which is which; make the filter select one element ` +
                    `(e.g. [?(@.name == '…')]) or give the elements distinct names`,
            };
        }
        path.splice(0, path.length, ...candidates[0][0]);
    }
    return { path };
}

function describeKey(key: Readonly<Record<string, unknown>>): string {
    return Object.entries(key)
        .map(([f, v]) => `${f.replace(/^\$/, "@")} == ${JSON.stringify(v)}`)
        .join(" and ");
}

function quoteName(name: string): string {
    let out = "";
    for (const ch of name) {
        const cp = ch.codePointAt(0)!;
        if (ch === "'") {
            out += "\\'";
        } else if (ch === "\\") {
            out += "\\\\";
        } else if (cp < 0x20) {
            const short: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };
            out += short[cp] ?? `\\u${cp.toString(16).padStart(4, "0")}`;
        } else {
            out += ch;
        }
    }
    return `'${out}'`;
}

/** The RFC 9535 normalized path of a node: `$['images'][0]['newTag']`. */
export function normalizedPath(path: ConcretePath): string {
    return "$" + path.map((seg) => (typeof seg === "number" ? `[${seg}]` : `[${quoteName(seg)}]`)).join("");
}

/** A concrete path in the short form people read: `$.image.tag`, `$["rollout-canary"].image`, `$.list[0]`. */
export function formatPath(path: ConcretePath): string {
    return (
        "$" +
        path
            .map((seg) =>
                typeof seg === "number"
                    ? `[${seg}]`
                    : /^[A-Za-z_][\w]*$/.test(seg)
                      ? `.${seg}`
                      : `[${JSON.stringify(seg)}]`,
            )
            .join("")
    );
}

/** True when `prefix` is `path` or one of its ancestors. */
export function isPrefix(prefix: ConcretePath, path: ConcretePath): boolean {
    return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}
