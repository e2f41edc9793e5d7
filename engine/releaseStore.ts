import { spawn } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { redactDeep } from "../model/redact";
import { finalReleaseStatuses } from "../model/status";
import { EnvironmentError } from "../model/errors";
import { inlineUpdate, inlineUpdateRunning } from "./inlineUpdates";
import { tokens } from "../model/tokens";
import type { ApprovalDecision } from "./approvals";
import { decisionConflict, decisionRefusal, keepDecisions, withDecision } from "./approvals";
import type { Hold } from "./holds";
import type { EngineLocation } from "./engineLocator";
import type { ReleaseRecord } from "./releaseRecord";
import type { StoredResource } from "./stateBackend";
import { readStackResources, stackSeen } from "./stateBackend";
import { clearDeadLocks, listStackNames, openStack } from "./workspace";

export const recordsProject = "promotions-releases";
const recordType = "promotions:index:ReleaseRecord";

/**
 * The product's stack keeps every release that is not over and the latest finished ones; when more than
 * `liveFinishedMax` finished releases are there, the oldest `pageSize` move to an archive page, a stack of
 * their own that is written once. A write then rewrites a stack of bounded size, whatever the number of
 * releases already stored (the backend keeps a copy of every checkpoint in its history and backups).
 */
export const liveFinishedMax = 60;
/** How old a lock on a records stack must be to be taken for one a killed writer left, whatever its host. */
export const recordsLockStaleMs = 45_000;
export const pageSize = 50;

/** One release in the records stack: a component whose outputs are the record. */
class ReleaseRecordResource extends pulumi.ComponentResource {
    constructor(name: string, args: { record: ReleaseRecord }) {
        super(recordType, name, args);
        this.registerOutputs({ record: args.record });
    }
}

export interface ReleaseStoreOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly product: string;
    readonly inheritedPath?: string;
    /** When finished records move to archive pages (defaults: {@link liveFinishedMax}, {@link pageSize}). */
    readonly archive?: { readonly liveFinishedMax: number; readonly pageSize: number };
}

const cursorType = "promotions:index:WatchCursor";

/** Where a trigger watcher stopped reading one application's branch. */
class WatchCursorResource extends pulumi.ComponentResource {
    constructor(name: string, args: { sha: string }) {
        super(cursorType, name, args);
        this.registerOutputs({ sha: args.sha });
    }
}

const holdType = tokens.Hold;

/** A hold on one environment (its outputs are the hold; kept with `active: false` once released). */
class HoldResource extends pulumi.ComponentResource {
    constructor(name: string, args: { hold: Hold }) {
        super(holdType, name, args);
        this.registerOutputs({ hold: args.hold });
    }
}

/**
 * A `file://` backend read that met another process's write half done: the blob library Pulumi uses
 * (gocloud.dev fileblob) rewrites a checkpoint's `.attrs` sidecar in place (create, then write), so a reader
 * at that moment decodes an empty file (`failed to load checkpoint: EOF`). Gone a moment later; a damaged
 * file (an `unexpected end of JSON input`) is not this, and is not retried.
 */
function tornRead(e: unknown): boolean {
    return e instanceof CommandError && /failed to load checkpoint: (unexpected )?EOF\b/.test(e.message);
}

/**
 * Retries an update that found the stack locked by another writer (records are written in a second or two),
 * and, a few times, one that met another writer's half-done file (see {@link tornRead}).
 * `clearDead`, when given, is asked each time first: it removes a lock whose `pulumi` process is known dead
 * (a process killed mid-update leaves its lock behind), so the retry goes straight through.
 */
export async function withLockRetry<T>(
    fn: () => Promise<T>,
    o: { readonly timeoutMs?: number; readonly clearDead?: () => Promise<boolean> } = {},
): Promise<T> {
    const deadline = Date.now() + (o.timeoutMs ?? 180_000);
    let torn = 0;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (tornRead(e) && ++torn <= 5) {
                await new Promise((r) => setTimeout(r, 100 * torn));
                continue;
            }
            if (!(e instanceof ConcurrentUpdateError) || Date.now() > deadline) {
                throw e;
            }
            if (await o.clearDead?.().catch(() => false)) {
                continue;
            }
            await new Promise((r) => setTimeout(r, Math.min(2000, 150 * attempt) + Math.random() * 250));
        }
    }
}

