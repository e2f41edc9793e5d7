import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive } from "../../provider/dirLock";
import { DamagedStateError, inspectCheckpoint, newestReadable } from "./stateBackend";

/**
 * Runs `write` (an update of one stack) so that a write that fails leaves the stack's previous good checkpoint
 * readable, on a `file://` backend.
 *
 * Why it is needed: Pulumi's DIY backend writes each checkpoint through gocloud.dev's `Bucket.WriteAll`, whose
 * file driver writes a temporary file and renames it into place. When a write fails part-way (ENOSPC on a full
 * disk), `WriteAll` closes the writer without cancelling it, and the driver's `Close` renames the partial
 * temporary file over the checkpoint all the same (the MD5 it checks is of the bytes it was given, not of
 * those written); Pulumi retries the write ten times, and its next save copies the partial file over the
 * `.bak`. Both are then cut short and every later command of that stack fails with "failed to load
 * checkpoint: unexpected end of JSON input".
 *
 * So: before the write, the checkpoint is kept under a second name (a hard link: no space needed, and the
 * engine replaces the file by a rename, so the link keeps the old content); after a failed write that left
 * the checkpoint unreadable, the newest readable of that copy and Pulumi's `.bak` is renamed back into place
 * (a rename needs no space either, so this works on the full disk). A checkpoint already damaged before the
 * write is not written over: the {@link DamagedStateError} says which file and where its good copy is.
 */
export async function guardedWrite<T>(
    backendUrl: string,
    project: string,
    stack: string,
    write: () => Promise<T>,
): Promise<T> {
    let before = await inspectCheckpoint(backendUrl, project, stack);
    // Another process of this host whose write just failed may be putting the good copy back: a moment for it.
    for (
        let waited = 0;
        before?.damage && before.file && keptByOthers(before.file) && waited < 10_000;
        waited += 200
    ) {
        await sleep(200);
        before = await inspectCheckpoint(backendUrl, project, stack);
    }
    if (before?.damage) {
        throw new DamagedStateError(before.damage);
    }
    const file = before?.file;
    const kept = file === undefined ? undefined : keep(file);
    try {
        return await write();
    } catch (e) {
        const left =
            file === undefined ? undefined : (await inspectCheckpoint(backendUrl, project, stack))?.damage;
        if (file !== undefined && left !== undefined && !restore(file, kept)) {
            throw new DamagedStateError(left);
        }
        throw e;
    } finally {
        if (kept !== undefined) {
            fs.rmSync(kept, { force: true });
        }
    }
}

let counter = 0;

/** Whether a live process of this host keeps a copy of `file` (its write runs, or is being undone). */
function keptByOthers(file: string): boolean {
    const prefix = `${path.basename(file)}.keep-${os.hostname()}-`;
    return readdir(path.dirname(file)).some((name) => {
        const pid = Number(name.startsWith(prefix) ? name.slice(prefix.length).split("-")[0] : NaN);
        return Number.isInteger(pid) && pid !== process.pid && processAlive(pid);
    });
}

/** A second name for `file` while a write runs (`<file>.keep-<host>-<pid>-<n>`); stale ones of this host go. */
function keep(file: string): string | undefined {
    const prefix = `${path.basename(file)}.keep-${os.hostname()}-`;
    for (const name of readdir(path.dirname(file))) {
        const pid = Number(name.startsWith(prefix) ? name.slice(prefix.length).split("-")[0] : NaN);
        if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
            fs.rmSync(path.join(path.dirname(file), name), { force: true });
        }
    }
    const kept = path.join(path.dirname(file), `${prefix}${process.pid}-${++counter}`);
    try {
        fs.linkSync(file, kept);
        return kept;
    } catch {
        // A file system without hard links: the write goes on with Pulumi's own `.bak` as the only copy.
        return undefined;
    }
}

/** Puts the newest readable of `kept` and Pulumi's `.bak` back in place of `file`; false when none reads. */
function restore(file: string, kept: string | undefined): boolean {
    const good = newestReadable([`${file}.bak`, ...(kept ? [kept] : [])]);
    if (good === undefined) {
        return false;
    }
    try {
        if (good === kept) {
            fs.renameSync(kept, file);
        } else {
            // The `.bak` stays: linked to a temporary name, which is renamed over the file.
            const temp = `${file}.restore-${process.pid}`;
            fs.rmSync(temp, { force: true });
            fs.linkSync(good, temp);
            fs.renameSync(temp, file);
        }
        return true;
    } catch {
        return false;
    }
}

function readdir(dir: string): string[] {
    try {
        return fs.readdirSync(dir);
    } catch {
        return [];
    }
}
