import { z } from "zod";
import { nameSchema } from "./common";
import { nonPublicHost } from "../model/networkAddress";
import { eventTypesOf, notificationEventTypes } from "./notificationEvents";

/** An environment variable's name, as shells write them. */
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const names = z.array(z.string().min(1)).optional();

export const promotionNotificationDefinitionSchema = z
    .strictObject({
        name: nameSchema,
        /** Where events are POSTed (CloudEvents 1.0, structured JSON). */
        url: z.string().min(1),
        /**
         * Which events: event types or patterns with `*` (`promotions.release.*`, `promotions.*.failed`).
         * Default: every event.
         */
        events: z.array(z.string().min(1)).min(1).default(["promotions.*"]),
        /** Which products' releases (every given criterion must match; `names: ["*"]` or absent: every product). */
        products: z.strictObject({ names, tags: names }).optional(),
        /**
         * The NAME of the environment variable holding the HMAC-SHA256 key the body is signed with
         * (`X-Promotions-Signature-256: sha256=<hex>`), never the key itself. Absent: events are not signed.
         */
        secretEnv: z.string().optional(),
        /**
         * Deliver to private, loopback, link-local and other non-public addresses (default false: such an
         * address is refused by `validate` when written in `url`, and by every connection when a name resolves
         * to one). Set it only for a receiver on your own network.
         */
        allowPrivateNetworks: z.boolean().optional(),
    })
    .superRefine((n, ctx) => {
        const issue = (path: (string | number)[], message: string) =>
            ctx.addIssue({ code: "custom", path, message });
        let url: URL | undefined;
        try {
            url = new URL(n.url);
        } catch {
            url = undefined;
        }
        if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
            issue(
                ["url"],
                "is not an http(s) URL: give the receiver's address, e.g. https://hooks.example.com/promotions",
            );
        } else if (url.username || url.password) {
            issue(["url"], "must not carry credentials: sign the events with secretEnv instead");
        } else if (n.allowPrivateNetworks !== true) {
            const host = nonPublicHost(url.hostname);
            if (host) {
                issue(
                    ["url"],
                    `points at ${host.address}, which is not a public address (${host.kind}): events (signed, with release details) would go to this machine or its network, not to a receiver on the internet; give the receiver's public address, or set allowPrivateNetworks: true if it is on your network on purpose`,
                );
            }
        }
        n.events.forEach((filter, i) => {
            if (eventTypesOf(filter).length === 0) {
                issue(
                    ["events", i],
                    `unknown event type ${JSON.stringify(filter)}: use one of ${notificationEventTypes.join(", ")}, or a pattern with * such as "promotions.release.*"`,
                );
            }
        });
        if (n.secretEnv !== undefined && !envName.test(n.secretEnv)) {
            // The value is not quoted: someone may have pasted the secret itself here.
            issue(
                ["secretEnv"],
                "is not an environment variable name: give the NAME of the variable holding the signing secret (e.g. PROMOTIONS_NOTIFY_SECRET), never the secret itself",
            );
        }
    });
export type PromotionNotificationDefinition = z.infer<typeof promotionNotificationDefinitionSchema>;
export type PromotionNotificationInput = z.input<typeof promotionNotificationDefinitionSchema>;
