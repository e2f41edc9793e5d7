import { z } from "@hono/zod-openapi";
import { actionKinds } from "../model/kinds";
import { environmentStatuses, releaseStatuses, workflowRunStatuses } from "../model/status";
import { subjectSources } from "../model/subject";
import { errorCodes } from "./errors";

/**
 * The API's shapes, as zod schemas: the routes validate requests with them and the OpenAPI description at
 * GET /api/v1/openapi.json is generated from them. Records keep their CLI JSON names (`release --json`).
 */

const name = z.string().min(1);
const time = z.string().openapi({ description: "ISO 8601 UTC time" });

export const ErrorBody = z
    .object({
        error: z.object({
            code: z.enum(errorCodes),
            message: z.string(),
            entity: z.string().optional(),
            path: z.string().optional(),
        }),
    })
    .openapi("Error");

export const WorkflowRun = z
    .object({
        workflow: name,
        status: z.enum(workflowRunStatuses),
        runId: z.string().optional(),
        startedAt: time.optional(),
        finishedAt: time.optional(),
        log: z
            .string()
            .optional()
            .openapi({ description: "The tail of a local run's output, or the Argo UI link" }),
    })
    .openapi("WorkflowRun");

export const Change = z
    .object({
        file: z.string(),
        path: z.string().openapi({ description: "JSONPath (RFC 9535) of the value in the file" }),
        from: z.unknown(),
        to: z.unknown(),
    })
    .openapi("Change");

const Health = z
    .object({
        status: z.enum(["Healthy", "Degraded", "TimedOut", "Terminated"]),
        sync: z.string().optional(),
        health: z.string().optional(),
        revision: z.string().optional(),
        message: z.string().optional(),
        checkedAt: time,
    })
    .openapi("HealthWait");

export const ApplicationRecord = z
    .object({
        name,
        status: z.enum(environmentStatuses),
        action: z.enum(actionKinds),
        repoURL: z.string(),
        branch: z.string().optional(),
        commitSha: z.string().optional(),
        pushAttempts: z.number().int().optional(),
        adopted: z.boolean().optional(),
        replanned: z.string().optional(),
        pullRequest: z
            .object({
                url: z.string(),
                number: z.number().int(),
                state: z.string(),
                mergeRefused: z.string().optional(),
            })
            .optional(),
        changes: z.array(Change),
        preAction: WorkflowRun.optional(),
        postAction: WorkflowRun.optional(),
        health: Health.optional(),
    })
    .openapi("ApplicationRecord");

export const Approver = z
    .union([z.object({ user: name }), z.object({ group: name })])
    .openapi("Approver", { description: "`{ user: NAME }` or `{ group: NAME }`" });

export const ApprovalDecision = z
    .object({
        decision: z.enum(["approved", "rejected"]),
        user: name,
        email: z.string().optional(),
        groups: z.array(z.string()),
        via: z.enum(subjectSources),
        at: time,
        comment: z.string().optional(),
    })
    .openapi("ApprovalDecision");

export const Approval = z
    .object({
        approvers: z.array(Approver),
        minApprovals: z.number().int(),
        allowSelfApproval: z.boolean(),
        timeoutMs: z.number().optional(),
        requestedAt: time,
        expiresAt: time.optional(),
        decisions: z.array(ApprovalDecision),
        changes: z
            .array(z.object({ application: name, changes: z.array(Change) }))
            .optional()
            .openapi({ description: "What the environment's action writes once approved" }),
    })
    .openapi("Approval", {
        description: "An environment's approval gate: approvers, decisions so far, the diff",
    });

export const DecisionBody = z
    .strictObject({ environment: name, comment: z.string().max(2000).optional() })
    .openapi("Decision", {
        description: "Approve or reject the environment of a release waiting for approval",
    });

export const ResumeBody = z.strictObject({ noWait: z.boolean().optional() }).openapi("Resume", {
    description: "noWait: do not wait in the server; leave the release Suspended again",
});

export const EnvironmentRecord = z
    .object({
        name,
        status: z.enum(environmentStatuses),
        dependsOn: z.array(z.string()),
        startedAt: time.optional(),
        finishedAt: time.optional(),
        error: z.string().optional(),
        applications: z.array(ApplicationRecord),
        hooks: z.array(WorkflowRun).optional(),
        waitKind: z.enum(["approval", "window", "soak", "queue", "pullRequest"]).optional(),
        resumesAt: time.optional(),
        approval: Approval.optional(),
    })
    .openapi("EnvironmentRecord");

const address = z.string().optional().openapi({
    description: "The caller's network address, where nothing else identifies it (--insecure-no-auth)",
});

export const Initiator = z
    .object({ user: name, via: z.enum(subjectSources), address })
    .openapi("Initiator", { description: "Who acted, and how that was established" });

