/**
 * Outbound notifications (PromotionNotification): release and environment events posted as CloudEvents 1.0
 * structured JSON, signed with HMAC-SHA256 of the raw body (`X-Promotions-Signature-256: sha256=<hex>`, GitHub's
 * convention), retried with exponential backoff and full jitter, one bounded queue per notification. Nothing
 * here can block or fail a release: a delivery that never succeeds is a warning line, nothing more.
 *
 * The engine feeds every progress event of the releases it runs (CLI or server) to {@link Notifier.progress};
 * {@link NotificationEvents} turns them into the events a receiver wants (one per status change).
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { backOff } from "exponential-backoff";
import type { CatalogProduct } from "../components/catalog";
import type {
    NotificationEventType,
    PromotionNotificationDefinition,
} from "../components/promotionNotification";
import { notificationCoversProduct, notificationWants } from "../components/promotionNotification";
import { messageOf } from "../model/errors";
import type { EnvironmentStatus, ReleaseStatus } from "../model/status";
import { redact, redactDeep, secrets } from "../model/redact";
import type { EnvironmentRecord, ReleaseRecord } from "./releaseRecord";
import { summary } from "./releaseRecord";
import type { NotificationOptions } from "./options";
import type { ProgressEvent } from "./releaseRun";

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
    /** The HTTP client (default: the global fetch). */
    readonly fetch?: typeof fetch;
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
export function shownUrl(url: string): string {
    try {
        return `${new URL(url).origin}/…`;
    } catch {
        return "(invalid URL)";
    }
}

interface Target {
    readonly definition: PromotionNotificationDefinition;
    readonly secret?: string;
    readonly queue: CloudEvent[];
    draining?: Promise<void>;
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
    private readonly fetch: typeof fetch;

    constructor(private readonly opts: NotifierOptions) {
        this.retry = { ...defaultRetryPolicy, ...opts.retry };
        this.queueLimit = opts.queueLimit ?? 200;
        this.fetch = opts.fetch ?? fetch;
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

    private enqueue(e: NotificationEvent): void {
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
            for (let next = t.queue.shift(); next; next = t.queue.shift()) {
                await this.deliver(t, next);
            }
        } finally {
            t.draining = undefined;
        }
    }

    private async deliver(t: Target, event: CloudEvent): Promise<void> {
        const body = JSON.stringify(event);
        const headers: Record<string, string> = { "content-type": cloudEventsContentType };
        if (t.secret) {
            headers[signatureHeader] = signBody(t.secret, body);
        }
        let attempts = 0;
        try {
            await backOff(
                async () => {
                    attempts += 1;
                    await this.post(t.definition.url, body, headers);
                },
                {
                    // A receiver that just failed every attempt is not retried at length again: a CLI run
                    // waits for its deliveries before it exits, and a burst of events must not make that long.
                    numOfAttempts: t.down ? 1 : this.retry.attempts,
                    startingDelay: this.retry.startingDelayMs,
                    maxDelay: this.retry.maxDelayMs,
                    timeMultiple: 2,
                    jitter: "full",
                    retry: (e: unknown) => !(e instanceof DeliveryError) || e.retryable,
                },
            );
            t.down = false;
        } catch (e) {
            t.down = true;
            this.opts.warn(
                redact(
                    `PromotionNotification "${t.definition.name}": ${event.type} of release ${event.subject} not delivered to ${shownUrl(t.definition.url)} after ${attempts} attempt(s): ${messageOf(e)}`,
                ),
            );
        }
    }

    private async post(url: string, body: string, headers: Record<string, string>): Promise<void> {
        let res: Response;
        try {
            res = await this.fetch(url, {
                method: "POST",
                body,
                headers,
                redirect: "error",
                signal: AbortSignal.timeout(this.retry.timeoutMs),
            });
        } catch (e) {
            const cause = (e as { cause?: unknown }).cause;
            throw new DeliveryError(cause ? `${messageOf(e)} (${messageOf(cause)})` : messageOf(e), true);
        }
        await res.body?.cancel().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
            return;
        }
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
        throw new DeliveryError(`HTTP ${res.status}`, retryable);
    }
}

/** The engine's notifier for a catalog: none when it defines no PromotionNotification. */
export function notifierFor(
    catalog: {
        readonly promotionNotifications?: readonly PromotionNotificationDefinition[];
        readonly products: readonly Pick<CatalogProduct, "name" | "tags">[];
    },
    o: NotificationOptions = {},
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
        ...(o.fetch ? { fetch: o.fetch } : {}),
    });
}
