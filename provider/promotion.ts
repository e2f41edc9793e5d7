import * as path from "path";
import { isDeepStrictEqual } from "util";
import type { TemplateBody } from "../components/promotionTemplate";
import type { ValueEntry } from "./yaml/documentEditor";
import { applyEntries, lookup, readDocument } from "./yaml/documentEditor";
import { formatPath } from "../model/jsonPath";
import { promotedEntries, readVersion } from "./yaml/promotedValues";
import type { FileChanges, Repository } from "./git/repository";

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
    /** Candidate files the target does not have (left alone, as Codefresh does). */
    readonly missing: readonly string[];
}

const join = (dir: string, file: string) =>
    path.posix.normalize(path.posix.join(dir === "." ? "" : dir, file));

/** Reads the candidate from the source application's files at `commit`. */
export async function readCandidate(
    repo: Repository,
    commit: string,
    source: { application: string; path: string },
    template: TemplateBody,
): Promise<ReleaseCandidate> {
    const files: CandidateFile[] = [];
    if (template.promotion) {
        for (const [file, spec] of Object.entries(template.promotion).sort(([a], [b]) => (a < b ? -1 : 1))) {
            const text = await repo.readFile(commit, join(source.path, file));
            if (text === undefined) {
                continue; // a file the source application does not have: nothing to promote from it
            }
            files.push({ file, entries: promotedEntries(text.toString("utf8"), file, spec) });
        }
    } else {
        const prefix = source.path === "." ? "" : `${source.path.replace(/\/$/, "")}/`;
        for (const full of await repo.listFiles(commit, source.path)) {
            const content = await repo.readFile(commit, full);
            if (content !== undefined) {
                files.push({ file: full.slice(prefix.length), content: content.toString("base64") });
            }
        }
    }
    let version: string | undefined;
    if (template.versionSource) {
        const text = await repo.readFile(commit, join(source.path, template.versionSource.file));
        version =
            text === undefined
                ? undefined
                : readVersion(
                      text.toString("utf8"),
                      template.versionSource.file,
                      template.versionSource.jsonPath,
                  );
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

/** What writing `candidate` into the application at `appPath`, as of `commit`, changes. */
export async function planApplication(
    repo: Repository,
    commit: string,
    application: { name: string; path: string },
    candidate: Pick<ReleaseCandidate, "files">,
): Promise<ApplicationPlan> {
    const changes: Change[] = [];
    const files = new Map<string, Buffer>();
    const missing: string[] = [];
    const current = await repo.readFiles(
        commit,
        candidate.files.map((cf) => join(application.path, cf.file)),
    );
    for (const cf of candidate.files) {
        const target = join(application.path, cf.file);
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
            continue;
        }
        if (before === undefined) {
            missing.push(cf.file);
            continue;
        }
        const text = before.toString("utf8");
        const doc = readDocument(text, target);
        const differing = (cf.entries ?? []).filter((e) => !isDeepStrictEqual(lookup(doc, e.path), e.value));
        if (differing.length === 0) {
            continue;
        }
        for (const e of differing) {
            changes.push({
                file: cf.file,
                path: formatPath(e.path),
                from: lookup(doc, e.path) ?? null,
                to: e.value,
            });
        }
        files.set(target, Buffer.from(applyEntries(text, differing, target), "utf8"));
    }
    return { application: application.name, changes, files, missing };
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
