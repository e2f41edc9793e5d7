import { EnvironmentError } from "../../model/errors";

/**
 * The coordination store's one primitive: a key → JSON document map with compare-and-set on a version, in
 * the backend the user already has (files for `file://`, a table for `postgres://`, conditional object writes
 * for `s3://`). Everything the engine coordinates (release records, the queue's turn, leases, decisions,
 * holds, cursors) is built on these four calls; none of them reads or writes Pulumi's own files.
 */

/** A document as stored, with the version a conditional write must name to replace it. */
export interface Versioned<T = unknown> {
    readonly value: T;
    /** Opaque: a counter, an ETag. Changes on every write. */
    readonly version: string;
}

/** `absent`: write only if there is no document; a version: only if the document is still at it. */
export type Condition = { readonly ifAbsent: true } | { readonly ifVersion: string } | undefined;

export interface KvStore {
    /** Where the store lives, as a person finds it (a directory, a table, a bucket and prefix); no secret. */
    readonly where: string;
    get<T = unknown>(key: string): Promise<Versioned<T> | undefined>;
    /**
     * Writes `value` under `key` when `condition` holds (none: always) and returns the new version; undefined
     * when it does not hold (another writer was first). A write is whole or absent: a reader never sees half.
     */
    put(key: string, value: unknown, condition?: Condition): Promise<string | undefined>;
    /** Removes `key` (when still at `ifVersion`, if given); false when it was not there or had moved on. */
    delete(key: string, ifVersion?: string): Promise<boolean>;
    /**
     * Keys starting with `prefix`, in ascending byte order, after `after` (exclusive) when given, at most
     * `limit` of them (all when not given).
     */
    list(prefix: string, o?: { readonly after?: string; readonly limit?: number }): Promise<string[]>;
    /** Lets go of connections; the store is not used after. */
    close(): Promise<void>;
}

/**
 * A document that cannot be read whole: cut or changed outside the store (whose writes are whole or absent).
 * Names the file or key, and how to recover.
 */
export class DamagedDocumentError extends EnvironmentError {
    constructor(readonly where: string) {
        super(
            `${where} is not a whole document of the release store (it was cut or changed outside the store, which writes each document whole and renames it into place). To recover, restore it from a backup of the state, or move it aside (mv '${where}' '${where}.damaged'): the store then goes on without it, and a release not over is written again by 'promote retry ID'`,
            { path: where },
        );
    }
}

/** Keys are `/`-separated words of letters, digits, `.`, `_`, `-` (safe as file names and object keys). */
export function checkKey(key: string): void {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split("/").some((w) => /^\.+$/.test(w))) {
        throw new Error(`"${key}" is not a store key: words of letters, digits, '.', '_', '-' joined by '/'`);
    }
}
