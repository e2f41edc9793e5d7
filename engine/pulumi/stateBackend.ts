import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { Pool } from "pg";
import { EnvironmentError } from "../../model/errors";

/**
 * Read access to the objects a Pulumi DIY backend stores (`.pulumi/meta.yaml`, `.pulumi/stacks/<project>/
 * <stack>.json`, ...), for the reads that would otherwise each start a `pulumi` process: whether a stack
 * exists, a project's stack names, a stack's latest checkpoint. Writes always go through the engine.
 * `undefined` for a backend we cannot read directly (Pulumi Cloud, S3, ...): callers then ask the engine.
 */
export interface BackendObjects {
    /** The object's bytes, or undefined when there is none. Throws when the backend cannot be read. */
    get(key: string): Promise<Buffer | undefined>;
    /** The keys directly below `prefix` (a "directory", ending with `/`). */
    list(prefix: string): Promise<string[]>;
    /** Where the object lives, as a person finds it: a file's absolute path, or the key and its table. */
    where(key: string): string;
    /** The file of a `file://` backend's object (absent for other backends). */
    readonly file?: (key: string) => string;
}

export function backendObjects(backendUrl: string): BackendObjects | undefined {
    if (backendUrl.startsWith("file://")) {
        return fileObjects(fileUrlPath(backendUrl));
    }
    if (/^postgres(ql)?:\/\//.test(backendUrl)) {
        return postgresObjects(backendUrl);
    }
    return undefined;
}

/** The password a backend URL carries (`postgres://user:password@host/db`), which must be kept secret. */
export function urlPassword(backendUrl: string): string | undefined {
    try {
        const password = new URL(backendUrl).password;
        return password ? decodeURIComponent(password) : undefined;
    } catch {
        return undefined;
    }
}

/** The backend URL as it may be shown: its password masked. */
export function displayBackendUrl(backendUrl: string): string {
    try {
        const url = new URL(backendUrl);
        if (url.password) {
            url.password = "***";
            return url.toString();
        }
    } catch {
        // not a URL we can parse: shown as given (a file:// path, an s3 bucket)
    }
    return backendUrl;
}

/** The directory of a `file://` backend URL (`file:///abs`, `file://~/x`, or `file://relative`). */
export function fileUrlPath(url: string): string {
    const rest = url.slice("file://".length).split("?")[0];
    if (rest.startsWith("~")) {
        return path.join(process.env.HOME ?? "", rest.slice(1));
    }
    return path.resolve(rest);
}

function fileObjects(root: string): BackendObjects {
    return {
        where: (key) => path.join(root, key),
        file: (key) => path.join(root, key),
        get: (key) => {
            try {
                return Promise.resolve(fs.readFileSync(path.join(root, key)));
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code === "ENOENT") {
                    return Promise.resolve(undefined);
                }
                throw e;
            }
        },
        list: (prefix) => {
            try {
                return Promise.resolve(fs.readdirSync(path.join(root, prefix)).map((f) => prefix + f));
            } catch {
                return Promise.resolve([]);
            }
        },
    };
}

const pools = new Map<string, Pool>();

/**
 * Pulumi's `postgres://` backend: one table (`pulumi_state`, or the URL's `table`) of keys under
 * `<database>/` and their data (`bytea`, or in newer engines `json` holding `{"data": <base64>}`). Read with
 * one small pool per backend, which never keeps the process alive.
 */
function postgresObjects(backendUrl: string): BackendObjects {
    const url = new URL(backendUrl);
    const table = url.searchParams.get("table") ?? "pulumi_state";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
        throw new Error(`the backend URL's table "${table}" is not a plain SQL name`);
    }
    const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || process.env.PGDATABASE || "";
    const prefix = `${database}/`;
    const pool = async (): Promise<Pool> => {
        let p = pools.get(backendUrl);
        if (p === undefined) {
            url.searchParams.delete("table");
            // Loaded only for this backend (it is not needed to start the CLI).
            const pg = await import("pg");
            p = new pg.Pool({
                connectionString: url.toString(),
                max: 2,
                idleTimeoutMillis: 1000,
                connectionTimeoutMillis: 10_000,
                allowExitOnIdle: true,
            });
            p.on("error", () => undefined);
            pools.set(backendUrl, p);
        }
        return p;
    };
    return {
        where: (key) => `the object "${prefix + key}" of the table ${table}`,
        get: async (key) => {
            const rows = await (
                await pool()
            ).query<{ data: unknown }>(`SELECT data FROM ${table} WHERE key = $1`, [prefix + key]);
            return rows.rows.length === 0 ? undefined : blobOf(rows.rows[0].data);
        },
        list: async (dir) => {
            const like = (prefix + dir).replace(/[\\%_]/g, (c) => `\\${c}`);
            const rows = await (
                await pool()
            ).query<{ key: string }>(`SELECT key FROM ${table} WHERE key LIKE $1 ORDER BY key`, [`${like}%`]);
            return rows.rows
                .map((r) => r.key.slice(prefix.length))
                .filter((k) => !k.slice(dir.length).includes("/"));
        },
    };
}

