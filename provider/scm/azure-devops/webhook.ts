import type { BranchMoved, PushWebhook, WebhookEvent, WebhookHeaders } from "../scm";
import { branchOfRef, header, sameSecret } from "../webhookProof";

/** The `user:password` of a Basic Authorization header. */
function basicCredentials(headers: WebhookHeaders): string | undefined {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header(headers, "authorization") ?? "");
    return m ? Buffer.from(m[1], "base64").toString("utf8") : undefined;
}

/**
 * Azure DevOps service hooks (the Web Hooks consumer) with basic authentication: the subscription's user name
 * and password arrive as HTTP Basic, compared in constant time with the configured secret `user:password` (a
 * secret without a colon is the password alone, any user name). The event is in the body (`eventType:
 * git.push`); a push lists `resource.refUpdates` and the repository's `remoteUrl`.
 */
export const azureDevOpsWebhook: PushWebhook = {
    proofHeader: "Authorization",
    deliveryId: () => undefined,
    precheck: (headers) => basicCredentials(headers) !== undefined,
    verify(headers: WebhookHeaders, _body: Buffer, secret: string): boolean {
        const given = basicCredentials(headers) ?? "";
        return secret.includes(":")
            ? sameSecret(given, secret)
            : sameSecret(given.slice(given.indexOf(":") + 1), secret);
    },
    parse(_headers: WebhookHeaders, body: Buffer): WebhookEvent {
        const p = JSON.parse(body.toString("utf8")) as {
            eventType?: unknown;
            resource?: {
                refUpdates?: { name?: unknown; newObjectId?: unknown }[];
                repository?: { remoteUrl?: unknown };
            };
        };
        if (p.eventType !== "git.push") {
            return { kind: "ignored", event: typeof p.eventType === "string" ? p.eventType : "" };
        }
        const repoURL = p.resource?.repository?.remoteUrl;
        const moved: BranchMoved[] = [];
        for (const u of p.resource?.refUpdates ?? []) {
            const b = branchOfRef(u.name);
            if (b && typeof repoURL === "string" && typeof u.newObjectId === "string") {
                moved.push({ repoURL, branch: b, sha: u.newObjectId });
            }
        }
        return { kind: "push", moved };
    },
};
