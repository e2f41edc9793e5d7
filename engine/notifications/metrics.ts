/**
 * What the engine and its receivers report for metrics, as calls on a sink the caller passes in options
 * (`promote serve` passes server/metrics.ts's; everything else gets {@link noMetrics}). Releases, environments,
 * gates and pushes are read from the progress events instead (their records say it all); this is for what
 * happens outside a release record.
 */
export interface EngineMetrics {
    /** A notification event delivered, or given up after its attempts. */
    notification(result: NotificationResult): void;
    /** A request to a code host's webhook (`/webhooks/<kind>`), by how it was answered. */
    webhookDelivery(result: WebhookResult): void;
}

export type NotificationResult = "delivered" | "failed";

export const webhookResults = [
    "accepted",
    "ping",
    "ignored",
    "bad_signature",
    "bad_payload",
    "wrong_host",
    "too_large",
    "too_slow",
    "not_found",
] as const;
export type WebhookResult = (typeof webhookResults)[number];

/** The default sink: reports nowhere. */
export const noMetrics: EngineMetrics = {
    notification: () => undefined,
    webhookDelivery: () => undefined,
};
