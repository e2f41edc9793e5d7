import type { BranchMoved, PushWebhook, WebhookEvent, WebhookHeaders } from "../scm";
import { branchOfRef, header, hmacSha256Matches, safeId } from "../webhookProof";

/**
 * The signature header: Gitea's, or Forgejo's (Forgejo sends both with the same value; a Forgejo that stops
 * sending Gitea's still proves itself).
 */
function signature(headers: WebhookHeaders): string | undefined {
    return header(headers, "x-gitea-signature") ?? header(headers, "x-forgejo-signature");
}

/**
 * Gitea's and Forgejo's webhooks (type "gitea" or "forgejo" in the repository's settings): `X-Gitea-Signature`
 * (and Forgejo's `X-Forgejo-Signature`) is the HMAC-SHA256 of the body with the webhook's secret, in hex
 * without a prefix; the event is `X-Gitea-Event` (`push`, `pull_request`, …), the delivery id
 * `X-Gitea-Delivery` (a UUID). A push names the repository's `clone_url`, `ref` and `after`. Gitea sends no
 * ping: its "Test delivery" button sends a push of the branch's tip, which reads the branch again (harmless).
 */
export const giteaWebhook: PushWebhook = {
    proofHeader: "X-Gitea-Signature",
    deliveryId: (headers) =>
        safeId(header(headers, "x-gitea-delivery") ?? header(headers, "x-forgejo-delivery")),
    precheck: (headers) => /^[0-9a-f]{64}$/.test(signature(headers) ?? ""),
    verify: (headers: WebhookHeaders, body: Buffer, secret: string): boolean =>
        hmacSha256Matches(body, secret, signature(headers) ?? ""),
    parse(headers: WebhookHeaders, body: Buffer): WebhookEvent {
        const event = header(headers, "x-gitea-event") ?? header(headers, "x-forgejo-event") ?? "";
        if (event !== "push") {
            return { kind: "ignored", event };
        }
        const p = JSON.parse(body.toString("utf8")) as {
            ref?: unknown;
            after?: unknown;
            repository?: { clone_url?: unknown };
        };
        const branch = branchOfRef(p.ref);
        const repoURL = p.repository?.clone_url;
        const moved: BranchMoved[] =
            branch && typeof repoURL === "string" && typeof p.after === "string"
                ? [{ repoURL, branch, sha: p.after }]
                : [];
        return { kind: "push", moved };
    },
};
