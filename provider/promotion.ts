import * as path from "path";
import { isDeepStrictEqual } from "util";
import type { TemplateBody } from "../components/promotionTemplate";
import { entityName, InvalidInputError, PromotionError } from "../model/errors";
import { formatPath } from "../model/jsonPath";
import type { FileChanges, Repository } from "./git/repository";
import type { FilePlan } from "./planMemo";
import { applySplice, planKey, spliceOf } from "./planMemo";
import type { ValueEntry } from "./yaml/documentEditor";
import { applyEntriesToBytes, decodeText, lookup, readDocument } from "./yaml/documentEditor";
import { locateEntries, promotedEntries, readVersion } from "./yaml/promotedValues";

/** One file of the release candidate: the values it carries, or (no template paths) its whole content. */
export interface CandidateFile {
    /** Relative to the application path. */
    readonly file: string;
    readonly entries?: readonly ValueEntry[];
    /** Base64 of the whole file, when the template promotes every file. */
    readonly content?: string;
}

/** The immutable set of values a release moves: read once from the source application at one commit. */
export interface ReleaseCandidate {
    readonly sourceApplication: string;
    readonly sourceRepoURL: string;
    readonly sourcePath: string;
    readonly sourceCommit: string;
    readonly version?: string;
    readonly files: readonly CandidateFile[];
    /**
     * A message from whoever started the release (the console's dialog, `--message`): written into the body of
     * each promotion commit. Not a promoted value; a rollback does not carry it over.
     */
    readonly note?: string;
}

/** One promoted value that differs in a target: JSONPath, old value and new value. */
export interface Change {
    readonly file: string;
    readonly path: string;
    readonly from: unknown;
    readonly to: unknown;
}

/** What writing the candidate into one application would change. */
export interface ApplicationPlan {
    readonly application: string;
    readonly changes: readonly Change[];
    /** Repository-relative file path to new content. */
    readonly files: ReadonlyMap<string, Buffer>;
    /**
     * Candidate files the target does not have, and elements a filter selects in the source but not in the
     * target (`values.yaml $.images[?(@.name == 'web')]`): left alone, as Codefresh does.
     */
    readonly missing: readonly string[];
}

/**
 * What planning reads from a repository (a {@link Repository}, or a fake in tests), and where it keeps what
 * it planned (see planMemo.ts; a fake may keep nothing).
 */
export type RepositoryFiles = Pick<Repository, "url" | "readFile" | "readFiles" | "listFiles" | "symlinks"> &
    Partial<Pick<Repository, "planMemo">>;

const join = (dir: string, file: string) =>
    path.posix.normalize(path.posix.join(dir === "." ? "" : dir, file));

/**
 * `file` joined to the application's path, refusing a path that leaves it (`../secret.yaml`, `/etc/passwd`):
 * a template names files inside the application's directory.
 */
function inside(application: { name: string; path: string }, file: string, what: string): string {
    const normalized = path.posix.normalize(file);
    if (
        file === "" ||
        path.posix.isAbsolute(file) ||
        /^[A-Za-z]:[\\/]/.test(file) ||
        normalized === "." ||
        normalized === ".." ||
        normalized.startsWith("../")
    ) {
        throw new InvalidInputError(
            `${entityName("Application", application.name)}: ${what} ${JSON.stringify(file)} is outside the ` +
                `application's path ${JSON.stringify(application.path)}; name files relative to the ` +
                `application's directory, inside it (e.g. values.yaml or env/values.yaml)`,
            { entity: entityName("Application", application.name), path: file },
        );
    }
    return join(application.path, normalized);
}

function symlinkRefused(application: string, file: string, side: "source" | "target"): InvalidInputError {
    return new InvalidInputError(
        `${entityName("Application", application)}: ${file} is a symbolic link in the ${side}; promotion ` +
            `does not follow or replace links: make it a regular file, or leave it out of the template ` +
            `(list the file the link points to instead)`,
        { entity: entityName("Application", application), path: file },
    );
}

/** Runs `fn`, naming the application and the file in a refusal (an invalid file, JSONPath or edit). */
function about<T>(application: string, file: string, fn: () => T): T {
    try {
        return fn();
    } catch (e) {
        if (!(e instanceof PromotionError) || e.entity !== undefined) {
            throw e;
        }
        const entity = entityName("Application", application);
        const named = e.message.includes(file) ? e.message : `${file}: ${e.message}`;
        throw new InvalidInputError(`${entity}: ${named}`, { entity, path: file, cause: e });
    }
}