/** A stored object's bytes: `bytea` arrives as a Buffer, `json` as `{data: base64}`. */
function blobOf(data: unknown): Buffer {
    if (Buffer.isBuffer(data)) {
        return data;
    }
    if (typeof data === "object" && data !== null && typeof (data as { data?: unknown }).data === "string") {
        return Buffer.from((data as { data: string }).data, "base64");
    }
    if (typeof data === "string") {
        return Buffer.from(data, "utf8");
    }
    throw new Error("an object of the postgres backend has data of an unknown shape");
}

/** A checkpoint resource as the backend stores it. */
export interface StoredResource {
    readonly urn: string;
    readonly type: string;
    readonly outputs?: Record<string, unknown>;
}

/**
 * The backend's stacks directory when it uses the project layout (meta.yaml `version: 1`, or no meta.yaml
 * yet: a new backend gets that layout), else undefined.
 */
async function stacksDir(objects: BackendObjects): Promise<string | undefined> {
    const meta = (await objects.get(".pulumi/meta.yaml"))?.toString("utf8") ?? "version: 1";
    return /^version: *1\b/m.test(meta) ? ".pulumi/stacks/" : undefined;
}

/** The key of the stack's checkpoint (plain or gzipped), when it exists. */
async function checkpoint(
    objects: BackendObjects,
    project: string,
    stack: string,
): Promise<{ key: string; bytes: Buffer } | undefined> {
    const dir = await stacksDir(objects);
    if (dir === undefined) {
        return undefined;
    }
    for (const key of [`${dir}${project}/${stack}.json`, `${dir}${project}/${stack}.json.gz`]) {
        const bytes = await objects.get(key);
        if (bytes !== undefined) {
            return { key, bytes };
        }
    }
    return undefined;
}

/** An update's lock on a stack, as the DIY backend writes it (`.pulumi/locks/organization/<project>/<stack>/`). */
export interface StackLock {
    /** The `pulumi` process holding it, on `hostname`. */
    readonly pid: number;
    readonly hostname: string;
    readonly timestamp?: string;
}

/** The locks on a stack, or undefined (a backend we do not read). */
export async function stackLocks(
    backendUrl: string,
    project: string,
    stack: string,
): Promise<StackLock[] | undefined> {
    const objects = backendObjects(backendUrl);
    try {
        if (objects === undefined || (await stacksDir(objects)) === undefined) {
            return undefined;
        }
        const keys = await objects.list(`.pulumi/locks/organization/${project}/${stack}/`);
        const locks: StackLock[] = [];
        for (const key of keys.filter((k) => k.endsWith(".json"))) {
            const text = (await objects.get(key))?.toString("utf8");
            if (text !== undefined) {
                locks.push(JSON.parse(text) as StackLock);
            }
        }
        return locks;
    } catch {
        return undefined;
    }
}

/** Whether the backend shows the stack, or `unknown` (a backend or layout we do not read: ask the engine). */
export async function stackSeen(
    backendUrl: string,
    project: string,
    stack: string,
): Promise<"exists" | "absent" | "unknown"> {
    const objects = backendObjects(backendUrl);
    try {
        if (objects === undefined || (await stacksDir(objects)) === undefined) {
            return "unknown";
        }
        return (await checkpoint(objects, project, stack)) === undefined ? "absent" : "exists";
    } catch {
        return "unknown";
    }
}

/** The names of a project's stacks as the backend stores them, or undefined (ask the engine). */
export async function storedStackNames(backendUrl: string, project: string): Promise<string[] | undefined> {
    const objects = backendObjects(backendUrl);
    try {
        const dir = objects && (await stacksDir(objects));
        if (objects === undefined || dir === undefined) {
            return undefined;
        }
        const keys = await objects.list(`${dir}${project}/`);
        return keys
            .map((k) => k.slice(`${dir}${project}/`.length))
            .filter((f) => /\.json(\.gz)?$/.test(f))
            .map((f) => f.replace(/\.json(\.gz)?$/, ""));
    } catch {
        return undefined;
    }
}

