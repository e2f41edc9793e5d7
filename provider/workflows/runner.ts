import type { PromotionWorkflowDefinition } from "../../components/promotionWorkflow";

import type { WorkflowRunStatus } from "../../model/status";

export type { WorkflowRunStatus };

export interface WorkflowRunRequest {
    readonly workflow: PromotionWorkflowDefinition;
    /** The documented parameters (APP_NAME, RELEASE_ID, COMMIT_SHA, ...). */
    readonly parameters: Readonly<Record<string, string>>;
    /** Labels for runners that support them (product, environment, release, flow, application). */
    readonly labels: Readonly<Record<string, string>>;
    /** Default working directory for local commands (the definitions' directory). */
    readonly cwd: string;
    readonly signal?: AbortSignal;
}

export interface WorkflowRunResult {
    readonly workflow: string;
    readonly status: WorkflowRunStatus;
    readonly runId?: string;
    readonly startedAt: string;
    readonly finishedAt: string;
    /** The tail of the run's output (local), or a link to it (Argo). */
    readonly log?: string;
    /** Values the run exported (`PROMOTION_CONTEXT` among them). */
    readonly outputs: Readonly<Record<string, string>>;
    readonly message?: string;
}

/** One way of running a workflow. Adding a kind is one file implementing this plus one line in the registry. */
export interface WorkflowRunner {
    readonly kind: PromotionWorkflowDefinition["kind"];
    run(req: WorkflowRunRequest): Promise<WorkflowRunResult>;
}

export const defaultWorkflowTimeoutMs = 3_600_000;