/** Reads the candidate from the source application's files at `commit`. */
export async function readCandidate(
    repo: RepositoryFiles,
    commit: string,
    source: { application: string; path: string },
    template: TemplateBody,
): Promise<ReleaseCandidate> {
    const app = { name: source.application, path: source.path };
    const files: CandidateFile[] = [];
    if (template.promotion) {
        const specs = Object.entries(template.promotion)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([file, spec]) => ({ file, spec, full: inside(app, file, "promotion file") }));
        const links = await repo.symlinks(
            commit,
            specs.map((s) => s.full),
        );
        for (const { file, spec, full } of specs) {
            if (links.has(full)) {
                throw symlinkRefused(source.application, full, "source");
            }
            const bytes = await repo.readFile(commit, full);
            if (bytes === undefined) {
                continue; // a file the source application does not have: nothing to promote from it
            }
            const entries = about(source.application, full, () =>
                promotedEntries(decodeText(bytes, full), full, spec),
            );
            files.push({ file, entries });
        }
    } else {
        const prefix = source.path === "." ? "" : `${source.path.replace(/\/$/, "")}/`;
        const listed = await repo.listFiles(commit, source.path);
        const links = await repo.symlinks(commit, [source.path]);
        for (const full of listed) {
            if (links.has(full)) {
                throw symlinkRefused(source.application, full, "source");
            }
            const content = await repo.readFile(commit, full);
            if (content !== undefined) {
                files.push({ file: full.slice(prefix.length), content: content.toString("base64") });
            }
        }
    }
    let version: string | undefined;
    if (template.versionSource) {
        const { file, jsonPath } = template.versionSource;
        const full = inside(app, file, "versionSource file");
        if ((await repo.symlinks(commit, [full])).has(full)) {
            throw symlinkRefused(source.application, full, "source");
        }
        const bytes = await repo.readFile(commit, full);
        version =
            bytes === undefined
                ? undefined
                : about(source.application, full, () => readVersion(decodeText(bytes, full), full, jsonPath));
    }
    return {
        sourceApplication: source.application,
        sourceRepoURL: repo.url,
        sourcePath: source.path,
        sourceCommit: commit,
        ...(version !== undefined ? { version } : {}),
        files,
    };
}

/** The repository paths planning `candidate` into `application` reads (one per candidate file). */
export function targetFiles(
    application: { name: string; path: string },
    candidate: Pick<ReleaseCandidate, "files">,
): string[] {
    return candidate.files.map((cf) => inside(application, cf.file, "promoted file"));
}

/** What writing `candidate` into the application at `appPath`, as of `commit`, changes. */
export async function planApplication(
    repo: RepositoryFiles,
    commit: string,
    application: { name: string; path: string },
    candidate: Pick<ReleaseCandidate, "files">,
): Promise<ApplicationPlan> {
    const changes: Change[] = [];
    const files = new Map<string, Buffer>();
    const missing: string[] = [];
    const targets = targetFiles(application, candidate);
    const current = await repo.readFiles(commit, targets);
    const links = await repo.symlinks(commit, targets);
    const memo = repo.planMemo?.();
    candidate.files.forEach((cf, i) => {
        const target = targets[i];
        if (links.has(target)) {
            throw symlinkRefused(application.name, target, "target");
        }
        const before = current.get(target);
        if (cf.content !== undefined) {
            const after = Buffer.from(cf.content, "base64");
            if (before === undefined || !before.equals(after)) {
                files.set(target, after);
                changes.push({
                    file: cf.file,
                    path: "$",
                    from: before === undefined ? null : `${before.length} bytes`,
                    to: `${after.length} bytes`,
                });
            }
            return;
        }
        if (before === undefined) {
            missing.push(cf.file);
            return;
        }
        about(application.name, target, () => {
            const entries = cf.entries ?? [];
            const key = memo ? planKey(target, entries, before) : undefined;
            let plan = key === undefined ? undefined : memo?.get(key);
            if (!plan) {
                plan = planFile(before, entries, target);
                if (key !== undefined) {
                    memo?.set(key, plan);
                }
            }
            missing.push(...plan.missing.map((m) => `${cf.file} ${m}`));
            for (const c of plan.changes) {
                changes.push({ file: cf.file, ...c });
            }
            if (plan.splice) {
                files.set(target, applySplice(before, plan.splice));
            }
        });
    });
    return { application: application.name, changes, files, missing };
}

/**
 * Planning `entries` into one file whose bytes are `before`: the values that differ, those the file lacks, and
 * the edit (made, read back and checked by the editor).
 */
function planFile(before: Buffer, entries: readonly ValueEntry[], target: string): FilePlan {
    const doc = readDocument(decodeText(before, target), target);
    const placed = locateEntries(entries, doc, target);
    const differing = placed.located.filter((e) => !isDeepStrictEqual(lookup(doc, e.path), e.value));
    if (differing.length === 0) {
        return { changes: [], missing: placed.missing };
    }
    return {
        changes: differing.map((e) => ({
            path: formatPath(e.path),
            from: lookup(doc, e.path) ?? null,
            to: e.value,
        })),
        missing: placed.missing,
        splice: spliceOf(before, applyEntriesToBytes(before, differing, target)),
    };
}

/** All plans' file changes as one commit's worth (a repository branch can hold several applications). */
export function mergeFileChanges(plans: readonly ApplicationPlan[]): FileChanges {
    const merged = new Map<string, Buffer | null>();
    for (const p of plans) {
        for (const [file, content] of p.files) {
            merged.set(file, content);
        }
    }
    return merged;
}
