import type { ProgressEvent } from "../engine/promoteEngine";
import type { EnvironmentRecord, ReleaseRecord } from "../engine/record/releaseRecord";
import type { EnvironmentStatus, ReleaseStatus } from "../model/status";

/**
 * The stream of GET /api/v1/events: a `release` event when a release appears or changes status, an
 * `environment` event when one of its environments does, each naming its release. Releases this server runs
 * report through the engine's progress; the records are also polled, for releases run by other processes
 * (the CLI, another server), and the two are de-duplicated by the last status seen.
 */
export type ServerEvent =
    | {
          readonly type: "release";
          readonly data: {
              readonly release: string;
              readonly product: string;
              readonly flow: string;
              readonly status: ReleaseStatus;
              readonly version?: string;
              readonly error?: string;
          };
      }
    | {
          readonly type: "environment";
          readonly data: {
              readonly release: string;
              readonly product?: string;
              readonly environment: string;
              readonly status: EnvironmentStatus;
              readonly error?: string;
          };
      };

/** The last status seen of each release and each of its environments. */
export type Seen = Map<
    string,
    { status: ReleaseStatus; product: string; environments: Map<string, EnvironmentStatus> }
>;

function releaseEvent(r: ReleaseRecord): ServerEvent {
    return {
        type: "release",
        data: {
            release: r.id,
            product: r.product,
            flow: r.flow,
            status: r.status,
            ...(r.version !== undefined ? { version: r.version } : {}),
            ...(r.error !== undefined ? { error: r.error } : {}),
        },
    };
}

function environmentEvent(release: string, product: string | undefined, e: EnvironmentRecord): ServerEvent {
    return {
        type: "environment",
        data: {
            release,
            ...(product !== undefined ? { product } : {}),
            environment: e.name,
            status: e.status,
            ...(e.error !== undefined ? { error: e.error } : {}),
        },
    };
}

/** The events that turn `seen` into `records` (environments first, then the release); updates `seen`. */
export function changes(seen: Seen, records: readonly ReleaseRecord[]): ServerEvent[] {
    const out: ServerEvent[] = [];
    for (const r of records) {
        out.push(...environmentChanges(seen, r.id, r.product, r.environments));
        const before = seen.get(r.id);
        if (before === undefined) {
            seen.set(r.id, {
                status: r.status,
                product: r.product,
                environments: new Map(r.environments.map((e) => [e.name, e.status])),
            });
            out.push(releaseEvent(r));
        } else if (before.status !== r.status) {
            before.status = r.status;
            out.push(releaseEvent(r));
        }
    }
    return out;
}

function environmentChanges(
    seen: Seen,
    release: string,
    product: string | undefined,
    environments: readonly EnvironmentRecord[],
): ServerEvent[] {
    const known = seen.get(release);
    if (known === undefined) {
        return [];
    }
    const out: ServerEvent[] = [];
    for (const e of environments) {
        if (known.environments.get(e.name) !== e.status) {
            known.environments.set(e.name, e.status);
            out.push(environmentEvent(release, product ?? known.product, e));
        }
    }
    return out;
}

/** The events of one engine progress report (updates `seen`). */
export function progressChanges(seen: Seen, e: ProgressEvent): ServerEvent[] {
    switch (e.type) {
        case "release":
            return changes(seen, [e.release]);
        case "environment":
            return environmentChanges(seen, e.releaseId, undefined, [e.environment]);
        case "waiting":
            return [];
    }
}

export interface ReleaseEventsOptions {
    /** Every release of every product (the records as stored). */
    readonly list: () => Promise<readonly ReleaseRecord[]>;
    /** How often the records are polled while someone listens (ms). */
    readonly pollMs: number;
    readonly onError?: (e: unknown) => void;
}

type Listener = (event: ServerEvent) => void;

/** Fans events out to the open streams; polls the records while at least one is open. */
export class ReleaseEvents {
    private readonly seen: Seen = new Map();
    private readonly listeners = new Set<Listener>();
    private timer?: NodeJS.Timeout;
    private polling?: Promise<void>;
    private baseline = false;
    private pollers = 0;
    private closed = false;

    constructor(private readonly opts: ReleaseEventsOptions) {}

    /** How many listen now (each open event stream is one). */
    get listening(): number {
        return this.listeners.size;
    }

    /** The engine's progress callback. */
    readonly progress = (e: ProgressEvent): void => {
        this.emit(progressChanges(this.seen, e));
    };

    /**
     * Listens until the returned function is called. With `poll` (the event stream) the records are polled
     * while it listens; without, only this server's own progress is heard.
     */
    subscribe(listener: Listener, poll = true): () => void {
        this.listeners.add(listener);
        if (poll) {
            this.pollers += 1;
        }
        if (poll && this.timer === undefined && !this.closed) {
            this.schedule(0);
        }
        return () => {
            if (!this.listeners.delete(listener)) {
                return;
            }
            this.pollers -= poll ? 1 : 0;
            if (this.pollers === 0 && this.timer !== undefined) {
                clearTimeout(this.timer);
                this.timer = undefined;
            }
        };
    }

    /** One poll of the records now (tests; the timer calls it too). */
    async poll(): Promise<void> {
        this.polling ??= (async () => {
            try {
                const found = changes(this.seen, await this.opts.list());
                // The first poll only learns what exists: history is not news.
                if (this.baseline) {
                    this.emit(found);
                }
                this.baseline = true;
            } catch (e) {
                this.opts.onError?.(e);
            } finally {
                this.polling = undefined;
            }
        })();
        return this.polling;
    }

    async close(): Promise<void> {
        this.closed = true;
        clearTimeout(this.timer);
        this.timer = undefined;
        this.listeners.clear();
        await this.polling;
    }

    private schedule(ms: number): void {
        this.timer = setTimeout(() => {
            void this.poll().then(() => {
                if (this.pollers > 0 && !this.closed) {
                    this.schedule(this.opts.pollMs);
                } else {
                    this.timer = undefined;
                }
            });
        }, ms);
        this.timer.unref();
    }

    private emit(events: readonly ServerEvent[]): void {
        for (const e of events) {
            for (const l of this.listeners) {
                l(e);
            }
        }
    }
}
