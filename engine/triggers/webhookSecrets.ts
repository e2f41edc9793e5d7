import type { HostEntry, HostKind } from "../../provider/scm/scm";

/*
 * The secrets that prove webhook deliveries, apart from the receiver: `promote serve`'s arguments read them
 * without loading the code hosts' clients (every command parses those arguments).
 */

/**
 * A secret that may prove deliveries of one host kind. With a `prefix` (from a hosts entry), a delivery it
 * proves must be about repositories under that prefix only: a secret of one host never admits another's pushes.
 */
export interface WebhookSecret {
    readonly secret: string;
    readonly prefix?: string;
}

/**
 * The webhook secrets per host kind from the hosts configuration: each entry with a secret proves deliveries
 * about its own prefix; `githubSecret` (PROMOTIONS_WEBHOOK_SECRET) any GitHub delivery, as before hosts could be
 * configured.
 */
export function webhookSecretsOf(
    hosts: readonly HostEntry[],
    githubSecret?: string,
): Partial<Record<HostKind, WebhookSecret[]>> {
    const out: Partial<Record<HostKind, WebhookSecret[]>> = {};
    if (githubSecret) {
        out.github = [{ secret: githubSecret }];
    }
    for (const h of hosts) {
        if (h.webhookSecret) {
            (out[h.kind] ??= []).push({ secret: h.webhookSecret, prefix: h.prefix });
        }
    }
    return out;
}
