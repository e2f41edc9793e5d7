import type { PushWebhook, WebhookEvent, WebhookHeaders } from "../scm";
import { branchOfRef, header, safeId, sameSecret } from "../webhookProof";

/**
 * GitLab's webhooks: the secret token set on the webhook comes back in `X-Gitlab-Token` (compared in constant
 * time), the event in `X-Gitlab-Event` (`Push Hook`), the delivery in `X-Gitlab-Event-UUID`. A push names the
 * project's `git_http_url`, `ref` and `after`.
 */
export const gitlabWebhook: PushWebhook = {
    proofHeader: "X-Gitlab-Token",
    deliveryId: (headers) =>
        safeId(header(headers, "x-gitlab-event-uuid") ?? header(headers, "x-gitlab-webhook-uuid")),
    precheck: (headers) => (header(headers, "x-gitlab-token") ?? "") !== "",
    verify: (headers: WebhookHeaders, _body: Buffer, secret: string) =>
        sameSecret(header(headers, "x-gitlab-token") ?? "", secret),
    parse(headers: WebhookHeaders, body: Buffer): WebhookEvent {
        const event = header(headers, "x-gitlab-event") ?? "";
        if (event !== "Push Hook") {
            return { kind: "ignored", event };
        }
        const p = JSON.parse(body.toString("utf8")) as {
            ref?: unknown;
            after?: unknown;
            project?: { git_http_url?: unknown };
        };
        const branch = branchOfRef(p.ref);
        const repoURL = p.project?.git_http_url;
        return {
            kind: "push",
            moved:
                branch && typeof repoURL === "string" && typeof p.after === "string"
                    ? [{ repoURL, branch, sha: p.after }]
                    : [],
        };
    },
};
