import type { ChildProcessWithoutNullStreams } from "child_process";
import { spawn } from "child_process";
import * as fs from "fs";
import { git, gitBytes, GitError } from "./git";

/** One object as `git cat-file --batch` gives it. */
export interface BatchObject {
    readonly oid: string;
    /** `blob`, `tree`, `commit` or `tag`. */
    readonly type: string;
    readonly content: Buffer;
}

interface Request {
    readonly spec: string;
    readonly resolve: (o: BatchObject | undefined) => void;
    readonly reject: (e: unknown) => void;
}

/** A stream's handle, which may be left out of what keeps the event loop alive. */
type Handle = { ref?(): void; unref?(): void };

/** How long an idle reader keeps its git process. */
const idleMs = 10_000;

/** A name git resolves the same way forever: a full object id, or a path in the tree of one. */
const byObjectId = /^(?:[0-9a-f]{40}|[0-9a-f]{64})(?::[^\n\r]*)?$/;

/** The bytes of objects a reader keeps (it starts afresh beyond). */
const keptBytes = 16 * 1024 * 1024;

/** One `git cat-file --batch` process: what was written to it and how far its output is read. */
class BatchProcess {
    private readonly child: ChildProcessWithoutNullStreams;
    /** Written to git, not answered yet, in order. */
    private readonly waiting: Request[] = [];
    /** Unparsed output. */
    private chunks: Buffer[] = [];
    private buffered = 0;
    /** The header of the answer being read, once parsed. */
    private current?: { oid: string; type: string; size: number };
    private stderr = "";
    private idle?: NodeJS.Timeout;
    private ending = false;

    constructor(
        private readonly dir: string,
        private readonly repoURL: string | undefined,
        /** Called once the process is gone (or is going): the reader starts another for later reads. */
        private readonly gone: (p: BatchProcess) => void,
    ) {
        this.child = spawn("git", ["cat-file", "--batch"], {
            cwd: dir,
            env: { ...process.env, LC_ALL: "C" },
        });
        this.child.stdout.on("data", (d: Buffer) => this.received(d));
        this.child.stderr.on("data", (d: Buffer) => {
            this.stderr = (this.stderr + d.toString("utf8")).slice(-4_000);
        });
        // A write after git died (EPIPE) is reported by "error"/"close" below.
        this.child.stdin.on("error", () => undefined);
        this.child.on("error", (e) => this.ended(e));
        this.child.on("close", (code) => this.ended(undefined, code));
        this.hold(false);
    }

    read(spec: string): Promise<BatchObject | undefined> {
        return new Promise((resolve, reject) => {
            clearTimeout(this.idle);
            if (this.waiting.length === 0) {
                this.hold(true);
            }
            this.waiting.push({ spec, resolve, reject });
            this.child.stdin.write(`${spec}\n`);
        });
    }

    /** No more requests: git ends once it has answered those written. */
    end(): void {
        if (!this.ending) {
            this.ending = true;
            clearTimeout(this.idle);
            this.gone(this);
            this.child.stdin.end();
        }
    }

    /** Keeps the program alive while answers are awaited, and only then. */
    private hold(on: boolean): void {
        for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Handle[]) {
            if (on) {
                h.ref?.();
            } else {
                h.unref?.();
            }
        }
    }

    private received(data: Buffer): void {
        this.chunks.push(data);
        this.buffered += data.length;
        for (;;) {
            if (!this.current) {
                const eol = this.indexOfNewline();
                if (eol < 0) {
                    return;
                }
                const header = this.take(eol + 1)
                    .subarray(0, eol)
                    .toString("utf8");
                const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
                if (!m) {
                    // "<spec> missing" or "<spec> ambiguous": no content follows.
                    this.answer(undefined);
                    continue;
                }
                this.current = { oid: m[1], type: m[2], size: Number(m[3]) };
            }
            if (this.buffered < this.current.size + 1) {
                return;
            }
            const content = this.take(this.current.size + 1).subarray(0, this.current.size);
            const { oid, type } = this.current;
            this.current = undefined;
            this.answer({ oid, type, content });
        }
    }

    private indexOfNewline(): number {
        let offset = 0;
        for (const c of this.chunks) {
            const i = c.indexOf(0x0a);
            if (i >= 0) {
                return offset + i;
            }
            offset += c.length;
        }
        return -1;
    }

    /** The next `n` buffered bytes, removed from the buffer. */
    private take(n: number): Buffer {
        const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
        const rest = all.subarray(n);
        this.chunks = rest.length > 0 ? [rest] : [];
        this.buffered = rest.length;
        return all.subarray(0, n);
    }

    private answer(o: BatchObject | undefined): void {
        const request = this.waiting.shift();
        if (this.waiting.length === 0) {
            this.hold(false);
            if (!this.ending) {
                this.idle = setTimeout(() => this.end(), idleMs);
                this.idle.unref();
            }
        }
        request?.resolve(o);
    }

    private ended(error?: Error, code?: number | null): void {
        this.ending = true;
        clearTimeout(this.idle);
        this.gone(this);
        const pending = this.waiting.splice(0);
        if (pending.length === 0) {
            return;
        }
        const why = error
            ? fs.existsSync(this.dir)
                ? `${error.message}: install git and put it on PATH`
                : `the directory ${this.dir} does not exist`
            : this.stderr.trim() || "git ended before answering";
        const failure = new GitError(
            ["cat-file", "--batch"],
            error ? null : (code ?? null),
            why,
            this.repoURL,
            error,
        );
        for (const r of pending) {
            r.reject(failure);
        }
    }
}

