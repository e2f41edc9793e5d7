import { EnvironmentError } from "../../model/errors";
import { redactDeep } from "../../model/redact";
import { finalReleaseStatuses } from "../../model/status";
import type { ApprovalDecision } from "../record/approvalState";
import { decisionConflict, decisionRefusal, keepDecisions, withDecision } from "../governance/approvals";
import type { Hold } from "../governance/holds";
import type { ReleaseRecord } from "../record/releaseRecord";
import type { KvStore } from "./kv";

/**
 * Every release of one product, in the coordination store (engine/store/): one document per release, written
 * with compare-and-set, so concurrent writers never overwrite each other's changes (a decision, a Terminating
 * asked by someone else) and a write of an attempt that was taken over is refused (fencing, see
 * {@link fenced}).
 *
 * Keys, for product P (each word escaped by {@link word}):
 * - `releases/P/r/<id, inverted>`: the record. Ids sort by creation time; inverted (see {@link newestFirstKey})
 *   they list newest first, so a page of 50 reads 50 documents whatever the number stored.
 * - `releases/P/live/<id>`: present while the release is not over (the queue reads these, not every record).
 * - `releases/P/holds/<environment>`, `releases/P/cursors/<application>`.
 *
 * A release costs one document at rest (its live marker is removed when it ends); nothing is removed but by
 * {@link ReleaseStore.prune}.
 */
export class ReleaseStore {
    /** Releases this process knows have their live marker. */
    private readonly marked = new Set<string>();
    private readonly base: string;

    private readied?: Promise<void>;

    /**
     * `before`: run once before the first read or write (the copy of a product's records from the stacks of
     * earlier versions: engine/store/migrate.ts).
     */
    constructor(
        private readonly store: KvStore,
        readonly product: string,
        private readonly before?: () => Promise<void>,
    ) {
        this.base = `releases/${word(product)}`;
    }

    /** The store, once `before` has run (a failed `before` is tried again on the next call). */
    private async kv(): Promise<KvStore> {
        this.readied ??= (this.before?.() ?? Promise.resolve()).catch((e: unknown) => {
            this.readied = undefined;
            throw e;
        });
        await this.readied;
        return this.store;
    }

    private recordKey(id: string): string {
        return `${this.base}/r/${newestFirstKey(id)}`;
    }

    private liveKey(id: string): string {
        return `${this.base}/live/${word(id)}`;
    }

    /**
     * Writes (creates or replaces) one record, keeping the decisions stored meanwhile by whoever decides (see
     * keepDecisions). Every string passes through the one redactor first, here, where every secret the
     * process holds is known: none reaches the store. Refused (EnvironmentError) when a newer attempt of the
     * release took it over, or it ended and this is an older attempt's write ({@link fenced}).
     */
    async put(record: ReleaseRecord): Promise<void> {
        const kv = await this.kv();
        const over = finalReleaseStatuses.has(record.status);
        if (!over && !this.marked.has(record.id)) {
            // The marker before the record: a release the queue cannot see never runs.
            await kv.put(this.liveKey(record.id), { createdAt: record.createdAt }, { ifAbsent: true });
            this.marked.add(record.id);
        }
        const key = this.recordKey(record.id);
        for (;;) {
            const stored = await kv.get<ReleaseRecord>(key);
            const refusal = stored && fenced(stored.value, record);
            if (refusal) {
                throw new EnvironmentError(refusal);
            }
            const value = redacted(keepDecisions(record, stored?.value));
            if (await kv.put(key, value, stored ? { ifVersion: stored.version } : { ifAbsent: true })) {
                break;
            }
        }
        if (over) {
            await kv.delete(this.liveKey(record.id));
            this.marked.delete(record.id);
        }
    }

    /**
     * Records one decision on an environment's approval, checked against the record as stored and written only
     * if it is still that record (compare-and-set, across processes and hosts): when the gate was decided,
     * expired, or the same person decided meanwhile, nothing is written and `conflict` says what happened.
     */
    async decide(
        read: ReleaseRecord,
        environment: string,
        decision: ApprovalDecision,
    ): Promise<DecisionWrite> {
        const kv = await this.kv();
        const key = this.recordKey(read.id);
        for (;;) {
            const stored = await kv.get<ReleaseRecord>(key);
            const current = stored?.value ?? read;
            const conflict = lateDecision(current, environment, decision);
            if (conflict !== undefined) {
                return { record: current, conflict };
            }
            const record = redacted(withDecision(current, environment, redacted(decision)));
            if (await kv.put(key, record, stored ? { ifVersion: stored.version } : { ifAbsent: true })) {
                return { record };
            }
        }
    }

