/**
 * Outbound notifications (PromotionNotification): release and environment events posted as CloudEvents 1.0
 * structured JSON, signed with HMAC-SHA256 of the raw body (`X-Promotions-Signature-256: sha256=<hex>`, GitHub's
 * convention), retried with exponential backoff and full jitter, one bounded queue per notification. Nothing
 * here can block or fail a release: a delivery that never succeeds is a warning line, nothing more. Events
 * go only to public addresses unless the notification sets `allowPrivateNetworks` (signed release details must
 * not reach this machine's or its network's services, nor the cloud metadata endpoint), and a redirect is a
 * failure, never followed. A process that exits bounds its wait with {@link Notifier.settle}.
 *
 * The engine feeds every progress event of the releases it runs (CLI or server) to {@link Notifier.progress};
 * {@link NotificationEvents} turns them into the events a receiver wants (one per status change).
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { CatalogProduct } from "../../components/catalog";
import type { NotificationEventType } from "../../components/notificationEvents";
import { notificationCoversProduct, notificationWants } from "../../components/notificationEvents";
import type { PromotionNotificationDefinition } from "../../components/promotionNotification";
import { messageOf } from "../../model/errors";
import { nonPublicHost } from "../../model/networkAddress";
import { retry } from "../../provider/git/retry";
import type { EnvironmentStatus, ReleaseStatus } from "../../model/status";
import { redact, redactDeep, secrets } from "../../model/redact";
import type { EnvironmentRecord, ReleaseRecord } from "../record/releaseRecord";
import { summary } from "../record/releaseRecord";
import type { PostInit } from "./notifications.http";
import { nonPublicAddressCode, post } from "./notifications.http";
import type { EngineMetrics } from "./metrics";
import type { ProgressEvent } from "../release/progress";

/** The header carrying `sha256=<hex of HMAC-SHA256(secret, raw body)>`. */
export const signatureHeader = "X-Promotions-Signature-256";
export const cloudEventsContentType = "application/cloudevents+json";

/** A CloudEvents 1.0 event in structured JSON mode. */
export interface CloudEvent<T = unknown> {
    readonly specversion: "1.0";
    readonly id: string;
    readonly source: string;
    readonly type: NotificationEventType;
    readonly time: string;
    /** The release id. */
    readonly subject: string;
    readonly datacontenttype: "application/json";
    readonly data: T;
}

/** The signature header's value for this body. */
export function signBody(secret: string, body: string): string {
    return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/** Is `header` the signature of `body` under `secret`? (constant time) */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
    if (header === undefined) {
        return false;
    }
    const want = Buffer.from(signBody(secret, body));
    const got = Buffer.from(header);
    return want.length === got.length && timingSafeEqual(want, got);
}

/** One event to post, before it becomes a CloudEvent. */
export interface NotificationEvent {
    readonly type: NotificationEventType;
    readonly release: string;
    readonly product: string;
    readonly data: unknown;
}

/** The CloudEvent of a notification event. */
export function cloudEvent(
    e: NotificationEvent,
    time: Date = new Date(),
    id: string = randomUUID(),
): CloudEvent {
    return {
        specversion: "1.0",
        id,
        source: `/promotions/products/${encodeURIComponent(e.product)}`,
        type: e.type,
        time: time.toISOString(),
        subject: e.release,
        datacontenttype: "application/json",
        data: redactDeep(e.data),
    };
}

const releaseTypes: Partial<Record<ReleaseStatus, NotificationEventType>> = {
    Succeeded: "promotions.release.succeeded",
    Failed: "promotions.release.failed",
    Terminated: "promotions.release.terminated",
    Suspended: "promotions.release.suspended",
};

const environmentTypes: Partial<Record<EnvironmentStatus, NotificationEventType>> = {
    Succeeded: "promotions.environment.succeeded",
    Failed: "promotions.environment.failed",
    Skipped: "promotions.environment.skipped",
    Suspended: "promotions.environment.suspended",
};

/** What a receiver gets about a release: its summary, product, source, error and environments' statuses. */
export function releaseData(r: ReleaseRecord) {
    return {
        product: r.product,
        ...summary(r),
        sourceApplication: r.sourceApplication,
        sourceCommit: r.sourceCommit,
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.warnings && r.warnings.length > 0 ? { warnings: r.warnings } : {}),
        environments: r.environments.map((e) => ({
            name: e.name,
            status: e.status,
            ...(e.error !== undefined ? { error: e.error } : {}),
        })),
    };
}

/** What a receiver gets about an environment: its record, with its release and product. */
export function environmentData(release: string, product: string, e: EnvironmentRecord) {
    return { release, product, ...e };
}