/** A checkpoint as the DIY backend stores it (`pulumi stack export` shows its `checkpoint.latest`). */
interface StoredCheckpoint {
    readonly version?: number;
    readonly checkpoint?: {
        readonly latest?: {
            readonly resources?: StoredResource[];
            readonly secrets_providers?: {
                readonly type?: string;
                readonly state?: { readonly salt?: string };
            };
        };
    };
}

/** The checkpoint in `bytes` (the object `key`), or an error saying why it cannot be read. */
function parseCheckpoint(key: string, bytes: Buffer): StoredCheckpoint {
    const text = key.endsWith(".gz") ? zlib.gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
    const parsed = JSON.parse(text) as unknown;
    if (
        typeof parsed !== "object" ||
        parsed === null ||
        typeof (parsed as StoredCheckpoint).version !== "number"
    ) {
        throw new Error("it is not a Pulumi checkpoint (no version)");
    }
    return parsed as StoredCheckpoint;
}

/** A stack's checkpoint that is there but cannot be read, and where its newest good copy is. */
export interface DamagedState {
    /** `project/stack`. */
    readonly stack: string;
    /** The file (or the object and its table). */
    readonly where: string;
    /** Why it cannot be read (`Unexpected end of JSON input`, ...). */
    readonly reason: string;
    /** The newest copy of it that reads (a `file://` backend's `.bak`, backups or history), if any. */
    readonly goodCopy?: string;
    /** Where copies were looked for. */
    readonly searched: readonly string[];
}

/** What a damaged state file is and how to recover it, in one sentence a person can act on. */
export function damageMessage(d: DamagedState): string {
    const fix = d.goodCopy
        ? `restore its newest good copy: cp '${d.goodCopy}' '${d.where}'`
        : d.searched.length > 0
          ? `no good copy of it was found (looked in ${d.searched.join(", ")}): restore it from a backup of the state`
          : "restore it from a backup of the state backend";
    return (
        `the state of stack ${d.stack} cannot be read: ${d.where} is damaged (${d.reason}), as a write cut short ` +
        `leaves it (a full disk, a crash). To recover, ${fix}; then 'promote doctor' checks every state file`
    );
}

/** A state file of ours that cannot be read (exit code 3): which file, and how to recover it. */
export class DamagedStateError extends EnvironmentError {
    constructor(readonly damage: DamagedState) {
        super(damageMessage(damage), { entity: `stack ${damage.stack}`, path: damage.where });
    }
}

/**
 * Copies of a stack's checkpoint a `file://` backend keeps: Pulumi's `<stack>.json.bak` (the checkpoint before
 * its latest write), its backups and history (one per update), and the copies our writes keep while they run
 * (see stateGuard.ts). The directories searched are returned too, for a message.
 */
function checkpointCopies(
    root: string,
    key: string,
    project: string,
    stack: string,
): { files: string[]; dirs: string[] } {
    const stacksDir = path.dirname(path.join(root, key));
    const base = path.basename(key);
    const dirs = [
        path.join(root, ".pulumi", "backups", project, stack),
        path.join(root, ".pulumi", "history", project, stack),
    ];
    const list = (dir: string) => {
        try {
            return fs.readdirSync(dir).map((f) => path.join(dir, f));
        } catch {
            return [];
        }
    };
    const files = [
        ...list(stacksDir).filter((f) => {
            const name = path.basename(f);
            return name === `${base}.bak` || name.startsWith(`${base}.keep-`);
        }),
        ...list(dirs[0]).filter((f) => /\.json(\.gz)?$/.test(f)),
        ...list(dirs[1]).filter((f) => /\.checkpoint\.json(\.gz)?$/.test(f)),
    ];
    return { files, dirs: [path.join(stacksDir, `${base}.bak`), ...dirs] };
}

/** The newest (by the time it was written) of `files` that reads as a checkpoint. */
export function newestReadable(files: readonly string[]): string | undefined {
    const dated = files
        .map((f) => {
            try {
                return { f, at: fs.statSync(f).mtimeMs };
            } catch {
                return undefined;
            }
        })
        .filter((d) => d !== undefined)
        .sort((a, b) => b.at - a.at);
    for (const { f } of dated) {
        try {
            parseCheckpoint(f.replace(/\.(bak|keep-[^/]*)$/, ""), fs.readFileSync(f));
            return f;
        } catch {
            // damaged too: an older one
        }
    }
    return undefined;
}