    async get(id: string): Promise<ReleaseRecord | undefined> {
        const kv = await this.kv();
        return (await kv.get<ReleaseRecord>(this.recordKey(id)))?.value;
    }

    /** Records where the trigger watcher stopped for an application (its last handled commit). */
    async putCursor(application: string, sha: string): Promise<void> {
        const kv = await this.kv();
        await kv.put(`${this.base}/cursors/${word(application)}`, { sha });
    }

    /** The last commit the trigger watcher handled for an application, if it ever ran. */
    async getCursor(application: string): Promise<string | undefined> {
        const kv = await this.kv();
        return (await kv.get<{ sha: string }>(`${this.base}/cursors/${word(application)}`))?.value.sha;
    }

    /** Writes (creates or replaces) the hold of one environment: placed (`active`) or released. */
    async putHold(hold: Hold): Promise<void> {
        const kv = await this.kv();
        await kv.put(`${this.base}/holds/${word(hold.environment)}`, redacted(hold));
    }

    /** Every hold of the product, active or released, by environment name. */
    async holds(): Promise<Hold[]> {
        const kv = await this.kv();
        const keys = await kv.list(`${this.base}/holds/`);
        const holds = await Promise.all(keys.map(async (k) => (await kv.get<Hold>(k))?.value));
        return holds
            .filter((h): h is Hold => h !== undefined)
            .sort((a, b) => (a.environment < b.environment ? -1 : 1));
    }

    /** Every release not over yet, newest first (the queue reads these). */
    async live(): Promise<ReleaseRecord[]> {
        const kv = await this.kv();
        const ids = (await kv.list(`${this.base}/live/`)).map((k) => unword(k.slice(k.lastIndexOf("/") + 1)));
        const records = await Promise.all(ids.map((id) => this.get(id)));
        const live: ReleaseRecord[] = [];
        for (const [i, r] of records.entries()) {
            if (r !== undefined && !finalReleaseStatuses.has(r.status)) {
                live.push(r);
            } else if (r !== undefined) {
                // Its writer ended it and stopped before removing the marker.
                await kv.delete(this.liveKey(ids[i])).catch(() => undefined);
            }
        }
        return live.sort(newestFirst);
    }

    /** Every record, newest first. */
    list(): Promise<ReleaseRecord[]> {
        return this.page({ limit: Number.POSITIVE_INFINITY });
    }

    /**
     * Up to `limit` records matching `where`, newest first, reading the store a batch of keys at a time: a page
     * of 50 reads about 50 documents, whatever the number stored.
     */
    async page(q: {
        readonly limit: number;
        readonly where?: (r: ReleaseRecord) => boolean;
    }): Promise<ReleaseRecord[]> {
        const kv = await this.kv();
        const prefix = `${this.base}/r/`;
        const taken: ReleaseRecord[] = [];
        let after: string | undefined;
        for (;;) {
            const batch = Math.min(500, Math.max(50, q.limit - taken.length));
            const keys = await kv.list(prefix, { ...(after ? { after } : {}), limit: batch });
            const records = await inBatches(keys, 32, async (k) => (await kv.get<ReleaseRecord>(k))?.value);
            for (const r of records) {
                if (r !== undefined && (q.where?.(r) ?? true)) {
                    taken.push(r);
                }
            }
            if (keys.length < batch || taken.length >= q.limit) {
                return taken.sort(newestFirst).slice(0, q.limit);
            }
            after = keys[keys.length - 1];
        }
    }