interface Seen {
    product: string;
    status?: ReleaseStatus;
    environments: Map<string, EnvironmentStatus>;
}

/**
 * Turns the engine's progress events into notification events, one per status change: a release's first
 * Running (of each attempt) is `started`; an environment's first Running of an attempt (not after Suspended)
 * is `started`; other statuses map to their own type (Pending, Queued, Terminating and an environment's
 * Terminated have none). Environment changes come before their release's.
 */
export class NotificationEvents {
    private readonly seen = new Map<string, Seen>();

    events(e: ProgressEvent): NotificationEvent[] {
        switch (e.type) {
            case "release":
                return this.release(e.release);
            case "environment": {
                const known = this.seen.get(e.releaseId);
                return known ? this.environment(e.releaseId, known, e.environment) : [];
            }
            case "waiting":
                return [];
        }
    }

    private release(r: ReleaseRecord): NotificationEvent[] {
        let known = this.seen.get(r.id);
        if (!known) {
            known = { product: r.product, environments: new Map() };
            this.seen.set(r.id, known);
        }
        const before = known.status;
        const out: NotificationEvent[] = [];
        const started = r.status === "Running" && before !== "Running" && before !== "Suspended";
        if (started) {
            // A new attempt: its environments start over.
            known.environments.clear();
            out.push(this.of("promotions.release.started", r));
        }
        const envEvents = r.environments.flatMap((env) => this.environment(r.id, known, env));
        known.status = r.status;
        const type = before !== r.status ? releaseTypes[r.status] : undefined;
        out.push(...envEvents);
        if (type) {
            out.push(this.of(type, r));
        }
        if (type && type !== "promotions.release.suspended") {
            this.seen.delete(r.id);
        }
        return out;
    }

    private environment(release: string, known: Seen, env: EnvironmentRecord): NotificationEvent[] {
        const before = known.environments.get(env.name);
        if (before === env.status) {
            return [];
        }
        known.environments.set(env.name, env.status);
        const type =
            env.status === "Running"
                ? before === "Suspended"
                    ? undefined
                    : "promotions.environment.started"
                : environmentTypes[env.status];
        return type
            ? [{ type, release, product: known.product, data: environmentData(release, known.product, env) }]
            : [];
    }

    private of(type: NotificationEventType, r: ReleaseRecord): NotificationEvent {
        return { type, release: r.id, product: r.product, data: releaseData(r) };
    }
}

/** How deliveries are retried. */
export interface RetryPolicy {
    /** Attempts per event, the first included (default 6). */
    readonly attempts: number;
    /** The delay before the second attempt, doubled after each (default 500 ms), with full jitter. */
    readonly startingDelayMs: number;
    /** The longest delay between two attempts (default 10 s). */
    readonly maxDelayMs: number;
    /** How long one POST may take (default 5 s). */
    readonly timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
    attempts: 6,
    startingDelayMs: 500,
    maxDelayMs: 10_000,
    timeoutMs: 5_000,
};

/** Sends one POST and resolves with the answer's status and `Location`; never follows a redirect. */
export type HttpSend = (
    url: string,
    init: PostInit & { readonly allowPrivateNetworks: boolean },
) => Promise<{ status: number; location?: string }>;

export interface NotifierOptions {
    readonly notifications: readonly PromotionNotificationDefinition[];
    readonly products: readonly Pick<CatalogProduct, "name" | "tags">[];
    /** The value of an environment variable (a notification's `secretEnv`). */
    readonly secretOf: (envName: string) => string | undefined;
    /** Warnings: deliveries given up, events dropped, a missing secret. */
    readonly warn: (line: string) => void;
    readonly retry?: Partial<RetryPolicy>;
    /** Events waiting per notification before new ones are dropped (default 200). */
    readonly queueLimit?: number;
    /**
     * The HTTP client (default: node:http(s), refusing names that resolve to non-public addresses unless the
     * notification allows private networks). Literal addresses in the URL are refused before it is called.
     */
    readonly send?: HttpSend;
    /** Where each delivery's outcome is counted (default: nowhere). */
    readonly metrics?: Pick<EngineMetrics, "notification">;
}

/** Events a notification had not delivered when its notifier stopped. */
export interface Undelivered {
    readonly notification: string;
    /** The receiver as it may be shown (see {@link shownUrl}). */
    readonly receiver: string;
    readonly events: number;
}

class DeliveryError extends Error {
    constructor(
        message: string,
        readonly retryable: boolean,
    ) {
        super(message);
    }
}

/** The URL as it may be shown: scheme, host and port only (a webhook path often is a secret). */
export function shownUrl(url: string, base?: string): string {
    try {
        return `${new URL(url, base).origin}/…`;
    } catch {
        return "(invalid URL)";
    }
}

