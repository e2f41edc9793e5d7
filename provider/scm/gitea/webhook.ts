import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Gitea's and Forgejo's webhook deliveries. Each is signed with the webhook's secret: the HMAC-SHA256 of the
 * body, hex without a prefix, in `X-Gitea-Signature` (Forgejo sends the same value as `X-Forgejo-Signature`
 * too, and `X-Gogs-Signature` for Gogs compatibility). The event is `X-Gitea-Event` (`X-Forgejo-Event`), the
 * delivery id `X-Gitea-Delivery` (a UUID).
 */
export const giteaHeaders = {
    signature: ["x-gitea-signature", "x-forgejo-signature"],
    event: ["x-gitea-event", "x-forgejo-event"],
    delivery: ["x-gitea-delivery", "x-forgejo-delivery"],
} as const;

const hexSignature = /^[0-9a-f]{64}$/;

function header(headers: IncomingHttpHeaders, names: readonly string[]): string | undefined {
    for (const n of names) {
        const v = headers[n];
        if (typeof v === "string" && v !== "") {
            return v;
        }
    }
    return undefined;
}

/** True when the request carries a Gitea or Forgejo signature header at all (cheap: before the body is read). */
export function isGiteaDelivery(headers: IncomingHttpHeaders): boolean {
    return header(headers, giteaHeaders.signature) !== undefined;
}

/** The signature header's value when well-formed (64 hex digits), else undefined. */
export function giteaSignature(headers: IncomingHttpHeaders): string | undefined {
    const s = header(headers, giteaHeaders.signature)?.toLowerCase();
    return s !== undefined && hexSignature.test(s) ? s : undefined;
}

/** True when `signature` (hex) is the HMAC-SHA256 of `body` with `secret`, compared in constant time. */
export function verifyGiteaSignature(body: Buffer, signature: string, secret: string): boolean {
    if (!hexSignature.test(signature)) {
        return false;
    }
    const expected = createHmac("sha256", secret).update(body).digest();
    return timingSafeEqual(Buffer.from(signature, "hex"), expected);
}

/** The delivery's id (a UUID) fit for a log line; `?` when absent or odd. */
export function giteaDelivery(headers: IncomingHttpHeaders): string {
    const id = header(headers, giteaHeaders.delivery);
    return id !== undefined && /^[\w.-]{1,100}$/.test(id) ? id : "?";
}

/** The event name (`push`, `pull_request`, `status`, …). */
export function giteaEvent(headers: IncomingHttpHeaders): string | undefined {
    return header(headers, giteaHeaders.event);
}

/** A push as promotions read it: the branch that moved and where to. */
export interface GiteaPush {
    /** `owner/name` as Gitea names the repository. */
    readonly repository: string;
    /** The branch (`refs/heads/` stripped); undefined for a tag push. */
    readonly branch?: string;
    /** The commit the ref points at now (all zeros when it was deleted). */
    readonly after: string;
    /** The repository's clone URLs (web and SSH), for matching it to applications' `repoURL`. */
    readonly cloneUrls: readonly string[];
}

/**
 * A verified push delivery's body as a {@link GiteaPush}; undefined when it is not a push payload (fields
 * missing or of the wrong type).
 */
export function parseGiteaPush(body: Buffer): GiteaPush | undefined {
    let data: unknown;
    try {
        data = JSON.parse(body.toString("utf8"));
    } catch {
        return undefined;
    }
    const d = data as {
        ref?: unknown;
        after?: unknown;
        repository?: { full_name?: unknown; clone_url?: unknown; ssh_url?: unknown };
    };
    if (
        typeof d.ref !== "string" ||
        typeof d.after !== "string" ||
        typeof d.repository?.full_name !== "string"
    ) {
        return undefined;
    }
    const cloneUrls = [d.repository.clone_url, d.repository.ssh_url].filter(
        (u): u is string => typeof u === "string" && u !== "",
    );
    return {
        repository: d.repository.full_name,
        ...(d.ref.startsWith("refs/heads/") ? { branch: d.ref.slice("refs/heads/".length) } : {}),
        after: d.after,
        cloneUrls,
    };
}