export const PolicyOverride = z
    .object({
        field: z.enum(["action", "preAction", "postAction"]),
        policy: z.string().optional().openapi({ description: "What the policies resolve to (absent: none)" }),
        source: z.string().optional().openapi({ description: "The policy that sets it" }),
        chosen: z.string(),
    })
    .openapi("PolicyOverride", {
        description: "A field a promotion chose against its policy (override-policy)",
    });

export const AuditEntry = Initiator.extend({
    action: name.openapi({ description: "trigger, promote, rollback, retry, terminate, override-policy, …" }),
    at: time,
    environment: name.optional(),
    comment: z.string().optional(),
    overrides: z.array(PolicyOverride).optional(),
}).openapi("AuditEntry");

export const Release = z
    .object({
        id: name,
        product: name,
        flow: name,
        flowVersion: z.string().optional(),
        status: z.enum(releaseStatuses),
        startedAt: time.optional(),
        finishedAt: time.optional(),
        sourceApplication: z.string(),
        sourceCommit: z.string(),
        version: z.string().optional(),
        error: z.string().optional(),
        stale: z.string().optional(),
        warnings: z.array(z.string()).optional(),
        hooks: z.array(WorkflowRun).optional(),
        policyOverrides: z
            .array(z.object({ environment: name, overrides: z.array(PolicyOverride) }))
            .optional()
            .openapi({
                description: "The action, pre- or post-action chosen against the environment's policy",
            }),
        initiator: Initiator.optional(),
        audit: z.array(AuditEntry).optional(),
        environments: z.array(EnvironmentRecord),
    })
    .openapi("Release", { description: "A release in full: what `promote release ID --json` prints" });

export const ReleaseSummary = z
    .object({
        id: name,
        product: name,
        flow: name,
        flowVersion: z.string().optional(),
        status: z.enum(releaseStatuses),
        startedAt: time.optional(),
        finishedAt: time.optional(),
        version: z.string().optional(),
        stale: z.string().optional(),
    })
    .openapi("ReleaseSummary", {
        description: "What `promote releases --json` prints for a release, with its product",
    });

export const ReleasePage = z
    .object({
        releases: z.array(ReleaseSummary),
        next: z
            .string()
            .optional()
            .openapi({ description: "Pass as `before` for the next page; absent on the last" }),
    })
    .openapi("ReleasePage");

export const RunLog = z
    .object({
        release: name,
        runId: z.string(),
        workflow: name,
        status: z.enum(workflowRunStatuses),
        log: z.string().optional(),
    })
    .openapi("RunLog");

const FieldSource = z.union([
    z.object({ policy: z.string() }),
    z.object({ inline: z.literal(true) }),
    z.object({ default: z.literal(true) }),
]);

export const ResolvedPolicy = z
    .object({
        action: z.enum(actionKinds),
        preAction: z.string().optional(),
        postAction: z.string().optional(),
        pullRequest: z
            .object({
                autoMerge: z.boolean().optional(),
                mergeMethod: z.enum(["merge", "squash", "rebase"]).optional(),
            })
            .optional(),
        sources: z.object({
            action: FieldSource,
            preAction: FieldSource.optional(),
            postAction: FieldSource.optional(),
            pullRequest: FieldSource.optional(),
        }),
    })
    .openapi("ResolvedPolicy", {
        description: "A policy merged field by field, with where each field came from",
    });

export const ProductSummary = z
    .object({
        name,
        tags: z.array(z.string()),
        concurrency: z.enum(["queue", "terminate"]),
        flows: z.array(z.string()),
        environments: z.array(z.string()).openapi({ description: "Where the product has applications" }),
    })
    .openapi("ProductSummary");

export const Product = z
    .object({
        name,
        tags: z.array(z.string()),
        concurrency: z.enum(["queue", "terminate"]),
        applications: z.array(
            z.object({
                name,
                environment: name,
                repoURL: z.string(),
                path: z.string(),
                targetRevision: z.string(),
            }),
        ),
        environments: z.array(
            z.object({
                name,
                kind: z.enum(["production", "non-production"]),
                tags: z.array(z.string()),
                policy: ResolvedPolicy.openapi({
                    description: "The policies matching this target environment",
                }),
            }),
        ),
        flows: z.array(
            z.object({
                name,
                version: z.string().optional(),
                description: z.string().optional(),
                triggerEnvironment: name,
                steps: z.array(
                    z.object({
                        environment: name,
                        dependsOn: z.array(z.string()),
                        policy: ResolvedPolicy.openapi({
                            description: "With the step's inline policy fields",
                        }),
                    }),
                ),
            }),
        ),
    })
    .openapi("Product");