interface Target {
    readonly definition: PromotionNotificationDefinition;
    readonly secret?: string;
    readonly queue: CloudEvent[];
    draining?: Promise<void>;
    /** The event being delivered. */
    current?: CloudEvent;
    /** The last event was given up: later ones get one attempt each until one is delivered. */
    down?: boolean;
}

/**
 * Delivers notification events: each notification has its own queue, delivered in order, one event at a time
 * (a receiver sees `started` before `succeeded`), each retried on network errors, timeouts, 408, 429 and 5xx;
 * after an event was given up, the next ones get one attempt each until one gets through.
 * {@link progress} never throws and never waits.
 */
export class Notifier {
    private readonly events = new NotificationEvents();
    private readonly targets: Target[] = [];
    private readonly retry: RetryPolicy;
    private readonly queueLimit: number;
    private readonly send: HttpSend;
    /** Aborted by {@link stop}: ends every request and every wait between attempts. */
    private readonly stopping = new AbortController();

    constructor(private readonly opts: NotifierOptions) {
        this.retry = { ...defaultRetryPolicy, ...opts.retry };
        this.queueLimit = opts.queueLimit ?? 200;
        this.send =
            opts.send ??
            ((url, init) => post(url, init, { allowPrivateNetworks: init.allowPrivateNetworks }));
        for (const definition of opts.notifications) {
            let secret: string | undefined;
            if (definition.secretEnv !== undefined) {
                secret = opts.secretOf(definition.secretEnv);
                if (!secret) {
                    opts.warn(
                        `PromotionNotification "${definition.name}": environment variable ${definition.secretEnv} (secretEnv) is not set: its events are not sent; set it to the signing secret`,
                    );
                    continue;
                }
                secrets.add(secret);
            }
            this.targets.push({ definition, ...(secret ? { secret } : {}), queue: [] });
        }
    }

    /** The engine's progress: queues the events each notification wants. Never throws, never waits. */
    readonly progress = (e: ProgressEvent): void => {
        try {
            for (const event of this.events.events(e)) {
                this.enqueue(event);
            }
        } catch (err) {
            this.opts.warn(`notifications: ${messageOf(err)}`);
        }
    };

    /** Resolves once every queued event has been delivered or given up. */
    async idle(): Promise<void> {
        while (this.targets.some((t) => t.draining)) {
            await Promise.all(this.targets.map((t) => t.draining));
        }
    }

