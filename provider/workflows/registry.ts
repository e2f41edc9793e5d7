import type { PromotionWorkflowDefinition } from "../../components/promotionWorkflow";
import { localRunner } from "./local";
import type { WorkflowRunner } from "./runner";

/** Every workflow runner, by workflow kind. */
const runners: Partial<Record<PromotionWorkflowDefinition["kind"], WorkflowRunner>> = {
    local: localRunner,
};

export function runnerFor(workflow: PromotionWorkflowDefinition): WorkflowRunner {
    const r = runners[workflow.kind];
    if (!r) {
        throw new Error(
            `workflow "${workflow.name}" is an ${workflow.kind} workflow, and running ${workflow.kind} workflows is not available in this version`,
        );
    }
    return r;
}

export function canRun(workflow: PromotionWorkflowDefinition): boolean {
    return runners[workflow.kind] !== undefined;
}
