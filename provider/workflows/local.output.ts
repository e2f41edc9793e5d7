/** What a local gate leaves behind: the tail of its output for the record, and the values it exports. */

export const logTailLines = 40;
export const logTailBytes = 16 * 1024;
/** A longer line keeps its beginning and a marker saying how much was cut. */
const lineBytes = 4 * 1024;

function cutLine(line: string, max: number): string {
    const bytes = Buffer.from(line);
    if (bytes.length <= max) {
        return line;
    }
    const marker = ` [… ${bytes.length - max} bytes cut]`;
    // A character split at the cut decodes to U+FFFD, which is dropped.
    return (
        bytes
            .subarray(0, max)
            .toString("utf8")
            .replace(/\uFFFD$/, "") + marker
    );
}

/** The end of a run's output: its last 40 lines, each at most 4 KiB, and at most 16 KiB in all. */
export function logTail(text: string): string {
    const lines = text
        .replace(/\s+$/, "")
        .split("\n")
        .slice(-logTailLines)
        .map((l) => cutLine(l, lineBytes));
    const kept: string[] = [];
    let total = 0;
    for (let i = lines.length - 1; i >= 0; i--) {
        total += Buffer.byteLength(lines[i]) + 1;
        if (total > logTailBytes) {
            break;
        }
        kept.unshift(lines[i]);
    }
    return kept.join("\n");
}

/** `KEY=value` lines (and `KEY<<EOF` blocks, as GitHub Actions writes them) from the outputs file. */
export function parseOutputs(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const heredoc = /^([A-Za-z_][\w-]*)<<(\S+)$/.exec(lines[i]);
        if (heredoc) {
            const body: string[] = [];
            for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) {
                body.push(lines[i]);
            }
            out[heredoc[1]] = body.join("\n");
            continue;
        }
        const kv = /^([A-Za-z_][\w-]*)=(.*)$/.exec(lines[i]);
        if (kv) {
            out[kv[1]] = kv[2];
        }
    }
    return out;
}
