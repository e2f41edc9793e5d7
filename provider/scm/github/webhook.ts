import type { BranchMoved, PushWebhook, WebhookEvent, WebhookHeaders } from "../scm";
import { branchOfRef, header, hmacSha256Matches, safeId } from "../webhookProof";

const signatureFormat = /^sha256=([0-9a-f]{64})$/;

/**
 * GitHub's webhooks: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the secret>`, the event in
 * `X-GitHub-Event` (`push`, `ping`), the delivery id in `X-GitHub-Delivery`. A push names the repository's
 * `clone_url`, `ref` and `after`.
 */
export const githubWebhook: PushWebhook = {
    proofHeader: "X-Hub-Signature-256",
    deliveryId: (headers) => safeId(header(headers, "x-github-delivery")),
    precheck: (headers) => signatureFormat.test(header(headers, "x-hub-signature-256") ?? ""),
    verify(headers: WebhookHeaders, body: Buffer, secret: string): boolean {
        const m = signatureFormat.exec(header(headers, "x-hub-signature-256") ?? "");
        return m !== null && hmacSha256Matches(body, secret, m[1]);
    },
    parse(headers: WebhookHeaders, body: Buffer): WebhookEvent {
        const event = header(headers, "x-github-event") ?? "";
        if (event === "ping") {
            return { kind: "ping" };
        }
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
