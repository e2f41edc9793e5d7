import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import { codeFingerprint } from "../components/codeFingerprint";
import type { ValueEntry } from "./yaml/documentEditor";

/**
 * What planning one promoted file found, kept between commands: `promote preview` of 2,000 applications spent
 * most of its time parsing 2,000 unchanged values files it had parsed the run before (twice: to read their
 * values, then to check the edit it would make).
 *
 * Planning a file is a function of the file's bytes, its path, the values written into it and this code, so
 * an entry is found by the SHA-256 of all four and holds the result: the changes (JSONPath, old value, new
 * value), the values the file lacks, and the edit as one byte splice of the old bytes. A changed file, other
 * values or another build of this code give another key; nothing is ever looked up by name or time. Files
 * that fail to plan (invalid YAML, a refused edit) are not kept: they fail the same way every time.
 *
 * Entries live next to the clone of the repository they came from, in one file appended to as plans are made
 * (a record per batch: its length, its SHA-256, then the entries). A record cut short or damaged ends the
 * reading there; the rest is planned again. When the file passes {@link compactBytes}, the next write
 * replaces it with the entries this process used. Like the clone itself the file holds what the repository
 * holds, readable by this user alone.
 */

/** Bumped when what an entry holds changes shape. */
const memoSchema = 1;
const magic = Buffer.from("promotions-plan-memo 1\n");
/** Past this, the next write keeps only what this process used. */
const compactBytes = 16 * 1024 * 1024;
/**
 * Plans a process holds at most, the least recently used dropped first: `promote serve` runs for months
 * (about 300 bytes a plan: 15 MB at most).
 */
export const plansInMemory = 50_000;

/** Puts `key` last in `map` (the most recently used), dropping the first when the map is full. */
function touch(map: Map<string, FilePlan>, key: string, plan: FilePlan): void {
    map.delete(key);
    map.set(key, plan);
    if (map.size > plansInMemory) {
        map.delete(map.keys().next().value as string);
    }
}

/** One promoted file's plan, relative to nothing but the file. */
export interface FilePlan {
    /** Each value that differs: where (JSONPath), the target's value (null when absent) and the new one. */
    readonly changes: readonly { readonly path: string; readonly from: unknown; readonly to: unknown }[];
    /** The candidate's values the target lacks (a filter that selects nothing there). */
    readonly missing: readonly string[];
    /** The edit, when anything changes: bytes [start, end) of the old file replaced with `insert`. */
    readonly splice?: { readonly start: number; readonly end: number; readonly insert: Buffer };
}

/** The code whose result an entry holds: the planner, the YAML editor and JSONPath, and `yaml` itself. */
function plannerCode(): string {
    return codeFingerprint(
        [__dirname, path.join(__dirname, "yaml"), path.join(__dirname, "..", "model")],
        ["yaml"],
    );
}

/** The digest of a candidate file's values with this code, once per values (a release plans 2,000 files with one). */
const entriesDigests = new WeakMap<readonly ValueEntry[], Buffer>();

