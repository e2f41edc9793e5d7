/**
 * Preloaded into a CLI process (`NODE_OPTIONS=--require <this file>`, see {@link recordLoads}) by tests that
 * check what a command loads: when the process exits, it writes every CommonJS module it loaded, each with
 * the module that first required it, as JSON to the file named by PROMOTIONS_TEST_LOADS.
 */
import * as fs from "fs";

export interface LoadedModule {
    readonly file: string;
    /** The module that first required it (none: the entry point, or a preloaded module). */
    readonly parent?: string;
}

/** The NODE_OPTIONS and variable that make a `node` process started with `env` record its loads in `file`. */
export function recordLoads(file: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    return {
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} --require ${JSON.stringify(__filename)}`.trim(),
        PROMOTIONS_TEST_LOADS: file,
    };
}

/** What a process started with {@link recordLoads} loaded. */
export function readLoads(file: string): LoadedModule[] {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LoadedModule[];
}

const out = process.env.PROMOTIONS_TEST_LOADS;
if (out && require.main === undefined) {
    process.on("exit", () => {
        const loads: LoadedModule[] = Object.values(require.cache).flatMap((m) => {
            // `parent` is deprecated for new code but is exactly "who required it first", which is the point.
            const parent = (m as { parent?: { filename?: string } | null } | undefined)?.parent?.filename;
            return m ? [{ file: m.filename, ...(parent ? { parent } : {}) }] : [];
        });
        fs.writeFileSync(out, JSON.stringify(loads));
    });
}