/**
 * One long-lived `git cat-file --batch` process for one repository, serving every object read through a
 * queue: requests are written as they come and answered in order, so reading 2,000 files costs one process
 * instead of 2,000. Objects are named as git names them (`<commit>:<path>`, `<sha>`, `<ref>^{commit}`); a
 * name git cannot find (`missing`, `ambiguous`) reads as undefined. Binary-safe, any size (each answer is
 * framed by its byte count).
 *
 * The process does not keep the program alive while nothing is asked of it, and ends after a while without
 * requests (or at {@link close}); a request after that starts a new one. Git sees what other git commands
 * do to the repository meanwhile (fetched objects, updated refs).
 */
export class BatchReader {
    private process?: BatchProcess;
    /**
     * Objects named by an object id (`<sha>`, `<commit sha>:<path>`), which never change: planning and preview
     * read each application's directory and files more than once (checking the targets, then planning them).
     * Found objects only (a missing one may arrive with a fetch), and at most {@link keptBytes}.
     */
    private readonly kept = new Map<string, Promise<BatchObject | undefined>>();
    private keptSize = 0;

    constructor(
        readonly dir: string,
        /** Named in errors. */
        private readonly repoURL?: string,
    ) {}

    /**
     * The object `spec` names, or undefined when git has none by that name. Callers share the answer to a name
     * given by object id: its content must not be changed.
     */
    read(spec: string): Promise<BatchObject | undefined> {
        if (!byObjectId.test(spec)) {
            return this.readNow(spec);
        }
        const kept = this.kept.get(spec);
        if (kept) {
            return kept;
        }
        const reading = this.readNow(spec);
        this.kept.set(spec, reading);
        reading.then(
            (o) => {
                if (!o) {
                    this.kept.delete(spec);
                } else if ((this.keptSize += o.content.length) > keptBytes) {
                    this.kept.clear();
                    this.keptSize = 0;
                }
            },
            () => this.kept.delete(spec),
        );
        return reading;
    }

    private readNow(spec: string): Promise<BatchObject | undefined> {
        if (/[\n\r]/.test(spec)) {
            // A name with a line break cannot be written as one line of the batch (git would cut it).
            return this.readAlone(spec);
        }
        this.process ??= new BatchProcess(this.dir, this.repoURL, (p) => {
            if (this.process === p) {
                this.process = undefined;
            }
        });
        return this.process.read(spec);
    }

    /** Ends the git process once it has answered what was asked; the next read starts another. */
    close(): void {
        this.process?.end();
        this.kept.clear();
        this.keptSize = 0;
    }

    /** One object read by git processes of its own (a name the batch cannot carry). */
    private async readAlone(spec: string): Promise<BatchObject | undefined> {
        const opts = { cwd: this.dir, ...(this.repoURL ? { repoURL: this.repoURL } : {}), okCodes: [1, 128] };
        const oid = await git(["rev-parse", "--verify", "--quiet", spec], opts);
        if (oid.code !== 0) {
            return undefined;
        }
        const sha = oid.stdout.trim();
        const type = (await git(["cat-file", "-t", sha], opts)).stdout.trim();
        const content = await gitBytes(["cat-file", type, sha], opts);
        return { oid: sha, type, content: content.stdout };
    }
}

const readers = new Map<string, BatchReader>();

/** The reader of the repository at `dir` (one per directory in a process). */
export function batchReader(dir: string, repoURL?: string): BatchReader {
    let reader = readers.get(dir);
    if (!reader) {
        reader = new BatchReader(dir, repoURL);
        readers.set(dir, reader);
    }
    return reader;
}

/** Ends the git process of the reader of `dir`, if it has one (e.g. the clone there was made again). */
export function closeBatchReader(dir: string): void {
    readers.get(dir)?.close();
}

/** Ends every reader's git process (each once it has answered what was asked); later reads start new ones. */
export function closeBatchReaders(): void {
    for (const reader of readers.values()) {
        reader.close();
    }
}
