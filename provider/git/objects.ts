import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { deflateSync } from "zlib";

/**
 * Git objects written straight into a repository's object store (loose objects, as `git hash-object -w`,
 * `write-tree` and `commit-tree` write them), so a commit costs no git process. SHA-1 repositories only.
 */

/** One entry of a tree object; `name` holds the name's bytes as a latin1 string (bytewise order). */
export interface TreeEntry {
    readonly mode: string;
    readonly name: string;
    readonly oid: string;
}

export const treeMode = "40000";

/** Writes one object (if the store does not have it yet) and returns its id. */
export function writeObject(gitDir: string, type: "blob" | "tree" | "commit", content: Buffer): string {
    const header = Buffer.from(`${type} ${content.length}\0`, "latin1");
    const oid = createHash("sha1").update(header).update(content).digest("hex");
    const dir = path.join(gitDir, "objects", oid.slice(0, 2));
    const file = path.join(dir, oid.slice(2));
    if (fs.existsSync(file)) {
        return oid;
    }
    fs.mkdirSync(dir, { recursive: true });
    // Written aside and renamed into place: a reader (or a killed writer) never sees half an object.
    const tmp = path.join(dir, `tmp_obj_${process.pid}_${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(tmp, deflateSync(Buffer.concat([header, content])), { mode: 0o444 });
    fs.renameSync(tmp, file);
    return oid;
}

/** The entries of a tree object's content. */
export function parseTree(content: Buffer): TreeEntry[] {
    const entries: TreeEntry[] = [];
    let pos = 0;
    while (pos < content.length) {
        const space = content.indexOf(0x20, pos);
        const nul = content.indexOf(0, space + 1);
        if (space < 0 || nul < 0 || nul + 21 > content.length) {
            throw new Error("malformed tree object");
        }
        entries.push({
            mode: content.toString("latin1", pos, space),
            name: content.toString("latin1", space + 1, nul),
            oid: content.toString("hex", nul + 1, nul + 21),
        });
        pos = nul + 21;
    }
    return entries;
}

/** Git's order of tree entries: by name bytes, a tree's name read as if it ended with "/". */
const sortKey = (e: TreeEntry) => (e.mode === treeMode ? `${e.name}/` : e.name);

/** A tree object's content for `entries` (sorted here). */
export function formatTree(entries: readonly TreeEntry[]): Buffer {
    const sorted = [...entries].sort((a, b) =>
        sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
    );
    return Buffer.concat(
        sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, "latin1"), Buffer.from(e.oid, "hex")]),
    );
}

/** `<seconds> <+hhmm>` for now, in this process's time zone (as git writes it). */
export function gitTimestamp(now: Date = new Date()): string {
    const offset = -now.getTimezoneOffset();
    const abs = Math.abs(offset);
    const zone = `${offset < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
    return `${Math.floor(now.getTime() / 1000)} ${zone}`;
}
