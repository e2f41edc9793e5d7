/** Checks every host's webhook proof is made of: an HMAC over the body, a shared value in a header. */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookHeaders } from "./scm";

/** One header's value (the first, if repeated); undefined when absent. */
export function header(headers: WebhookHeaders, name: string): string | undefined {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
}

/** True when `hex` is the HMAC-SHA256 of `body` with `secret` (compared in constant time). */
export function hmacSha256Matches(body: Buffer, secret: string, hex: string): boolean {
    if (!/^[0-9a-f]{64}$/.test(hex)) {
        return false;
    }
    const expected = createHmac("sha256", secret).update(body).digest();
    return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}

/** True when `given` equals `secret`, compared in constant time (their lengths are compared first, as hashes). */
export function sameSecret(given: string, secret: string): boolean {
    const a = createHmac("sha256", "promotions").update(given).digest();
    const b = createHmac("sha256", "promotions").update(secret).digest();
    return timingSafeEqual(a, b);
}

/** `refs/heads/<branch>` as the branch; undefined for tags and other refs. */
export function branchOfRef(ref: unknown): string | undefined {
    return typeof ref === "string" && ref.startsWith("refs/heads/")
        ? ref.slice("refs/heads/".length)
        : undefined;
}

/** A delivery id fit for a log line; anything else is undefined. */
export function safeId(id: string | undefined): string | undefined {
    return id !== undefined && /^[\w.{}-]{1,100}$/.test(id) ? id : undefined;
}