/** The stack's checkpoint read, or why it cannot be read and where a good copy is. */
function readCheckpoint(
    objects: BackendObjects,
    project: string,
    stack: string,
    found: { key: string; bytes: Buffer },
): { checkpoint: StoredCheckpoint } | { damage: DamagedState } {
    try {
        return { checkpoint: parseCheckpoint(found.key, found.bytes) };
    } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const root = objects.file?.("");
        const copies = root === undefined ? undefined : checkpointCopies(root, found.key, project, stack);
        const goodCopy = copies && newestReadable(copies.files);
        return {
            damage: {
                stack: `${project}/${stack}`,
                where: objects.where(found.key),
                reason,
                ...(goodCopy ? { goodCopy } : {}),
                searched: copies?.dirs ?? [],
            },
        };
    }
}

/**
 * The stack's checkpoint in a `file://` backend: its file (undefined when there is none yet) and, when it cannot be
 * read, why and where its good copy is. Undefined for any other backend.
 */
export async function inspectCheckpoint(
    backendUrl: string,
    project: string,
    stack: string,
): Promise<{ readonly file?: string; readonly damage?: DamagedState } | undefined> {
    const objects = backendUrl.startsWith("file://") ? backendObjects(backendUrl) : undefined;
    if (objects?.file === undefined) {
        return undefined;
    }
    const found = await checkpoint(objects, project, stack).catch(() => undefined);
    if (found === undefined) {
        return {};
    }
    const read = readCheckpoint(objects, project, stack, found);
    return { file: objects.file(found.key), ...("damage" in read ? { damage: read.damage } : {}) };
}

/** The stacks of a backend read one by one (see {@link checkStacks}). */
export interface StacksChecked {
    /** How many read. */
    readonly read: number;
    /** Each that does not. */
    readonly damaged: DamagedState[];
    /** The passphrase salt each readable stack's checkpoint records (its settings file must hold the same). */
    readonly salts: { readonly project: string; readonly stack: string; readonly salt: string }[];
}

/**
 * Every stack of `projects` read from the backend: how many read, and each that does not. Undefined for a
 * backend we do not read directly.
 */
export async function checkStacks(
    backendUrl: string,
    projects: readonly string[],
): Promise<StacksChecked | undefined> {
    const objects = backendObjects(backendUrl);
    if (objects === undefined || (await stacksDir(objects)) === undefined) {
        return undefined;
    }
    let read = 0;
    const damaged: DamagedState[] = [];
    const salts: StacksChecked["salts"][number][] = [];
    for (const project of projects) {
        for (const stack of (await storedStackNames(backendUrl, project)) ?? []) {
            const found = await checkpoint(objects, project, stack);
            const result = found && readCheckpoint(objects, project, stack, found);
            if (result && "damage" in result) {
                damaged.push(result.damage);
            } else if (result) {
                read++;
                const salt = result.checkpoint.checkpoint?.latest?.secrets_providers?.state?.salt;
                if (salt) {
                    salts.push({ project, stack, salt });
                }
            }
        }
    }
    return { read, damaged, salts };
}

/**
 * The resources of a stack's latest checkpoint, read straight from the backend (which writes each checkpoint
 * whole: a file by rename, a row in one statement), instead of a `pulumi stack export` process. `undefined`
 * where that is not possible (another backend or layout, no such stack yet, unreadable backend): ask the engine.
 * A checkpoint that is there but damaged throws a {@link DamagedStateError} naming the file and its good copy
 * (the engine would only say "failed to load checkpoint").
 */
export async function readStackResources(
    backendUrl: string,
    project: string,
    stack: string,
): Promise<StoredResource[] | undefined> {
    const objects = backendObjects(backendUrl);
    let found: { key: string; bytes: Buffer } | undefined;
    try {
        found = objects && (await checkpoint(objects, project, stack));
    } catch {
        return undefined;
    }
    if (!objects || !found) {
        return undefined;
    }
    const read = readCheckpoint(objects, project, stack, found);
    if ("damage" in read) {
        throw new DamagedStateError(read.damage);
    }
    const parsed = read.checkpoint;
    return parsed.version === 3 ? (parsed.checkpoint?.latest?.resources ?? []) : undefined;
}
