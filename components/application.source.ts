import * as path from "path";

/**
 * Checks on an application's source that refuse, at validation, values that can never work or that would
 * make git run something else: each returns the reason (with the fix) or undefined when the value is fine.
 * They are strict on purpose: these values reach `git clone`, `git fetch` and the file system.
 */

/** Transports git would accept that we do: https, http, ssh, git, file, and scp-like `git@host:path`. */
export const repoUrlSchemes = ["https", "http", "ssh", "git", "file"] as const;

const controlChar = /[\u0000-\u001f\u007f]/;
const optionSmuggling = /--(upload|receive)-pack|--config\b|--exec\b/i;
const fixUrl = `use https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git or file:///path/repo.git`;

export function repoUrlProblem(url: string): string | undefined {
    if (url.startsWith("-")) {
        return `starts with "-", so git would read it as an option: ${fixUrl}`;
    }
    const transport = /^([A-Za-z][A-Za-z0-9+.-]*)::/.exec(url);
    if (transport) {
        return `uses git's "${transport[1]}::" transport, which can run commands or read file descriptors: ${fixUrl}`;
    }
    if (optionSmuggling.test(url)) {
        return `contains a git option (${optionSmuggling.exec(url)![0]}): remove it; ${fixUrl}`;
    }
    if (controlChar.test(url) || /\s/.test(url)) {
        return `contains spaces or control characters: ${fixUrl}`;
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
    if (scheme) {
        const s = scheme[1].toLowerCase();
        if (!(repoUrlSchemes as readonly string[]).includes(s)) {
            return `scheme "${scheme[1]}" is not supported (supported: ${repoUrlSchemes.join(", ")}, and scp-like git@host:path): ${fixUrl}`;
        }
        if (url.length === scheme[0].length) {
            return `has no host or path after "${scheme[0]}": ${fixUrl}`;
        }
        return undefined;
    }
    // scp-like: [user@]host:path, where the host is a name (not `-x`) and the path does not start with "//".
    if (/^(?:[A-Za-z0-9._~+-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!\/\/).+$/.test(url)) {
        return undefined;
    }
    return `is not a repository URL git can clone: ${fixUrl}`;
}

/**
 * A branch, tag, `HEAD` or commit SHA that `git check-ref-format` accepts (and that git cannot take for an
 * option or a range).
 */
export function targetRevisionProblem(rev: string): string | undefined {
    const fix = "use a branch, tag or commit SHA, such as main or v1.2.0";
    const refused = (what: string) =>
        `${what}: git refuses it as a branch or tag name (git check-ref-format); ${fix}`;
    if (rev.startsWith("-")) {
        return `starts with "-", so git would read it as an option: ${fix}`;
    }
    if (optionSmuggling.test(rev)) {
        return `contains a git option: ${fix}`;
    }
    if (controlChar.test(rev)) {
        return refused("contains control characters");
    }
    if (/\s/.test(rev)) {
        return refused("contains spaces");
    }
    if (rev.includes("..")) {
        return refused('contains ".." (a range, not a revision)');
    }
    const bad = /[~^:?*[\\]/.exec(rev);
    if (bad) {
        return refused(`contains "${bad[0]}"`);
    }
    if (rev.includes("@{") || rev === "@") {
        return refused('contains "@{" or is "@"');
    }
    if (rev.startsWith("/") || rev.endsWith("/") || rev.includes("//")) {
        return refused('starts or ends with "/", or contains "//"');
    }
    if (rev.endsWith(".") || rev.split("/").some((c) => c.startsWith(".") || c.endsWith(".lock"))) {
        return refused('has a component that starts with "." or ends with ".lock", or ends with "."');
    }
    return undefined;
}

function escapes(p: string): boolean {
    const n = path.posix.normalize(p.replace(/\\/g, "/"));
    return n === ".." || n.startsWith("../");
}

function absolute(p: string): boolean {
    return p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(p);
}

/** `spec.source.path`: a directory inside the repository. */
export function sourcePathProblem(p: string): string | undefined {
    if (controlChar.test(p)) {
        return "contains control characters: give a directory inside the repository, e.g. apps/web/dev";
    }
    if (optionSmuggling.test(p)) {
        return "contains a git option: give a directory inside the repository, e.g. apps/web/dev";
    }
    if (absolute(p)) {
        return `is absolute: give a directory relative to the repository root, e.g. ${p.replace(/^([A-Za-z]:)?[\\/]+/, "") || "."}`;
    }
    if (escapes(p)) {
        return 'leaves the repository with "..": give a directory inside the repository, e.g. apps/web/dev';
    }
    return undefined;
}

/** A template's promoted file or version file: relative to, and inside, the application's path. */
export function fileInApplicationProblem(file: string): string | undefined {
    if (controlChar.test(file)) {
        return "contains control characters: name a file inside the application's path, e.g. values.yaml";
    }
    if (absolute(file)) {
        return "is absolute: name a file relative to the application's path, e.g. values.yaml";
    }
    if (escapes(file)) {
        return `leaves the application's path with "..": name a file inside it, e.g. values.yaml (each environment's application has its own path)`;
    }
    return undefined;
}
