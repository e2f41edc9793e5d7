import type { BranchMoved, PushWebhook, WebhookEvent, WebhookHeaders } from "../scm";
import { header, hmacSha256Matches, safeId } from "../webhookProof";

const signatureFormat = /^sha256=([0-9a-f]{64})$/;

/**
 * Bitbucket Cloud's webhooks: with a secret set on the webhook, `X-Hub-Signature: sha256=<HMAC-SHA256 of the
 * body>` (a webhook without a secret cannot be verified, so it is refused); the event in `X-Event-Key`
 * (`repo:push`; `diagnostics:ping` for the test button); the delivery in `X-Request-UUID`. A push lists
 * `push.changes[].new` (a branch, its name and target hash) and the repository's web link.
 */
export const bitbucketWebhook: PushWebhook = {
    proofHeader: "X-Hub-Signature",
    deliveryId: (headers) => safeId(header(headers, "x-request-uuid") ?? header(headers, "x-hook-uuid")),
    precheck: (headers) => signatureFormat.test(header(headers, "x-hub-signature") ?? ""),
    verify(headers: WebhookHeaders, body: Buffer, secret: string): boolean {
        const m = signatureFormat.exec(header(headers, "x-hub-signature") ?? "");
        return m !== null && hmacSha256Matches(body, secret, m[1]);
    },
    parse(headers: WebhookHeaders, body: Buffer): WebhookEvent {
        const event = header(headers, "x-event-key") ?? "";
        if (event === "diagnostics:ping") {
            return { kind: "ping" };
        }
        if (event !== "repo:push") {
            return { kind: "ignored", event };
        }
        const p = JSON.parse(body.toString("utf8")) as {
            push?: {
                changes?: { new?: { type?: unknown; name?: unknown; target?: { hash?: unknown } } | null }[];
            };
            repository?: { links?: { html?: { href?: unknown } } };
        };
        const repoURL = p.repository?.links?.html?.href;
        const moved: BranchMoved[] = [];
        for (const c of p.push?.changes ?? []) {
            const n = c.new;
            if (
                typeof repoURL === "string" &&
                n?.type === "branch" &&
                typeof n.name === "string" &&
                typeof n.target?.hash === "string"
            ) {
                moved.push({ repoURL, branch: n.name, sha: n.target.hash });
            }
        }
        return { kind: "push", moved };
    },
};
