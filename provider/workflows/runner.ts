import type {
    PromotionWorkflowDefinition,
    WorkflowKind,
    WorkflowOfKind,
} from "../../components/promotionWorkflow";
import { parseDuration } from "../../model/duration";
import type { WorkflowServices } from "./services";
import type { WorkflowRunStatus } from "../../model/status";

export type { WorkflowRunStatus, WorkflowServices };

export interface WorkflowRunRequest<W extends PromotionWorkflowDefinition = PromotionWorkflowDefinition> {
    readonly workflow: W;
    /** The documented parameters (APP_NAME, RELEASE_ID, COMMIT_SHA, ...). */
    readonly parameters: Readonly<Record<string, string>>;
    /** Labels for runners that support them (product, environment, release, flow, application). */
    readonly labels: Readonly<Record<string, string>>;
    /** Default working directory for local commands (the definitions' directory). */
    readonly cwd: string;
    /** Aborted when the release is terminated or the flow's timeout passes: the run stops, Terminated. */
    readonly signal?: AbortSignal;
}

export interface WorkflowRunResult {
    readonly workflow: string;
    readonly status: WorkflowRunStatus;
    readonly runId?: string;
    readonly startedAt: string;
    readonly finishedAt: string;
    /** The tail of the run's output (local), or a link to it (Argo); secrets redacted. */
    readonly log?: string;
    /** Values the run exported (`PROMOTION_CONTEXT` among them). */
    readonly outputs: Readonly<Record<string, string>>;
    /** Why the run did not succeed; secrets redacted. */
    readonly message?: string;
}

/** One way of running a workflow: one per kind, listed in registry.ts. */
export interface WorkflowRunner<K extends WorkflowKind = WorkflowKind> {
    readonly kind: K;
    run(req: WorkflowRunRequest<WorkflowOfKind<K>>): Promise<WorkflowRunResult>;
}

export const defaultWorkflowTimeoutMs = 3_600_000;

/** How long a run of this workflow may take (its `timeout`, else one hour). */
export function workflowTimeoutMs(workflow: PromotionWorkflowDefinition): number {
    return (
        (workflow.timeout !== undefined ? parseDuration(workflow.timeout) : undefined) ??
        defaultWorkflowTimeoutMs
    );
}

/** A service a kind of runner cannot work without, and what to tell the user when it is missing. */
export interface RequiredService {
    readonly service: keyof WorkflowServices;
    /** e.g. `no Argo Server is configured: set PROMOTIONS_ARGO_URL (...)`: names what to set. */
    readonly missing: string;
}

/**
 * One kind of gate, as listed in registry.ts: the services it needs and how to make its runner (its schema is in
 * the list in components/promotionWorkflow.ts).
 */
export interface WorkflowRunnerEntry<K extends WorkflowKind> {
    readonly kind: K;
    readonly requires: readonly RequiredService[];
    create(services: WorkflowServices): WorkflowRunner<K>;
}
