/*
 * Which events a PromotionNotification asks for, apart from its schema: the engine matches every release's
 * events against these without loading the definitions' validation (zod), which a command whose definitions
 * were read from the cache never needs.
 */

/** The CloudEvents `type` of every event a PromotionNotification can ask for. */
export const notificationEventTypes = [
    "promotions.release.started",
    "promotions.release.succeeded",
    "promotions.release.failed",
    "promotions.release.terminated",
    "promotions.release.suspended",
    "promotions.environment.started",
    "promotions.environment.succeeded",
    "promotions.environment.failed",
    "promotions.environment.skipped",
    "promotions.environment.suspended",
] as const;
export type NotificationEventType = (typeof notificationEventTypes)[number];

function filterPattern(filter: string): RegExp {
    const escaped = filter.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp(`^${escaped}$`);
}

/** Does this filter (an event type, or a pattern with `*`, e.g. `promotions.release.*`) select `type`? */
export function eventFilterMatches(filter: string, type: string): boolean {
    return filterPattern(filter).test(type);
}

/** The event types a filter selects (none: the filter names no known type). */
export function eventTypesOf(filter: string): NotificationEventType[] {
    return notificationEventTypes.filter((t) => eventFilterMatches(filter, t));
}

/** Does this notification want events of this product? */
export function notificationCoversProduct(
    n: { readonly products?: { readonly names?: readonly string[]; readonly tags?: readonly string[] } },
    product: { readonly name: string; readonly tags?: readonly string[] },
): boolean {
    const { names: wanted, tags } = n.products ?? {};
    if (wanted && wanted.length > 0 && !wanted.includes("*") && !wanted.includes(product.name)) {
        return false;
    }
    if (tags && tags.length > 0 && !tags.some((t) => (product.tags ?? []).includes(t))) {
        return false;
    }
    return true;
}

/** Does this notification want events of this type? */
export function notificationWants(n: { readonly events: readonly string[] }, type: string): boolean {
    return n.events.some((f) => eventFilterMatches(f, type));
}
