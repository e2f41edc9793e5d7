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