    /**
     * Removes the records beyond what `keep` keeps (the newest `count`, or those newer than `maxAgeMs`); a
     * release not over is never removed. Returns what it removed, or with `dryRun` what it would remove, as
     * one batch (the oldest and newest removed).
     */
    async prune(keep: Keep, dryRun: boolean, now: Date = new Date()): Promise<PrunedPage[]> {
        const kv = await this.kv();
        const prefix = `${this.base}/r/`;
        const keys = await kv.list(prefix);
        const cutoff = "maxAgeMs" in keep ? new Date(now.getTime() - keep.maxAgeMs).toISOString() : undefined;
        const doomed: ReleaseRecord[] = [];
        for (const [i, key] of keys.entries()) {
            if ("count" in keep && i < keep.count) {
                continue;
            }
            const r = (await kv.get<ReleaseRecord>(key))?.value;
            if (r === undefined || !finalReleaseStatuses.has(r.status) || (cutoff && r.createdAt >= cutoff)) {
                continue;
            }
            doomed.push(r);
            if (!dryRun) {
                await kv.delete(key);
            }
        }
        if (doomed.length === 0) {
            return [];
        }
        const dates = doomed.map((r) => r.createdAt).sort();
        return [
            { name: this.product, records: doomed.length, oldest: dates[0], newest: dates[dates.length - 1] },
        ];
    }
}

/**
 * Why `incoming` may not replace `stored` (undefined when it may): an attempt's writes stop once a newer
 * attempt of the release took it over (a process that lost its turn, a retry elsewhere), and an ended
 * release is reopened only by a newer attempt. Writes of others on the release (a decision, a Terminating,
 * the queue ending a dead one) carry the attempt they read.
 */
export function fenced(stored: ReleaseRecord, incoming: ReleaseRecord): string | undefined {
    const who = (r: ReleaseRecord) => (r.owner ? `pid ${r.owner.pid} on ${r.owner.host}` : "no process");
    if (stored.attempts > incoming.attempts) {
        return `release ${stored.id}: attempt ${incoming.attempts} (${who(incoming)}) was taken over by attempt ${stored.attempts} (${who(stored)}); its write is refused, the newer attempt's record stands`;
    }
    if (
        finalReleaseStatuses.has(stored.status) &&
        !finalReleaseStatuses.has(incoming.status) &&
        stored.attempts === incoming.attempts
    ) {
        return `release ${stored.id} ended ${stored.status} (${stored.error ?? "no error"}) while attempt ${incoming.attempts} (${who(incoming)}) still ran: its write is refused; 'promote retry ${stored.id}' resumes the release`;
    }
    return undefined;
}

/** A value as stored: a plain copy with every secret the process knows replaced. */
function redacted<T>(value: T): T {
    return redactDeep(JSON.parse(JSON.stringify(value)) as T);
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

/** What `prune` keeps: the newest `count` releases at least, or every release newer than `maxAgeMs`. */
export type Keep = { readonly count: number } | { readonly maxAgeMs: number };

/** What `prune` removed (or would): how many records, and the creation times of the oldest and newest. */
export interface PrunedPage {
    readonly name: string;
    readonly records: number;
    readonly oldest: string;
    readonly newest: string;
}

/** Newest first: by creation time, then id. */
export function newestFirst(a: ReleaseRecord, b: ReleaseRecord): number {
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

/**
 * A key word for a name: letters, digits, `.`, `_` and `-` as they are, anything else as `~` and its code
 * point in hex then `~` (names of products, environments and applications are plain; this keeps any other
 * one a distinct, valid key).
 */
export function word(name: string): string {
    const w = name.replace(/[^A-Za-z0-9._-]/gu, (c) => `_x${c.codePointAt(0)!.toString(16)}_`);
    return /^\.+$/.test(w) ? w.replace(/\./g, "_x2e_") : w;
}

function unword(w: string): string {
    return w.replace(/_x([0-9a-f]+)_/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)));
}

/** The characters of a key word, in byte order. */
const keyAlphabet = "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/**
 * A release id as a key that sorts newest first: each character replaced by its mirror in {@link keyAlphabet}
 * (the first by the last, ...), which reverses the byte order of ids of one length (ids are `r` + UTC time + a
 * random suffix, so ascending keys are descending ids).
 */
export function newestFirstKey(id: string): string {
    return [...word(id)].map((c) => keyAlphabet[keyAlphabet.length - 1 - keyAlphabet.indexOf(c)]).join("");
}

/** `fn` over `items`, at most `width` at a time, results in order. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += width) {
        out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
    }
    return out;
}