    /**
     * Waits up to `withinMs` for every queued event to be delivered or given up, then stops: requests in flight
     * are aborted, nothing more is sent, and what was not delivered is returned (one entry per notification).
     * A process about to exit calls this so a receiver that hangs cannot hold it.
     */
    async settle(withinMs: number): Promise<Undelivered[]> {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
            this.idle(),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, withinMs)))),
        ]);
        clearTimeout(timer);
        const undelivered = this.targets.flatMap((t) => {
            const events = t.queue.length + (t.current ? 1 : 0);
            return events > 0
                ? [{ notification: t.definition.name, receiver: shownUrl(t.definition.url), events }]
                : [];
        });
        this.stopping.abort();
        for (const t of this.targets) {
            t.queue.length = 0;
        }
        await this.idle();
        return undelivered;
    }

    private enqueue(e: NotificationEvent): void {
        if (this.stopping.signal.aborted) {
            return;
        }
        const product = this.opts.products.find((p) => p.name === e.product) ?? { name: e.product };
        let ce: CloudEvent | undefined;
        for (const t of this.targets) {
            if (
                !notificationWants(t.definition, e.type) ||
                !notificationCoversProduct(t.definition, product)
            ) {
                continue;
            }
            if (t.queue.length >= this.queueLimit) {
                this.opts.warn(
                    `PromotionNotification "${t.definition.name}": ${this.queueLimit} events already wait for ${shownUrl(t.definition.url)}: ${e.type} of release ${e.release} dropped`,
                );
                continue;
            }
            ce ??= cloudEvent(e);
            t.queue.push(ce);
            t.draining ??= this.drain(t);
        }
    }

    private async drain(t: Target): Promise<void> {
        try {
            for (let next = t.queue.shift(); next && !this.stopping.signal.aborted; next = t.queue.shift()) {
                t.current = next;
                await this.deliver(t, next);
                t.current = undefined;
            }
        } finally {
            t.current = undefined;
            t.draining = undefined;
        }
    }

    private async deliver(t: Target, event: CloudEvent): Promise<void> {
        const body = JSON.stringify(event);
        const headers: Record<string, string> = { "content-type": cloudEventsContentType };
        if (t.secret) {
            headers[signatureHeader] = signBody(t.secret, body);
        }
        // A receiver that just failed every attempt is not retried at length again: a burst of events to a
        // receiver that is down must not keep a process busy (or a CLI from exiting) for each of them.
        const attempts = t.down ? 1 : this.retry.attempts;
        let tried = 0;
        try {
            await retry(
                async (attempt) => {
                    tried = attempt;
                    await this.post(t.definition, body, headers);
                },
                {
                    attempts,
                    baseMs: this.retry.startingDelayMs,
                    maxMs: this.retry.maxDelayMs,
                    signal: this.stopping.signal,
                    retryIf: (e) => !(e instanceof DeliveryError) || e.retryable,
                },
            );
            t.down = false;
            this.opts.metrics?.notification("delivered");
        } catch (e) {
            if (this.stopping.signal.aborted) {
                // Counted by settle(), which says in one line what was not delivered.
                return;
            }
            t.down = true;
            this.opts.metrics?.notification("failed");
            this.opts.warn(
                redact(
                    `PromotionNotification "${t.definition.name}": ${event.type} of release ${event.subject} not delivered to ${shownUrl(t.definition.url)} after ${tried} attempt(s): ${messageOf(e)}`,
                ),
            );
        }
    }

    private async post(
        definition: PromotionNotificationDefinition,
        body: string,
        headers: Record<string, string>,
    ): Promise<void> {
        const allowPrivateNetworks = definition.allowPrivateNetworks === true;
        if (!allowPrivateNetworks) {
            // Definitions are validated when they load; this holds for catalogs built any other way too.
            const host = nonPublicHost(new URL(definition.url).hostname);
            if (host) {
                throw new DeliveryError(
                    `${host.address} is not a public address (${host.kind}): not sent; set allowPrivateNetworks: true on the notification if this receiver is on your network on purpose`,
                    false,
                );
            }
        }
        let answer: { status: number; location?: string };
        try {
            answer = await this.send(definition.url, {
                body,
                headers,
                allowPrivateNetworks,
                signal: AbortSignal.any([AbortSignal.timeout(this.retry.timeoutMs), this.stopping.signal]),
            });
        } catch (e) {
            if ((e as { code?: unknown }).code === nonPublicAddressCode) {
                throw new DeliveryError(messageOf(e), false);
            }
            const timedOut = (x: unknown) => (x as { name?: unknown } | undefined)?.name === "TimeoutError";
            if (timedOut(e) || timedOut((e as { cause?: unknown }).cause)) {
                throw new DeliveryError(`no answer within ${this.retry.timeoutMs} ms`, true);
            }
            const cause = (e as { cause?: unknown }).cause;
            throw new DeliveryError(cause ? `${messageOf(e)} (${messageOf(cause)})` : messageOf(e), true);
        }
        const { status, location } = answer;
        if (status >= 200 && status < 300) {
            return;
        }
        if (status >= 300 && status < 400) {
            // Following it would send the signed event somewhere the definition does not name (perhaps a
            // private address), and retrying it gets the same answer.
            throw new DeliveryError(
                `HTTP ${status} redirect to ${location ? shownUrl(location, definition.url) : "(no Location)"}: redirects are not followed; set url to where the receiver is`,
                false,
            );
        }
        const retryable = status === 408 || status === 429 || status >= 500;
        throw new DeliveryError(`HTTP ${status}`, retryable);
    }
}

export interface NotificationOptions {
    /** Where a notification's `secretEnv` is looked up (the CLI: its environment). Absent: none is found. */
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** Delivery warnings (default: a `warning:` line on stderr). */
    readonly warn?: (line: string) => void;
    readonly retry?: Partial<RetryPolicy>;
    /**
     * The HTTP client (default: node:http(s), refusing names that resolve to non-public addresses unless the
     * notification allows private networks).
     */
    readonly send?: HttpSend;
}

/** The engine's notifier for a catalog: none when it defines no PromotionNotification. */
export function notifierFor(
    catalog: {
        readonly promotionNotifications?: readonly PromotionNotificationDefinition[];
        readonly products: readonly Pick<CatalogProduct, "name" | "tags">[];
    },
    o: NotificationOptions = {},
    metrics?: Pick<EngineMetrics, "notification">,
): Notifier | undefined {
    const notifications = catalog.promotionNotifications ?? [];
    if (notifications.length === 0) {
        return undefined;
    }
    return new Notifier({
        notifications,
        products: catalog.products,
        secretOf: (name) => o.env?.[name],
        warn: o.warn ?? ((line) => void process.stderr.write(redact(`warning: ${line}\n`))),
        ...(o.retry ? { retry: o.retry } : {}),
        ...(o.send ? { send: o.send } : {}),
        ...(metrics ? { metrics } : {}),
    });
}
