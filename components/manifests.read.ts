import * as fs from "fs";
import type { CST, Document } from "yaml";
import { Composer, isMap, isScalar, isSeq, LineCounter, Parser } from "yaml";
import type { Issue } from "./issues";
import { definitionLimits, formatBytes } from "./limits";
import { messageOf } from "../model/errors";

/** One YAML document of a file, as a plain value, with `file:line` for messages. */
export interface YamlDocument {
    readonly value: unknown;
    readonly origin: string;
}

/** What all files of a directory have used so far of {@link definitionLimits}' directory-wide bounds. */
export interface ReadBudget {
    bytes: number;
    documents: number;
}

const entity = "YAML";

/** Why the bytes cannot be read as UTF-8 text, or undefined. */
export function encodingProblem(bytes: Uint8Array): string | undefined {
    if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
        return "the file is UTF-16 (little-endian byte-order mark FF FE): save it as UTF-8";
    }
    if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
        return "the file is UTF-16 (big-endian byte-order mark FE FF): save it as UTF-8";
    }
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
        return `the file holds a NUL byte at offset ${nul}: it is binary or UTF-16 without a byte-order mark; save it as UTF-8 text`;
    }
    try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        return "the file is not valid UTF-8: save it as UTF-8";
    }
    return undefined;
}

/**
 * The deepest nesting of mappings and lists in the parsed (not yet composed) tokens, and where it is. Walked
 * with an explicit stack: composing a document nested thousands deep overflows the `yaml` library's stack.
 */
export function deepestNesting(token: CST.Token): { depth: number; offset: number } {
    let deepest = { depth: 0, offset: 0 };
    const stack: [CST.Token, number][] = [[token, 0]];
    while (stack.length > 0) {
        const [t, depth] = stack.pop()!;
        if (depth > deepest.depth) {
            deepest = { depth, offset: t.offset };
        }
        switch (t.type) {
            case "document":
                if (t.value) {
                    stack.push([t.value, depth]);
                }
                break;
            case "block-map":
            case "block-seq":
            case "flow-collection":
                for (const item of t.items) {
                    const it = item as { key?: CST.Token | null; value?: CST.Token };
                    if (it.key) {
                        stack.push([it.key, depth + 1]);
                    }
                    if (it.value) {
                        stack.push([it.value, depth + 1]);
                    }
                }
                break;
            default:
                break;
        }
    }
    return deepest;
}

/** Duplicate keys and over-long mappings in a composed document: the first problem, with its offset. */
function mappingProblem(doc: Document): { reason: string; offset: number } | undefined {
    const stack: unknown[] = [doc.contents];
    while (stack.length > 0) {
        const node = stack.pop();
        if (isMap(node)) {
            if (node.items.length > definitionLimits.keysPerMapping) {
                return {
                    reason: `a mapping has ${node.items.length} keys, more than the limit of ${definitionLimits.keysPerMapping}: split the file or remove keys`,
                    offset: node.range?.[0] ?? 0,
                };
            }
            const seen = new Set<unknown>();
            for (const pair of node.items) {
                const key = isScalar(pair.key) ? pair.key.value : pair.key;
                if (isScalar(pair.key) && seen.has(key)) {
                    return {
                        reason: `duplicate key ${JSON.stringify(key)}: give each key once (YAML does not allow a second one)`,
                        offset: pair.key.range?.[0] ?? 0,
                    };
                }
                seen.add(key);
                stack.push(pair.value);
            }
        } else if (isSeq(node)) {
            stack.push(...node.items);
        }
    }
    return undefined;
}

/**
 * Reads one YAML file into plain documents within {@link definitionLimits}: size, encoding, documents,
 * nesting, keys and aliases are checked before anything expensive, and every problem is an issue naming the
 * file (and line), never an exception.
 */
export function readYamlFile(
    file: string,
    rel: string,
    budget: ReadBudget,
    /** The file's bytes when already read (the definitions cache hashes them first). */
    read?: Buffer,
): { docs: YamlDocument[]; issues: Issue[] } {
    const limits = definitionLimits;
    const refuse = (reason: string, line?: number) => ({
        docs: [],
        issues: [{ entity, path: "", reason, origin: line === undefined ? rel : `${rel}:${line}` }],
    });
    const size = read?.length ?? fs.statSync(file).size;
    if (size > limits.fileBytes) {
        return refuse(
            `the file is ${formatBytes(size)}, more than the limit of ${formatBytes(limits.fileBytes)} per file: split it into several files`,
        );
    }
    if (budget.bytes + size > limits.totalBytes) {
        return refuse(
            `the definitions exceed ${formatBytes(limits.totalBytes)} in all: keep only promotion definitions in the directory`,
        );
    }
    budget.bytes += size;
    const bytes = read ?? fs.readFileSync(file);
    const encoding = encodingProblem(bytes);
    if (encoding) {
        return refuse(encoding);
    }
    const text = bytes.toString("utf8");
    const lineCounter = new LineCounter();
    const lineOf = (offset: number) => lineCounter.linePos(offset).line;
    const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
    const documents = tokens.filter((t) => t.type === "document");
    if (documents.length > limits.documentsPerFile) {
        return refuse(
            `the file holds ${documents.length} YAML documents, more than the limit of ${limits.documentsPerFile} per file: split it`,
        );
    }
    if (budget.documents + documents.length > limits.documentsTotal) {
        return refuse(
            `the definitions hold more than ${limits.documentsTotal} YAML documents in all: keep only promotion definitions in the directory`,
        );
    }
    budget.documents += documents.length;
    for (const d of documents) {
        const deepest = deepestNesting(d);
        if (deepest.depth > limits.nestingDepth) {
            return refuse(
                `mappings and lists are nested more than ${limits.nestingDepth} deep: no definition needs that; check the file`,
                lineOf(deepest.offset),
            );
        }
    }

    const docs: YamlDocument[] = [];
    const issues: Issue[] = [];
    const composed = Array.from(new Composer({ uniqueKeys: false }).compose(tokens, false, text.length));
    for (const doc of composed) {
        const start = lineOf(doc.contents?.range?.[0] ?? doc.range[0]);
        if (doc.errors.length > 0) {
            const e = doc.errors[0];
            const pos = lineCounter.linePos(e.pos[0]);
            issues.push({
                entity,
                path: "",
                reason: `not valid YAML (line ${pos.line}, column ${pos.col}): ${e.message.split("\n")[0]}`,
                origin: `${rel}:${pos.line}`,
            });
            continue;
        }
        const problem = mappingProblem(doc);
        if (problem) {
            issues.push({
                entity,
                path: "",
                reason: problem.reason,
                origin: `${rel}:${lineOf(problem.offset)}`,
            });
            continue;
        }
        try {
            docs.push({ value: doc.toJS({ maxAliasCount: limits.aliases }), origin: `${rel}:${start}` });
        } catch (e) {
            issues.push({
                entity,
                path: "",
                reason: /alias count/i.test(messageOf(e))
                    ? `aliases (*name) expand beyond the limit (maxAliasCount ${limits.aliases}), as an alias bomb does: write the values out or use fewer aliases`
                    : `cannot read the document: ${messageOf(e)}`,
                origin: `${rel}:${start}`,
            });
        }
    }
    return { docs, issues };
}
