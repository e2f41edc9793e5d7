import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A fresh directory under the OS temp dir, removed by {@link removeTempDirs} (call it in `after`). */
const made: string[] = [];

export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `promotions-${prefix}-`));
    made.push(dir);
    return dir;
}

export function removeTempDirs(): void {
    if (process.env.PROMOTIONS_KEEP_TEST_DIRS) {
        return;
    }
    for (const dir of made.splice(0)) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Every file under `dir` whose bytes contain `needle` (tests search for leaked secrets with it). */
export function filesContaining(dir: string, needle: string): string[] {
    const hits: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) {
                walk(p);
            } else if (e.isFile() && fs.readFileSync(p).includes(needle)) {
                hits.push(p);
            }
        }
    };
    walk(dir);
    return hits;
}
