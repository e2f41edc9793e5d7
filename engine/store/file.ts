import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvironmentError } from "../../model/errors";
import { processAlive } from "../../provider/dirLock";
import type { Condition, KvStore, Versioned } from "./kv";
import { checkKey, DamagedDocumentError } from "./kv";

/** How long a key's lock may be held (a read, a write and a rename take milliseconds). */
export const fileLockLeaseMs = 10_000;

/**
 * The stored form: the document and its version, random for each write (a counter would start again at a
 * key deleted and made again, and a writer holding the old version would then win a compare-and-set).
 */
interface Stored {
    readonly v: string;
    readonly value: unknown;
}

/** Who holds a key's lock, and until when its lease runs. */
interface Holder {
    readonly host: string;
    readonly pid: number;
    readonly nonce: string;
    readonly until: number;
}

/**
 * The coordination store of a `file://` backend: one file per key under `<state>/.promotions/store/`
 * (`<key>.json`, holding `{v, value}`), beside Pulumi's own `.pulumi/` directory and never inside it.
 *
 * A write is a new file renamed over the old one (readers see the old document or the new one, never half of
 * either). A conditional write holds the key's lock (`<key>.json.lock`, made with O_EXCL) while it reads the
 * version and renames: a few milliseconds. The lock file names its holder and a lease of
 * {@link fileLockLeaseMs}; a lock whose holder is a dead process of this host, or whose lease ran out, is
 * taken over (renamed aside first, so two processes never both take the same one).
 */
export class FileKvStore implements KvStore {
    readonly where: string;

    constructor(private readonly root: string) {
        this.where = root;
    }

    private file(key: string): string {
        checkKey(key);
        return path.join(this.root, `${key}.json`);
    }

    async get<T = unknown>(key: string): Promise<Versioned<T> | undefined> {
        const stored = readStored(this.file(key));
        return stored && { value: stored.value as T, version: stored.v };
    }

    async put(key: string, value: unknown, condition?: Condition): Promise<string | undefined> {
        const file = this.file(key);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        return this.locked(file, () => {
            const current = readStored(file);
            if (condition && "ifAbsent" in condition && current !== undefined) {
                return undefined;
            }
            if (condition && "ifVersion" in condition && current?.v !== condition.ifVersion) {
                return undefined;
            }
            const v = crypto.randomBytes(12).toString("base64url");
            writeWhole(file, JSON.stringify({ v, value } satisfies Stored));
            return v;
        });
    }

    async delete(key: string, ifVersion?: string): Promise<boolean> {
        const file = this.file(key);
        if (!fs.existsSync(file)) {
            return false;
        }
        return this.locked(file, () => {
            const current = readStored(file);
            if (current === undefined || (ifVersion !== undefined && current.v !== ifVersion)) {
                return false;
            }
            fs.rmSync(file, { force: true });
            return true;
        });
    }

    async list(
        prefix: string,
        o: { readonly after?: string; readonly limit?: number } = {},
    ): Promise<string[]> {
        const slash = prefix.lastIndexOf("/");
        const dirKey = slash >= 0 ? prefix.slice(0, slash) : "";
        const keys: string[] = [];
        walk(path.join(this.root, dirKey), dirKey, keys);
        const wanted = keys
            .filter((k) => k.startsWith(prefix) && (o.after === undefined || k > o.after))
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return o.limit === undefined ? wanted : wanted.slice(0, o.limit);
    }

    close(): Promise<void> {
        return Promise.resolve();
    }

    /** Runs `fn` holding `file`'s lock (see the class comment). */
    private async locked<T>(file: string, fn: () => T): Promise<T> {
        const lock = `${file}.lock`;
        const me: Holder = {
            host: os.hostname(),
            pid: process.pid,
            nonce: crypto.randomBytes(8).toString("hex"),
            until: Date.now() + fileLockLeaseMs,
        };
        for (let attempt = 0; ; attempt++) {
            try {
                fs.writeFileSync(lock, JSON.stringify(me), { flag: "wx" });
                break;
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
                    throw e;
                }
                takeOverIfDead(lock);
                await sleep(Math.min(50, 1 + attempt) + Math.random() * 5);
            }
        }
        try {
            return fn();
        } finally {
            // Only our own lock: one taken over from us (our lease ran out) is its new holder's.
            if (readHolder(lock)?.nonce === me.nonce) {
                fs.rmSync(lock, { force: true });
            }
        }
    }
}

/** The store's directory for a `file://` backend's directory. */
export function fileStoreRoot(stateDir: string): string {
    return path.join(stateDir, ".promotions", "store");
}

function readStored(file: string): Stored | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw e;
    }
    try {
        return JSON.parse(text) as Stored;
    } catch {
        throw new DamagedDocumentError(file);
    }
}

/**
 * Writes `text` to a new file beside `file`, flushed to disk, and renames it over `file`. A write that fails (a
 * full disk, a read-only file system) leaves `file` as it was and no temporary file, and names the file.
 */
function writeWhole(file: string, text: string): void {
    const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    try {
        const fd = fs.openSync(temp, "w");
        try {
            fs.writeSync(fd, text);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(temp, file);
    } catch (e) {
        fs.rmSync(temp, { force: true });
        throw new EnvironmentError(
            `the release store could not write ${file}: ${(e as Error).message} (the document is as it was before)`,
            { path: file },
        );
    }
}

function readHolder(lock: string): Holder | undefined {
    try {
        return JSON.parse(fs.readFileSync(lock, "utf8")) as Holder;
    } catch {
        return undefined;
    }
}

/**
 * Removes `lock` when its holder is a dead process of this host or its lease ran out: renamed aside first
 * (only one process's rename succeeds), then checked to be the lock that was judged (else put back).
 */
function takeOverIfDead(lock: string): void {
    const holder = readHolder(lock);
    if (holder === undefined) {
        // Being written (the holder's create and write are two steps): judged on the next look, unless old.
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age < fileLockLeaseMs) {
            return;
        }
    } else {
        const dead = holder.host === os.hostname() ? !processAlive(holder.pid) : false;
        if (!dead && Date.now() < holder.until) {
            return;
        }
    }
    const aside = `${lock}.${crypto.randomBytes(4).toString("hex")}.stale`;
    try {
        fs.renameSync(lock, aside);
    } catch {
        return; // another process took it over first
    }
    if (holder !== undefined && readHolder(aside)?.nonce !== holder.nonce) {
        // A newer holder's lock moved aside by mistake: back in place unless yet another exists.
        try {
            fs.linkSync(aside, lock);
        } catch {
            // another holder now: theirs stands
        }
    }
    fs.rmSync(aside, { force: true });
}

/** Every key below `dir` (whose key is `dirKey`), as `dirKey/…/name` without `.json`. */
function walk(dir: string, dirKey: string, into: string[]): void {
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
        return;
    }
    for (const e of entries) {
        const key = dirKey ? `${dirKey}/${e.name}` : e.name;
        if (e.isDirectory()) {
            walk(path.join(dir, e.name), key, into);
        } else if (e.name.endsWith(".json")) {
            into.push(key.slice(0, -".json".length));
        }
    }
}
