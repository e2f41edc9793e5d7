import * as os from "os";
import { setTimeout as sleep } from "node:timers/promises";
import { activeReleaseStatuses, finalReleaseStatuses } from "../../model/status";
import type { ReleaseOwner, ReleaseRecord } from "../record/releaseRecord";
import { closeEnvironments } from "./releaseState";
import type { ReleaseStore } from "../store/releaseStore";
import { processAlive } from "../../provider/dirLock";

const now = () => new Date().toISOString();

/** This process, as the owner of the releases it runs. */
export const thisProcess: ReleaseOwner = { host: os.hostname(), pid: process.pid };

/** How often a Running release writes its heartbeat (by default), and how many missed beats mean dead. */
export const heartbeatMs = 30_000;
export const heartbeatsMissed = 6;
export const heartbeatDeadMs = heartbeatsMissed * heartbeatMs;

/**
 * Whether the process running a release is still there: by pid on this host. On another host: a Running
 * (or Terminating, or Suspended while its process waits) release by its heartbeat (a release whose last heartbeat,
 * or start, is older than {@link heartbeatsMissed} of its owner's heartbeat intervals, 3 minutes by default, is
 * dead; a Suspended release without an owner waits for a resume and is not dead, DESIGN.md 3a); a Queued one until
 * the flow timeout (plus a margin) has long passed.
 */
export function ownerAlive(r: ReleaseRecord, at: number = Date.now()): boolean {
    if (!r.owner) {
        return false;
    }
    if (r.owner.host !== thisProcess.host) {
        // A release waiting inside its process (approval, window, soak) beats as a running one does: a host
        // lost with it (a pod killed without SIGTERM) is seen as such, and its release taken over.
        if (r.status === "Running" || r.status === "Terminating" || r.status === "Suspended") {
            const deadMs = heartbeatsMissed * (r.owner.heartbeatMs ?? heartbeatMs);
            return at - Date.parse(r.heartbeatAt ?? r.startedAt ?? r.createdAt) < deadMs;
        }
        const started = Date.parse(r.startedAt ?? r.createdAt);
        return at - started < r.plan.timeoutMs + 15 * 60_000;
    }
    return processAlive(r.owner.pid);
}

/** Queued and created before `b` (ties by id): the order releases of a product take their turns in. */
export function earlier(a: ReleaseRecord, b: ReleaseRecord): boolean {
    return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);
}

/** A release that will not run again: its open environments closed, its status and error set. */
export function finished(r: ReleaseRecord, status: "Terminated" | "Failed", error?: string): ReleaseRecord {
    return {
        ...r,
        status,
        finishedAt: now(),
        ...(error ? { error } : {}),
        environments: closeEnvironments(r.environments, status),
    };
}

/** How to reach the product's records and stack lock from the queue. */
export interface QueueOptions {
    readonly store: ReleaseStore;
    /** Clears the promote stack's lock left by a killed `pulumi` (its owner confirmed dead). */
    readonly clearStaleLock: () => Promise<void>;
    readonly pollIntervalMs: number;
    /** Told once when the release starts waiting, with the releases ahead of it. */
    readonly onWaiting?: (releaseId: string, behind: readonly string[]) => void;
}

/**
 * One product's turn-taking across processes sharing a backend (concurrency `queue`: one active release at
 * a time, later ones wait as Queued in creation order; `terminate`: a new release terminates the active
 * ones). Releases whose process died are marked Failed on the way (retry resumes them), and the stale lock
 * they left is cleared.
 */
export class ReleaseQueue {
    constructor(private readonly opts: QueueOptions) {}

    /** Waits for the release's turn; true when it had to wait. */
    async waitForTurn(record: ReleaseRecord): Promise<boolean> {
        const { store } = this.opts;
        let announced = record.status === "Queued";
        for (;;) {
            const blockers: ReleaseRecord[] = [];
            let staleFound = false;
            for (const r of await store.live()) {
                if (r.id === record.id || finalReleaseStatuses.has(r.status)) {
                    continue;
                }
                // A Suspended release without a process is not dead: it waits for a resume (DESIGN 3a).
                if (!ownerAlive(r) && r.status !== "Suspended") {
                    await store.put(
                        finished(
                            r,
                            r.status === "Terminating" ? "Terminated" : "Failed",
                            `the process running it (pid ${r.owner?.pid} on ${r.owner?.host}) stopped; 'promote retry ${r.id}' resumes it`,
                        ),
                    );
                    staleFound = true;
                    continue;
                }
                if (activeReleaseStatuses.has(r.status) || (r.status === "Queued" && earlier(r, record))) {
                    blockers.push(r);
                }
            }
            if (staleFound) {
                await this.opts.clearStaleLock();
            }
            if (blockers.length === 0) {
                return announced;
            }
            if (record.plan.concurrency === "terminate") {
                const why = `terminated by release ${record.id} (concurrency: terminate)`;
                for (const b of blockers.filter((x) => x.status !== "Terminating")) {
                    await store.put(
                        b.status === "Queued"
                            ? finished(b, "Terminated", why)
                            : { ...b, status: "Terminating", error: why },
                    );
                }
            }
            if (!announced) {
                if (record.status !== "Queued" || record.attempts > 0) {
                    await store.put({ ...record, status: "Queued" });
                }
                this.opts.onWaiting?.(
                    record.id,
                    blockers.map((b) => b.id),
                );
                announced = true;
            }
            await sleep(this.opts.pollIntervalMs);
        }
    }

    /** Two processes may both have found the product free: the later one steps back (true) and queues. */
    async rivalAhead(record: ReleaseRecord): Promise<boolean> {
        return (await this.opts.store.live()).some(
            (r) =>
                r.id !== record.id &&
                activeReleaseStatuses.has(r.status) &&
                ownerAlive(r) &&
                earlier(r, record),
        );
    }

    /**
     * Watches the record of a running release for a Terminating written by someone asking it to stop; calls
     * `onTerminate` with the reason once. Returns a function that stops watching.
     */
    watchForTerminate(id: string, onTerminate: (reason: string) => void): () => Promise<void> {
        const controller = new AbortController();
        const done = (async () => {
            try {
                for (;;) {
                    await sleep(this.opts.pollIntervalMs, undefined, { signal: controller.signal });
                    const current = await this.opts.store.get(id).catch(() => undefined);
                    if (current?.status === "Terminating") {
                        onTerminate(current.error ?? "terminated by user");
                        return;
                    }
                }
            } catch {
                // stopped
            }
        })();
        return async () => {
            controller.abort();
            await done;
        };
    }

    /** Asks a release to stop: a Queued one (or one whose process died) ends at once; a running one when its process sees it. */
    async terminate(record: ReleaseRecord): Promise<ReleaseRecord> {
        const { store } = this.opts;
        if (finalReleaseStatuses.has(record.status)) {
            return record;
        }
        if (record.status === "Queued" || !ownerAlive(record)) {
            const done = finished(record, "Terminated", "terminated by user");
            await store.put(done);
            return done;
        }
        const terminating: ReleaseRecord = { ...record, status: "Terminating", error: "terminated by user" };
        await store.put(terminating);
        const deadline = Date.now() + 10 * 60_000;
        while (Date.now() < deadline) {
            await sleep(this.opts.pollIntervalMs);
            const current = await store.get(record.id);
            if (!current || finalReleaseStatuses.has(current.status)) {
                return current ?? terminating;
            }
            if (!ownerAlive(current)) {
                const done = finished(current, "Terminated", "terminated by user");
                await store.put(done);
                return done;
            }
        }
        return (await store.get(record.id)) ?? terminating;
    }
}
