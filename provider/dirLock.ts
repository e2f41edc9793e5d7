import * as fs from "fs";
import * as path from "path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A lock between processes of this host: a directory made atomically, holding the owner's pid. A lock whose
 * owner is gone (a SIGKILLed process) is taken over.
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    fs.mkdirSync(path.dirname(lockDir), { recursive: true });
    for (;;) {
        try {
            fs.mkdirSync(lockDir);
            fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
                throw e;
            }
            const owner = Number(readOr(path.join(lockDir, "pid"), "0"));
            const age = Date.now() - (statOr(lockDir)?.mtimeMs ?? Date.now());
            if (
                (owner > 0 && !processAlive(owner)) ||
                (owner === 0 && age > 5_000) ||
                Date.now() > deadline
            ) {
                fs.rmSync(lockDir, { recursive: true, force: true });
                continue;
            }
            await sleep(50 + Math.random() * 100);
        }
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(lockDir, { recursive: true, force: true });
    }
}

export function readOr(file: string, fallback: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return fallback;
    }
}

/** The file's stats, or undefined when it is not there. */
export function statOr(p: string): fs.Stats | undefined {
    try {
        return fs.statSync(p);
    } catch {
        return undefined;
    }
}

/**
 * Whether a process of this host is there: it exists and is not a zombie (a killed process nobody reaped
 * yet still answers signal 0; its state in /proc says `Z`).
 */
export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
    const stat = readOr(`/proc/${pid}/stat`, "");
    return !/^\d+ \(.*\) Z /s.test(stat);
}