/** The key of planning `entries` into `file` (repository path) whose bytes are `before`. */
export function planKey(file: string, entries: readonly ValueEntry[], before: Buffer): string {
    let digest = entriesDigests.get(entries);
    if (!digest) {
        digest = crypto
            .createHash("sha256")
            .update(v8.serialize([memoSchema, plannerCode(), entries]))
            .digest();
        entriesDigests.set(entries, digest);
    }
    const name = Buffer.from(file, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(name.length);
    return crypto
        .createHash("sha256")
        .update(digest)
        .update(length)
        .update(name)
        .update(before)
        .digest("hex");
}

/** The splice that turns `before` into `after`: their common start and end kept, the middle replaced. */
export function spliceOf(before: Buffer, after: Buffer): FilePlan["splice"] {
    let start = 0;
    const shorter = Math.min(before.length, after.length);
    while (start < shorter && before[start] === after[start]) {
        start++;
    }
    let tail = 0;
    while (tail < shorter - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) {
        tail++;
    }
    return {
        start,
        end: before.length - tail,
        insert: Buffer.from(after.subarray(start, after.length - tail)),
    };
}

/** `before` with the splice applied. */
export function applySplice(before: Buffer, splice: NonNullable<FilePlan["splice"]>): Buffer {
    return Buffer.concat([before.subarray(0, splice.start), splice.insert, before.subarray(splice.end)]);
}

const memos = new Map<string, PlanMemo>();

/** The plans kept in one file (one per clone); one instance per file in a process. */
export class PlanMemo {
    private entries?: Map<string, FilePlan>;
    private fileBytes = 0;
    private readonly used = new Map<string, FilePlan>();
    private pending: [string, FilePlan][] = [];
    private flushing = false;

    private constructor(readonly file: string) {}

    /** The memo kept in `file`. */
    static at(file: string): PlanMemo {
        let memo = memos.get(file);
        if (!memo) {
            memo = new PlanMemo(file);
            memos.set(file, memo);
        }
        return memo;
    }

    /** The plan kept under `key`, if any. */
    get(key: string): FilePlan | undefined {
        const entries = this.load();
        const plan = entries.get(key);
        if (plan) {
            touch(entries, key, plan);
            touch(this.used, key, plan);
        }
        return plan;
    }

    /** Keeps `plan` under `key`; written to the file soon after (once per batch of plans), never lost on exit. */
    set(key: string, plan: FilePlan): void {
        touch(this.load(), key, plan);
        touch(this.used, key, plan);
        this.pending.push([key, plan]);
        if (!this.flushing) {
            this.flushing = true;
            setImmediate(() => this.flush());
            process.once("exit", this.flushOnExit);
        }
    }

    private readonly flushOnExit = (): void => this.flush();

    /** Writes what was kept since the last write: one appended record, or the whole file when it grew large. */
    flush(): void {
        process.removeListener("exit", this.flushOnExit);
        this.flushing = false;
        if (this.pending.length === 0) {
            return;
        }
        const batch = this.pending;
        this.pending = [];
        try {
            if (this.fileBytes === 0 || this.fileBytes > compactBytes) {
                const whole = Buffer.concat([magic, record([...this.used])]);
                const temp = `${this.file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
                fs.writeFileSync(temp, whole, { mode: 0o600 });
                fs.renameSync(temp, this.file);
                this.fileBytes = whole.length;
            } else {
                const more = record(batch);
                // No O_CREAT: a file removed meanwhile is written whole at the next batch, with its header.
                const fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
                try {
                    fs.writeSync(fd, more);
                } finally {
                    fs.closeSync(fd);
                }
                this.fileBytes += more.length;
            }
        } catch {
            this.fileBytes = 0;
            // a cache that cannot be written is skipped: the next command plans these files again
        }
    }

    private load(): Map<string, FilePlan> {
        if (this.entries) {
            return this.entries;
        }
        this.entries = new Map();
        let raw: Buffer;
        try {
            raw = fs.readFileSync(this.file);
        } catch {
            return this.entries;
        }
        if (!raw.subarray(0, magic.length).equals(magic)) {
            return this.entries; // another format: replaced at the next write
        }
        let at = magic.length;
        while (at + 36 <= raw.length) {
            const length = raw.readUInt32BE(at);
            const payload = raw.subarray(at + 36, at + 36 + length);
            if (
                payload.length !== length ||
                !crypto
                    .createHash("sha256")
                    .update(payload)
                    .digest()
                    .equals(raw.subarray(at + 4, at + 36))
            ) {
                break; // cut short or damaged: what follows is planned again
            }
            try {
                for (const [key, plan] of v8.deserialize(payload) as [string, FilePlan][]) {
                    touch(this.entries, key, plan);
                }
            } catch {
                break;
            }
            at += 36 + length;
        }
        // Appends go after the last good record only if the file ends there; otherwise it is rewritten.
        this.fileBytes = at === raw.length ? raw.length : 0;
        return this.entries;
    }
}

/** One record: the payload's length (4 bytes), its SHA-256 (32 bytes), then the entries, serialized. */
function record(entries: readonly [string, FilePlan][]): Buffer {
    const payload = v8.serialize(entries);
    const head = Buffer.alloc(36);
    head.writeUInt32BE(payload.length, 0);
    crypto.createHash("sha256").update(payload).digest().copy(head, 4);
    return Buffer.concat([head, payload]);
}