/**
 * Every release of one product, kept in the Pulumi backend the user already has: a stack per product in
 * the `promotions-releases` project, one component per release whose outputs hold the record. A write
 * targets only its own release, so concurrent writers never overwrite each other's records; the stack
 * outputs also carry the latest record.
 */
export class ReleaseStore {
    private stack?: Promise<Stack>;

    constructor(private readonly opts: ReleaseStoreOptions) {}

    private open(): Promise<Stack> {
        this.stack ??= openStack({
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            projectName: recordsProject,
            stackName: this.opts.product,
            program: async () => ({}),
            inheritedPath: this.opts.inheritedPath,
        });
        return this.stack;
    }

    /**
     * Clears a lock a killed `pulumi` left on the product's records stack (see withLockRetry): of this host,
     * once its process is gone; of another host, once older than {@link recordsLockStaleMs} (a record write
     * takes a second or two, five at 2,000 applications).
     */
    private readonly clearDead = () =>
        clearDeadLocks(this.opts.backendUrl, recordsProject, this.opts.product, () => this.open(), {
            staleAfterMs: recordsLockStaleMs,
        });

    private urn(id: string): string {
        return `urn:pulumi:${this.opts.product}::${recordsProject}::${recordType}::${id}`;
    }

    /**
     * Writes (creates or replaces) one record. Every string of it (logs, errors, messages) passes through the
     * one redactor first, here, where every secret the process holds is known: none reaches the backend, its
     * history or its backups, nor a writer process.
     */
    put(record: ReleaseRecord): Promise<void> {
        return this.write({ op: "put", record: redacted(record) }).then(() => undefined);
    }

    /**
     * Records one decision on an environment's approval, checked against the record as stored while this
     * write holds the records stack's update lock (Pulumi's, across processes and hosts): when the gate was
     * decided, expired, or the same person decided meanwhile, nothing is written and `conflict` says what
     * happened. `read` is the record the caller checked (used as is where the backend cannot be read directly,
     * see stateBackend.ts; there only one process at a time decides, see {@link oneAtATime}).
     */
    decide(read: ReleaseRecord, environment: string, decision: ApprovalDecision): Promise<DecisionWrite> {
        return oneAtATime(`${this.opts.backendUrl} ${read.id}`, async () => {
            // The decision before this one in this process may have closed the gate: no write needed to say so.
            const current = (await this.get(read.id)) ?? read;
            const late = lateDecision(current, environment, decision);
            if (late !== undefined) {
                return { record: current, conflict: late };
            }
            const w: StoreOp = {
                op: "decide",
                record: redacted(current),
                environment,
                decision: redacted(decision),
            };
            return (
                (await this.write(w)) ?? { record: current, conflict: "the decision's write had no answer" }
            );
        });
    }

    /** Records where the trigger watcher stopped for an application (its last handled commit). */
    putCursor(application: string, sha: string): Promise<void> {
        return this.write({ op: "putCursor", application, sha }).then(() => undefined);
    }

    /** Writes (creates or replaces) the hold of one environment: placed (`active`) or released. */
    putHold(hold: Hold): Promise<void> {
        return this.write({ op: "putHold", hold: redacted(hold) }).then(() => undefined);
    }

    /**
     * A write: here, or, while this process runs another inline update (a release's), from a process of its
     * own (engine/storeWriter.ts), since two inline programs cannot run at once in one process.
     */
    private write(w: StoreOp): Promise<DecisionWrite | void> {
        if (inlineUpdateRunning()) {
            return this.inChild(w);
        }
        return inlineUpdate(() => this.apply(w));
    }