export const ProductEnvironments = z
    .object({
        product: name,
        environments: z.array(
            z.object({
                name,
                kind: z.enum(["production", "non-production"]),
                version: z.string().optional().openapi({
                    description: "The version Git holds now (without Git: the last release's there)",
                }),
                commit: z
                    .string()
                    .optional()
                    .openapi({ description: "The promotion commit of the release that put it there" }),
                release: z
                    .string()
                    .optional()
                    .openapi({ description: "The release that put this version there" }),
                at: time.optional(),
                applications: z.array(
                    z.object({
                        name,
                        version: z.string().optional().openapi({ description: "The version in Git now" }),
                        gitCommit: z
                            .string()
                            .optional()
                            .openapi({ description: "The tip of the application's branch in Git now" }),
                        gitError: z.string().optional().openapi({ description: "Why Git could not be read" }),
                        health: z.string().optional(),
                        sync: z.string().optional(),
                        revision: z.string().optional(),
                        healthError: z.string().optional(),
                    }),
                ),
            }),
        ),
    })
    .openapi("ProductEnvironments");

export const ProductHolds = z
    .object({
        product: name,
        holds: z.array(
            z.object({
                environment: name,
                by: z.string().openapi({ description: "Who placed the hold" }),
                at: time,
                reason: z.string().optional(),
            }),
        ),
    })
    .openapi("ProductHolds", {
        description:
            "The holds in place: flows and triggers skip these environments (and what depends on them)",
    });

export const Preview = z
    .object({
        product: name,
        flow: name,
        flowVersion: z.string().optional(),
        sourceApplication: z.string(),
        sourceCommit: z.string(),
        version: z.string().optional(),
        environments: z.array(
            z.object({
                name,
                dependsOn: z.array(z.string()),
                action: z.enum(actionKinds),
                preAction: z.string().optional(),
                postAction: z.string().optional(),
                wouldChange: z.boolean(),
                applications: z.array(
                    z.object({
                        name,
                        repoURL: z.string(),
                        branch: z.string(),
                        changes: z.array(Change),
                        missing: z.array(z.string()),
                    }),
                ),
            }),
        ),
    })
    .openapi("Preview", { description: "What `promote preview --json` prints" });

/** A message for the body of each promotion commit (the dialog's "Commit message"). */
const commitNote = z.string().max(4000).optional().openapi({
    description: "Written into the body of each promotion commit, below its subject line",
});

export const StartRelease = z
    .union([
        z.strictObject({
            product: name,
            flow: name,
            sourceCommit: z.string().optional(),
            message: commitNote,
        }),
        z.strictObject({
            product: name,
            from: name,
            to: name,
            action: z.enum(actionKinds).optional(),
            preAction: name.optional(),
            postAction: name.optional(),
            sourceCommit: z.string().optional(),
            message: commitNote,
        }),
    ])
    .openapi("StartRelease", {
        description:
            "`{product, flow}` runs a flow (trigger); `{product, from, to, …}` promotes to one environment",
    });

export const RetryBody = z
    .strictObject({ forceOlder: z.boolean().optional() })
    .openapi("Retry", { description: "forceOlder: retry even though newer releases succeeded since" });

export const Session = z
    .object({
        csrfToken: z
            .string()
            .openapi({ description: "Send as X-CSRF-Token on mutating requests that carry cookies" }),
    })
    .openapi("Session");

const Decision = z
    .object({
        allowed: z.boolean(),
        rule: z.string().optional().openapi({ description: "The PromotionPermission that allows it" }),
        reason: z.string().optional().openapi({ description: "Why not, and the rule to add" }),
    })
    .openapi("PermissionDecision");

export const Permissions = z
    .object({
        subject: z.object({
            user: z.string(),
            groups: z.array(z.string()),
            via: z.enum(subjectSources),
        }),
        rules: z
            .number()
            .int()
            .openapi({ description: "How many PromotionPermission rules exist (0: all allowed)" }),
        products: z.array(z.string()).openapi({ description: "The products the caller may view" }),
        product: z.string().optional(),
        environments: z
            .array(
                z.object({
                    name,
                    kind: z.enum(["production", "non-production"]),
                    actions: z.record(z.string(), Decision),
                }),
            )
            .optional(),
        flows: z.array(z.object({ name, actions: z.record(z.string(), Decision) })).optional(),
        release: z.object({ id: z.string().optional(), actions: z.record(z.string(), Decision) }).optional(),
    })
    .openapi("Permissions");
export const Subject = z
    .object({
        user: name,
        email: z.string().optional(),
        groups: z.array(z.string()),
        via: z.enum(subjectSources).openapi({
            description:
                "token (an API token), oidc (a JWT), proxy (a trusted proxy's headers), loopback (no credentials, allowed by the server's binding), network (no credentials from another address, --insecure-no-auth), local (the CLI on the state)",
        }),
        address,
    })
    .openapi("Subject", { description: "Who the server takes the request to be" });
