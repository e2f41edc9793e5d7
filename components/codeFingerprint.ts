import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * What a cache entry made by this code must match to be used: this package's version, the libraries' versions
 * and the code itself. Caches kept between commands (parsed definitions, planned edits) hold what this code
 * computed; another version, another `yaml`, or a rebuilt file (a developer's build between two releases of
 * the same version) may compute otherwise, so their entries must not be used.
 */

/** This package's version, read once. */
let toolVersion: string | undefined;
export function packageVersion(): string {
    if (toolVersion === undefined) {
        toolVersion = "unknown";
        for (let dir = __dirname, i = 0; i < 4; i++, dir = path.dirname(dir)) {
            try {
                const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
                    name?: string;
                    version?: string;
                };
                if (pkg.name === "pulumi-promotions" && pkg.version) {
                    toolVersion = pkg.version;
                    break;
                }
            } catch {
                // not here: one level up
            }
        }
    }
    return toolVersion;
}

/** The version in a library's package.json, found above its resolved entry point (npm fixes files' times). */
function libraryVersion(library: string): string {
    try {
        let dir = path.dirname(require.resolve(library));
        for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
            const file = path.join(dir, "package.json");
            if (fs.existsSync(file)) {
                const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
                if (pkg.name === library) {
                    return pkg.version ?? "unknown";
                }
            }
        }
    } catch {
        // not resolvable: the fingerprint says so
    }
    return "unknown";
}

const fingerprints = new Map<string, string>();

/**
 * A digest of this package's version, the libraries' versions and the files directly in `dirs` (by name, size
 * and modification time), computed once per process.
 */
export function codeFingerprint(dirs: readonly string[], libraries: readonly string[]): string {
    const id = JSON.stringify([dirs, libraries]);
    let fingerprint = fingerprints.get(id);
    if (fingerprint === undefined) {
        const h = crypto.createHash("sha256");
        h.update(`pulumi-promotions@${packageVersion()}\n${process.versions.v8}\n`);
        for (const library of libraries) {
            h.update(`${library}@${libraryVersion(library)}\n`);
        }
        for (const dir of dirs) {
            let names: string[] = [];
            try {
                names = fs.readdirSync(dir).sort();
            } catch {
                continue;
            }
            for (const name of names) {
                try {
                    const st = fs.statSync(path.join(dir, name));
                    h.update(`${dir}/${name}\0${st.size}\0${st.mtimeMs}\n`);
                } catch {
                    // removed meanwhile: left out
                }
            }
        }
        fingerprint = h.digest("hex");
        fingerprints.set(id, fingerprint);
    }
    return fingerprint;
}