    private inChild(w: StoreOp): Promise<DecisionWrite | void> {
        const { passphrase, ...options } = this.opts;
        return new Promise((resolve, reject) => {
            const child = spawn(process.execPath, [path.join(__dirname, "storeWriter.js")], {
                env: { ...writerEnv(process.env), PULUMI_CONFIG_PASSPHRASE: passphrase },
                stdio: ["pipe", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("error", reject);
            child.on("close", (code) =>
                code === 0
                    ? resolve(answerOf(stdout))
                    : reject(
                          new EnvironmentError(
                              `writing to the records stack of ${this.opts.product} (in a separate process) failed: ${stderr.trim() || `exit ${code}`}`,
                          ),
                      ),
            );
            child.stdin.end(JSON.stringify({ options, ...w } satisfies StoreWrite));
        });
    }

    /** Does one write here (storeWriter.ts calls it in its own process); a decision's answer. */
    async apply(w: StoreOp): Promise<DecisionWrite | void> {
        switch (w.op) {
            case "put":
                return this.putHere(w.record);
            case "decide":
                return this.decideHere(w.record, w.environment, w.decision);
            case "putCursor":
                return this.putCursorHere(w.application, w.sha);
            case "putHold":
                return this.putHoldHere(w.hold);
        }
    }

    /**
     * The record of `id` as stored, read while this process's update holds the stack's lock (so no other
     * writer can change it until this update ends); undefined where the backend cannot be read directly.
     */
    private async underLock(id: string): Promise<ReleaseRecord | undefined> {
        const read = await readStackResources(this.opts.backendUrl, recordsProject, this.opts.product);
        return read === undefined ? undefined : recordsOf(read).find((r) => r.id === id);
    }

    private async putHere(record: ReleaseRecord): Promise<void> {
        const stack = await this.open();
        // Decisions are written by whoever decides, beside the process running the release: a release with an
        // approval gate keeps those recorded since its writer read the record (merged under the lock).
        const gated = record.environments.some((e) => e.approval !== undefined);
        await withLockRetry(
            () =>
                stack.up({
                    program: async () => {
                        const kept = gated ? keepDecisions(record, await this.underLock(record.id)) : record;
                        new ReleaseRecordResource(record.id, { record: kept });
                        return { latest: kept };
                    },
                    target: [this.urn(record.id)],
                }),
            { clearDead: this.clearDead },
        );
        if (finalReleaseStatuses.has(record.status)) {
            await this.archive();
        }
    }

    private async decideHere(
        read: ReleaseRecord,
        environment: string,
        decision: ApprovalDecision,
    ): Promise<DecisionWrite> {
        const stack = await this.open();
        let answer: DecisionWrite = { record: read };
        await withLockRetry(
            () =>
                stack.up({
                    program: async () => {
                        const stored = (await this.underLock(read.id)) ?? read;
                        const conflict = lateDecision(stored, environment, decision);
                        const record = conflict ? stored : withDecision(stored, environment, decision);
                        answer = conflict ? { record, conflict } : { record };
                        // Unchanged on a conflict: the update then writes nothing new.
                        new ReleaseRecordResource(read.id, { record });
                        return { latest: record };
                    },
                    target: [this.urn(read.id)],
                }),
            { clearDead: this.clearDead },
        );
        return answer;
    }

    /**
     * Moves the oldest finished records to an archive page when the product's stack holds too many: the page
     * is written first, then they are removed from the product's stack. A process dying in between leaves a
     * record in both places (readers take the product stack's; the next archive writes it again); another
     * process archiving the same records at once writes the same page (named by its records) and removes
     * the same resources: nothing is lost either way.
     */
    private async archive(): Promise<void> {
        const finishedRecords = (await this.live())
            .filter((r) => finalReleaseStatuses.has(r.status))
            .reverse();
        const limits = this.opts.archive ?? { liveFinishedMax, pageSize };
        if (finishedRecords.length <= limits.liveFinishedMax) {
            return;
        }
        const moving = finishedRecords.slice(0, limits.pageSize);
        const page = await openStack({
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            projectName: recordsProject,
            stackName: pageName(this.opts.product, moving),
            program: async () => ({}),
            inheritedPath: this.opts.inheritedPath,
        });
        await withLockRetry(() =>
            page.up({
                program: async () => {
                    for (const r of moving) {
                        new ReleaseRecordResource(r.id, { record: r });
                    }
                    return {};
                },
            }),
        );
        const stack = await this.open();
        const latest = (await this.live())[0];
        // A targeted update deletes the targeted resources the program no longer declares.
        await withLockRetry(
            () =>
                stack.up({
                    program: async () => (latest ? { latest } : {}),
                    target: moving.map((r) => this.urn(r.id)),
                }),
            { clearDead: this.clearDead },
        );
    }

    private async putCursorHere(application: string, sha: string): Promise<void> {
        const stack = await this.open();
        const name = `cursor.${application}`;
        // The stack outputs keep carrying the latest release.
        const latest = (await this.live())[0];
        await withLockRetry(
            () =>
                stack.up({
                    program: async () => {
                        new WatchCursorResource(name, { sha });
                        return latest ? { latest } : {};
                    },
                    target: [`urn:pulumi:${this.opts.product}::${recordsProject}::${cursorType}::${name}`],
                }),
            { clearDead: this.clearDead },
        );
    }

    private async putHoldHere(hold: Hold): Promise<void> {
        const stack = await this.open();
        const name = `hold.${hold.environment}`;
        const latest = (await this.live())[0];
        await withLockRetry(
            () =>
                stack.up({
                    program: async () => {
                        new HoldResource(name, { hold });
                        return latest ? { latest } : {};
                    },
                    target: [`urn:pulumi:${this.opts.product}::${recordsProject}::${holdType}::${name}`],
                }),
            { clearDead: this.clearDead },
        );
    }

    /** Every hold of the product, active or released, by environment name. */
    async holds(): Promise<Hold[]> {
        return (await this.resources())
            .filter((r) => r.type === holdType && r.outputs?.hold)
            .map((r) => r.outputs!.hold as Hold)
            .sort((a, b) => (a.environment < b.environment ? -1 : 1));
    }

    /** The last commit the trigger watcher handled for an application, if it ever ran. */
    async getCursor(application: string): Promise<string | undefined> {
        const cursor = (await this.resources()).find(
            (r) => r.type === cursorType && r.urn.endsWith(`::cursor.${application}`),
        );
        return cursor?.outputs?.sha as string | undefined;
    }

    /**
     * The records in the product's own stack, newest first: every release not over yet (the queue reads
     * these) and the latest finished ones.
     */
    async live(): Promise<ReleaseRecord[]> {
        return recordsOf(await this.resources()).sort(newestFirst);
    }

    /** Every record, the archive pages' too, newest first. */
    async list(): Promise<ReleaseRecord[]> {
        return this.page({ limit: Number.POSITIVE_INFINITY });
    }

    /**
     * Up to `limit` records matching `where`, newest first: the product's stack first, then archive pages
     * (newest first) only as far as the page needs them.
     */
    async page(q: {
        readonly limit: number;
        readonly where?: (r: ReleaseRecord) => boolean;
    }): Promise<ReleaseRecord[]> {
        const pool = new Map<string, ReleaseRecord>();
        const add = (records: readonly ReleaseRecord[]) => {
            for (const r of records) {
                if (!pool.has(r.id)) {
                    pool.set(r.id, r);
                }
            }
        };
        add(await this.live());
        const pages = await this.pages();
        for (let next = 0; ; next++) {
            const taken = [...pool.values()].filter((r) => q.where?.(r) ?? true).sort(newestFirst);
            const bound = pages[next];
            // Every record of the next page is at most as new as its name says.
            if (!bound || (taken.length >= q.limit && taken[q.limit - 1].createdAt > bound.newest)) {
                return taken.slice(0, q.limit);
            }
            add(await this.readPage(bound.name));
        }
    }

    /**
     * Removes whole archive pages beyond what `keep` asks to keep (see {@link pagesBeyond}); the product's own
     * stack (every release not over, the latest finished ones) is never touched. Returns what it removed, or
     * with `dryRun` what it would remove.
     */
    async prune(keep: Keep, dryRun: boolean, now: Date = new Date()): Promise<PrunedPage[]> {
        const pages: PrunedPage[] = [];
        for (const page of await this.pages()) {
            const records = await this.readPage(page.name);
            const dates = records.map((r) => r.createdAt).sort();
            pages.push({
                name: page.name,
                records: records.length,
                oldest: dates[0] ?? "",
                newest: page.newest,
            });
        }
        const doomed = pagesBeyond((await this.live()).length, pages, keep, now);
        if (!dryRun) {
            const workspace = (await this.open()).workspace;
            for (const page of doomed) {
                await workspace.removeStack(page.name, { force: true });
            }
        }
        return doomed;
    }

    /** The product's archive pages, newest first. */
    private async pages(): Promise<{ name: string; newest: string }[]> {
        const prefix = `${this.opts.product}${pageMark}`;
        const names = await listStackNames(this.opts.backendUrl, recordsProject, () => this.open());
        return names
            .filter((n) => n.startsWith(prefix))
            .map((name) => ({ name, newest: pageNewest(name.slice(prefix.length)) }))
            .sort((a, b) => (a.name < b.name ? 1 : -1));
    }

    private async readPage(name: string): Promise<ReleaseRecord[]> {
        const read = await readStackResources(this.opts.backendUrl, recordsProject, name);
        if (read !== undefined) {
            return recordsOf(read);
        }
        const page = await openStack({
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            projectName: recordsProject,
            stackName: name,
            program: async () => ({}),
            inheritedPath: this.opts.inheritedPath,
        });
        const state = await page.exportStack();
        return recordsOf((state.deployment as { resources?: StoredResource[] }).resources ?? []);
    }

    /**
     * The records stack's resources: read from the backend directly where it can be (`file://`,
     * `postgres://`: see stateBackend.ts), else exported by the engine.
     */
    private async resources(): Promise<StoredResource[]> {
        const read = await readStackResources(this.opts.backendUrl, recordsProject, this.opts.product);
        if (read !== undefined) {
            return read;
        }
        // A product without a records stack has no records: a read must not create one (it writes nothing).
        if ((await stackSeen(this.opts.backendUrl, recordsProject, this.opts.product)) === "absent") {
            return [];
        }
        const stack = await this.open();
        // A stack this just created (a product's first release) is in the backend now: no export.
        const created = await readStackResources(this.opts.backendUrl, recordsProject, this.opts.product);
        if (created !== undefined) {
            return created;
        }
        const state = await stack.exportStack();
        return (state.deployment as { resources?: StoredResource[] }).resources ?? [];
    }

    async get(id: string): Promise<ReleaseRecord | undefined> {
        const live = (await this.live()).find((r) => r.id === id);
        if (live) {
            return live;
        }
        for (const page of await this.pages()) {
            const found = (await this.readPage(page.name)).find((r) => r.id === id);
            if (found) {
                return found;
            }
        }
        return undefined;
    }
}

const pageMark = ".archive-";

/** A writer process's answer: its last line of output (anything a library printed comes before it). */
function answerOf(stdout: string): DecisionWrite | undefined {
    const last = stdout.trim().split("\n").pop();
    return last ? (JSON.parse(last) as DecisionWrite) : undefined;
}

/** A value as stored: a plain copy with every secret the process knows replaced. */
function redacted<T>(value: T): T {
    return redactDeep(JSON.parse(JSON.stringify(value)) as T);
}

/**
 * What a writer process needs of ours: where the Pulumi CLI keeps its files and settings, the locale and temp
 * directory, Node's own settings; not the Git, code-host or workflow tokens (a record reaches it redacted).
 */
function writerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const wanted =
        /^(PATH|HOME|USER|LOGNAME|LANG|LC_\w+|TZ|TMPDIR|XDG_\w+|NODE_OPTIONS|NODE_COMPILE_CACHE|PG\w+|PULUMI_(HOME|SKIP_\w+|DIY_\w+|PROMOTIONS_CACHE))$/;
    return Object.fromEntries(Object.entries(env).filter(([k]) => wanted.test(k)));
}

/**
 * Why a decision checked on an earlier read of the record can no longer be recorded on `stored`: the gate was
 * decided or expired meanwhile, or the record changed so that the gate's rules now refuse it (the same person
 * decided meanwhile, under another name).
 */
function lateDecision(
    stored: ReleaseRecord,
    environment: string,
    decision: ApprovalDecision,
): string | undefined {
    return (
        decisionConflict(stored, environment, decision.decision, Date.parse(decision.at)) ??
        decisionRefusal(stored, { environment, decision: decision.decision, subject: decision })
    );
}

/** A decision's write: the record as stored after it, and why it was not recorded (if it was not). */
export interface DecisionWrite {
    readonly record: ReleaseRecord;
    readonly conflict?: string;
}

const running = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call with the same key in this process has settled: decisions on one release
 * from one process (a `serve` answering many requests) are written one after another even where the
 * backend's stored record cannot be read under the lock.
 */
function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = running.get(key) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    running.set(key, tail);
    void tail.then(() => {
        if (running.get(key) === tail) {
            running.delete(key);
        }
    });
    return mine;
}

/** One write of the store (what storeWriter.ts receives). */
export type StoreOp =
    | { readonly op: "put"; readonly record: ReleaseRecord }
    | {
          readonly op: "decide";
          readonly record: ReleaseRecord;
          readonly environment: string;
          readonly decision: ApprovalDecision;
      }
    | { readonly op: "putCursor"; readonly application: string; readonly sha: string }
    | { readonly op: "putHold"; readonly hold: Hold };
export type StoreWrite = StoreOp & { readonly options: Omit<ReleaseStoreOptions, "passphrase"> };

/** What `prune` keeps: the newest `count` releases at least, or every release newer than `maxAgeMs`. */
export type Keep = { readonly count: number } | { readonly maxAgeMs: number };

export interface PrunedPage {
    readonly name: string;
    readonly records: number;
    readonly oldest: string;
    readonly newest: string;
}

/**
 * The archive pages (newest first) wholly beyond what `keep` keeps: by count, the pages after the newest
 * `count` releases (the product's stack, `live` of them, counts first; a page partly needed is kept whole);
 * by age, the pages whose newest release is older than `maxAgeMs`.
 */
export function pagesBeyond(live: number, pages: readonly PrunedPage[], keep: Keep, now: Date): PrunedPage[] {
    if ("count" in keep) {
        let kept = live;
        return pages.filter((p) => {
            const beyond = kept >= keep.count;
            kept += p.records;
            return beyond;
        });
    }
    const cutoff = new Date(now.getTime() - keep.maxAgeMs).toISOString();
    return pages.filter((p) => p.newest < cutoff);
}

/** Newest first: by creation time, then id. */
function newestFirst(a: ReleaseRecord, b: ReleaseRecord): number {
    return a.createdAt < b.createdAt
        ? 1
        : a.createdAt > b.createdAt
          ? -1
          : a.id < b.id
            ? 1
            : a.id > b.id
              ? -1
              : 0;
}

function recordsOf(resources: readonly StoredResource[]): ReleaseRecord[] {
    return resources
        .filter((r) => r.type === recordType && r.outputs?.record)
        .map((r) => r.outputs!.record as ReleaseRecord);
}

/**
 * An archive page's stack name: the product, the newest creation time among its records (so names sort by
 * age and a reader knows how new a page is without opening it) and its oldest record's id (so two processes
 * archiving the same records write the same page).
 */
export function pageName(product: string, records: readonly ReleaseRecord[]): string {
    const newest = records.reduce((m, r) => (r.createdAt > m ? r.createdAt : m), "");
    const stamp = newest.replace(/[-:]/g, "").replace(/\.(\d+)Z$/, "$1Z");
    return `${product}${pageMark}${stamp}-${records[0].id.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** The newest creation time a page name carries, as an ISO string (`pageName` in reverse). */
function pageNewest(rest: string): string {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(rest);
    return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : "9999";
}
