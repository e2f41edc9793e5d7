/**
 * The JSONPath subset promotion templates use: `$`, `.key`, `["key"]` / `['key']`, `[0]`, `.*` / `[*]`
 * and recursive descent `..key` / `..*`. Evaluation yields concrete paths (keys and indexes), which is
 * what the editor writes to and what a release records.
 */

export type PathSegment = string | number;
export type ConcretePath = readonly PathSegment[];

type Selector =
    | { readonly kind: "key"; readonly key: string }
    | { readonly kind: "index"; readonly index: number }
    | { readonly kind: "wildcard" }
    | { readonly kind: "descend"; readonly then: Selector };

export interface CompiledPath {
    readonly source: string;
    readonly selectors: readonly Selector[];
}

export class JsonPathSyntaxError extends Error {
    constructor(
        readonly source: string,
        readonly position: number,
        reason: string,
    ) {
        super(`invalid JSONPath ${JSON.stringify(source)} at position ${position}: ${reason}`);
        this.name = "JsonPathSyntaxError";
    }
}

const identifier = /^[A-Za-z_$][\w$-]*/;

/** Parses a JSONPath; throws {@link JsonPathSyntaxError} naming the position and what was expected. */
export function compileJsonPath(source: string): CompiledPath {
    const text = source.trim();
    if (!text.startsWith("$")) {
        throw new JsonPathSyntaxError(source, 0, 'a JSONPath starts with "$" (e.g. $.image.tag)');
    }
    const selectors: Selector[] = [];
    let i = 1;
    // Codefresh's own published template writes "$appVersion" for "$.appVersion"; read it the same way.
    if (identifier.test(text.slice(1))) {
        const m = identifier.exec(text.slice(1))!;
        selectors.push({ kind: "key", key: m[0] });
        i += m[0].length;
    }
    const fail = (reason: string): never => {
        throw new JsonPathSyntaxError(source, i, reason);
    };
    const bracket = (): Selector => {
        // at "["
        i++;
        const rest = text.slice(i);
        let m: RegExpExecArray | null;
        if ((m = /^\s*\*\s*\]/.exec(rest))) {
            i += m[0].length;
            return { kind: "wildcard" };
        }
        if ((m = /^\s*(-?\d+)\s*\]/.exec(rest))) {
            i += m[0].length;
            return { kind: "index", index: Number(m[1]) };
        }
        if ((m = /^\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest))) {
            i += m[0].length;
            return { kind: "key", key: JSON.parse(`"${m[1]}"`) as string };
        }
        if ((m = /^\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest))) {
            i += m[0].length;
            return { kind: "key", key: m[1].replace(/\\'/g, "'") };
        }
        return fail('expected an index, "*", or a quoted key inside [ ]');
    };
    const member = (): Selector => {
        if (text[i] === "*") {
            i++;
            return { kind: "wildcard" };
        }
        if (text[i] === "[") {
            return bracket();
        }
        const m = identifier.exec(text.slice(i));
        if (!m) {
            return fail('expected a key name, "*" or [ ] (keys with dashes or dots: $["my-key"])');
        }
        i += m[0].length;
        return { kind: "key", key: m[0] };
    };
    while (i < text.length) {
        if (text.startsWith("..", i)) {
            i += 2;
            selectors.push({ kind: "descend", then: member() });
        } else if (text[i] === ".") {
            i++;
            selectors.push(member());
        } else if (text[i] === "[") {
            selectors.push(bracket());
        } else {
            const hint =
                i === 1 && identifier.test(text.slice(1)) ? ` (did you mean $.${text.slice(1)}?)` : "";
            fail(`expected ".", ".." or "["${hint}`);
        }
    }
    return { source, selectors };
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function children(value: unknown): [PathSegment, unknown][] {
    if (Array.isArray(value)) {
        return value.map((v, i) => [i, v]);
    }
    if (isObject(value)) {
        return Object.entries(value);
    }
    return [];
}

function step(selector: Selector, path: ConcretePath, value: unknown, out: [ConcretePath, unknown][]): void {
    switch (selector.kind) {
        case "key":
            if (isObject(value) && Object.prototype.hasOwnProperty.call(value, selector.key)) {
                out.push([[...path, selector.key], value[selector.key]]);
            }
            return;
        case "index":
            if (Array.isArray(value)) {
                const idx = selector.index < 0 ? value.length + selector.index : selector.index;
                if (idx >= 0 && idx < value.length) {
                    out.push([[...path, idx], value[idx]]);
                }
            }
            return;
        case "wildcard":
            for (const [k, v] of children(value)) {
                out.push([[...path, k], v]);
            }
            return;
        case "descend": {
            // The node itself and every descendant, each matched against the selector that follows "..".
            const visit = (p: ConcretePath, v: unknown) => {
                step(selector.then, p, v, out);
                for (const [k, child] of children(v)) {
                    visit([...p, k], child);
                }
            };
            visit(path, value);
            return;
        }
    }
}

/** Every match of `path` in `document`, in document order, as concrete paths with their values. */
export function queryJsonPath(path: CompiledPath | string, document: unknown): [ConcretePath, unknown][] {
    const compiled = typeof path === "string" ? compileJsonPath(path) : path;
    let current: [ConcretePath, unknown][] = [[[], document]];
    for (const selector of compiled.selectors) {
        const next: [ConcretePath, unknown][] = [];
        for (const [p, v] of current) {
            step(selector, p, v, next);
        }
        current = next;
    }
    // Recursive descent can reach one node along two routes; keep the first.
    const seen = new Set<string>();
    return current.filter(([p]) => {
        const key = JSON.stringify(p);
        if (seen.has(key)) {
            return false;
        }
        seen.add(key);
        return true;
    });
}

/** A concrete path written back as JSONPath: `$.image.tag`, `$["rollout-canary"].image`, `$.list[0]`. */
export function formatPath(path: ConcretePath): string {
    return (
        "$" +
        path
            .map((seg) =>
                typeof seg === "number"
                    ? `[${seg}]`
                    : /^[A-Za-z_$][\w$]*$/.test(seg)
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
