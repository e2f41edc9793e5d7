import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import type { CatalogOptions } from "./catalog";
import { codeFingerprint } from "./codeFingerprint";
import { definitionLimits } from "./limits";
import { manifestFiles } from "./manifests";

/**
 * The parsed, validated definitions of a YAML directory, kept between commands while its files are unchanged:
 * `promote preview` of 2,000 applications spent most of its time reading 2,000 manifests it had read the
 * run before.
 *
 * An entry is found by what does not change with the files (the directory, the working directory its
 * messages' paths are relative to, the options, this tool's version and code) and opened with a key derived
 * from the SHA-256 of every file's path and bytes: a changed file, even one of the same size and modification
 * time, gives another key, so the entry does not open and the directory is parsed again. Hashing reads each
 * file once, which a parse does anyway (about 1 MB for 2,000 manifests: milliseconds); file sizes and times
 * alone would miss an edit that keeps both. The key also encrypts the entry (AES-256-GCM), so the cache holds
 * nothing readable without the definitions themselves: they may hold secrets (a Slack webhook URL is one).
 * An entry that does not open (other files, corrupt, cut short, from another version) is parsed anew and
 * replaced; a cache that cannot be written is skipped.
 */

/** Bumped when what an entry holds changes shape. */
export const definitionsCacheSchema = 1;

const magic = Buffer.from("promotions-definitions-cache\n");
const ivBytes = 12;
const tagBytes = 16;
/** Entries kept in the directory (one per definitions directory, working directory and version). */
const keptEntries = 32;

/** The loader's own code and the parsing libraries' (see codeFingerprint.ts). */
function loaderCode(): string {
    return codeFingerprint([__dirname, path.join(__dirname, "..", "model")], ["yaml", "zod"]);
}

/** The directory's YAML files and their bytes, or undefined when they exceed the limits (never cached). */
export function readDefinitionFiles(dir: string): Map<string, Buffer> | undefined {
    const read = new Map<string, Buffer>();
    let total = 0;
    for (const file of manifestFiles(dir)) {
        const size = fs.statSync(file).size;
        total += size;
        if (size > definitionLimits.fileBytes || total > definitionLimits.totalBytes) {
            return undefined; // the loader refuses it with a message; nothing worth keeping
        }
        read.set(file, fs.readFileSync(file));
    }
    return read;
}

/** Where an entry lives and the key it opens with. */
export function entryOf(
    cacheDir: string,
    configDir: string,
    opts: CatalogOptions,
    files: ReadonlyMap<string, Buffer>,
): { file: string; key: Buffer } {
    const name = crypto
        .createHash("sha256")
        .update(
            JSON.stringify([
                definitionsCacheSchema,
                loaderCode(),
                path.resolve(configDir),
                // Messages name files relative to the working directory.
                process.cwd(),
                opts,
            ]),
        )
        .digest();
    const content = crypto.createHash("sha256").update(name);
    for (const [file, bytes] of files) {
        content.update(`${path.relative(configDir, file)}\0${bytes.length}\0`);
        content.update(bytes);
    }
    return {
        file: path.join(cacheDir, `${name.toString("hex").slice(0, 32)}.bin`),
        key: content.digest(),
    };
}

/** The entry's value, or undefined when it is absent or does not open with this key. */
export function readEntry<T>(file: string, key: Buffer): T | undefined {
    let raw: Buffer;
    try {
        raw = fs.readFileSync(file);
    } catch {
        return undefined;
    }
    if (raw.length < magic.length + ivBytes + tagBytes || !raw.subarray(0, magic.length).equals(magic)) {
        return undefined;
    }
    const iv = raw.subarray(magic.length, magic.length + ivBytes);
    const tag = raw.subarray(magic.length + ivBytes, magic.length + ivBytes + tagBytes);
    try {
        const decipher = crypto.createDecipheriv("aes-256-gcm", key, iv);
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([
            decipher.update(raw.subarray(magic.length + ivBytes + tagBytes)),
            decipher.final(),
        ]);
        return v8.deserialize(plain) as T;
    } catch {
        return undefined; // other files (another key), or damaged
    }
}

/**
 * Writes the entry atomically (a temporary file renamed over it: a reader sees the old entry or the new one,
 * never half of one), readable by this user alone. Returns false when it could not be written (the value is
 * not plain data, or the directory is not writable): the cache is then skipped, never an error.
 */
export function writeEntry(file: string, key: Buffer, value: unknown): boolean {
    let plain: Buffer;
    try {
        plain = v8.serialize(value);
    } catch {
        return false;
    }
    const iv = crypto.randomBytes(ivBytes);
    const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(temp, Buffer.concat([magic, iv, cipher.getAuthTag(), sealed]), { mode: 0o600 });
        fs.renameSync(temp, file);
    } catch {
        fs.rmSync(temp, { force: true });
        return false;
    }
    pruneEntries(path.dirname(file));
    return true;
}

/**
 * Keeps the newest {@link keptEntries} entries (each definitions directory leaves one behind) and drops
 * temporary files a killed writer left (older than a minute).
 */
function pruneEntries(dir: string): void {
    try {
        const entries = fs.readdirSync(dir).map((n) => {
            const file = path.join(dir, n);
            return { file, temp: n.endsWith(".tmp"), mtime: fs.statSync(file).mtimeMs };
        });
        const stale = [
            ...entries.filter((e) => e.temp && e.mtime < Date.now() - 60_000),
            ...entries
                .filter((e) => !e.temp)
                .sort((a, b) => b.mtime - a.mtime)
                .slice(keptEntries),
        ];
        for (const e of stale) {
            fs.rmSync(e.file, { force: true });
        }
    } catch {
        // another process pruned at the same time: nothing lost
    }
}
