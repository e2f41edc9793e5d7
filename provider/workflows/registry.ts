import type { PromotionWorkflowDefinition } from "../../components/promotionWorkflow";
import type { ArgoCdConfig } from "../health/argoCd";
import type { ArgoServerConfig } from "./argo";
import { argoRunner } from "./argo";
import { localRunner } from "./local";
import type { WorkflowRunner } from "./runner";

/** What gates need from outside: where the Argo Server and Argo CD are. */
export interface WorkflowServices {
    readonly argo?: ArgoServerConfig;
    readonly argocd?: ArgoCdConfig;
}

/** The runner for a workflow's kind. Adding a kind: a file implementing WorkflowRunner, and a line here. */
export function runnerFor(
    workflow: PromotionWorkflowDefinition,
    services: WorkflowServices = {},
): WorkflowRunner {
    switch (workflow.kind) {
        case "local":
            return localRunner;
        case "argo":
            return argoRunner(services.argo);
    }
}

/** Why a workflow cannot run with these services, or undefined when it can. */
export function cannotRun(
    workflow: PromotionWorkflowDefinition,
    services: WorkflowServices = {},
): string | undefined {
    if (workflow.kind === "argo" && !services.argo) {
        return `workflow "${workflow.name}" is an Argo WorkflowTemplate and no Argo Server is configured: set PROMOTIONS_ARGO_URL (and PROMOTIONS_ARGO_TOKEN, PROMOTIONS_ARGO_NAMESPACE)`;
    }
    return undefined;
}
