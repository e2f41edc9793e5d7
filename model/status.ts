/**
 * The one status vocabulary (DESIGN.md, "Status vocabulary"): engine, records, CLI, JSON and web all import
 * it from here. Each kind is an `as const` list; types and sets derive from it.
 */
export const releaseStatuses = [
    "Queued",
    "Running",
    "Suspended",
    "Terminating",
    "Terminated",
    "Succeeded",
    "Failed",
] as const;
export type ReleaseStatus = (typeof releaseStatuses)[number];

export const environmentStatuses = [
    "Pending",
    "Running",
    "Suspended",
    "Succeeded",
    "Failed",
    "Terminated",
    "Skipped",
] as const;
export type EnvironmentStatus = (typeof environmentStatuses)[number];
/** Applications share the environments' vocabulary. */
export type ApplicationStatus = EnvironmentStatus;

export const workflowRunStatuses = [
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "Error",
    "Terminated",
] as const;
export type WorkflowRunStatus = (typeof workflowRunStatuses)[number];

/** Why a release or environment is Suspended or Queued. */
export const waitKinds = ["approval", "window", "soak", "queue", "pullRequest"] as const;
export type WaitKind = (typeof waitKinds)[number];

/** A release is over: it will not change again unless retried. */
export const finalReleaseStatuses: ReadonlySet<ReleaseStatus> = new Set([
    "Terminated",
    "Succeeded",
    "Failed",
]);
/** A release holds its product: later ones queue behind it. */
export const activeReleaseStatuses: ReadonlySet<ReleaseStatus> = new Set([
    "Running",
    "Suspended",
    "Terminating",
]);
/** An environment is done for this attempt. */
export const finalEnvironmentStatuses: ReadonlySet<EnvironmentStatus> = new Set([
    "Succeeded",
    "Failed",
    "Terminated",
    "Skipped",
]);
/** A workflow run is over. */
export const finalRunStatuses: ReadonlySet<WorkflowRunStatus> = new Set([
    "Succeeded",
    "Failed",
    "Error",
    "Terminated",
]);

/** How a status reads at a glance: good, bad, busy, waiting or idle (colours in the CLI and the console). */
export type StatusTone = "good" | "bad" | "busy" | "waiting" | "idle";

const tones: Record<ReleaseStatus | EnvironmentStatus | WorkflowRunStatus, StatusTone> = {
    Succeeded: "good",
    Skipped: "idle",
    Failed: "bad",
    Error: "bad",
    Terminated: "bad",
    Terminating: "busy",
    Running: "busy",
    Suspended: "waiting",
    Queued: "waiting",
    Pending: "idle",
};

export function toneOf(status: ReleaseStatus | EnvironmentStatus | WorkflowRunStatus): StatusTone {
    return tones[status];
}
