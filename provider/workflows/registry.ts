import type {
    PromotionWorkflowDefinition,
    WorkflowKind,
    WorkflowOfKind,
} from "../../components/promotionWorkflow";
import { argoRunnerEntry } from "./argo";
import { localRunnerEntry } from "./local";
import type {
    WorkflowRunner,
    WorkflowRunnerEntry,
    WorkflowRunRequest,
    WorkflowRunResult,
    WorkflowServices,
} from "./runner";

export type { WorkflowServices };

/**
 * Every kind of gate and its runner. Adding a kind: its schema in the list in
 * components/promotionWorkflow.ts, its runner file exporting a WorkflowRunnerEntry, and a line here.
 */
export const workflowRunners = [localRunnerEntry, argoRunnerEntry] as const;

type MissingRunners = Exclude<WorkflowKind, (typeof workflowRunners)[number]["kind"]>;
/** Does not compile, naming the kind, when a kind in components/promotionWorkflow.ts has no runner above. */
const everyKindHasARunner: [MissingRunners] extends [never] ? true : MissingRunners = true;
void everyKindHasARunner;

function entryFor<K extends WorkflowKind>(kind: K): WorkflowRunnerEntry<K> {
    const entry = (workflowRunners as readonly WorkflowRunnerEntry<WorkflowKind>[]).find(
        (e) => e.kind === kind,
    );
    if (!entry) {
        throw new Error(`no runner for workflow kind "${kind}"`); // the check above makes this unreachable
    }
    return entry as unknown as WorkflowRunnerEntry<K>;
}

/** The runner for a workflow's kind, made with these services. */
export function runnerFor(
    workflow: PromotionWorkflowDefinition,
    services: WorkflowServices = {},
): WorkflowRunner {
    const runner = entryFor(workflow.kind).create(services);
    return {
        kind: runner.kind,
        run(req: WorkflowRunRequest): Promise<WorkflowRunResult> {
            if (req.workflow.kind !== runner.kind) {
                throw new Error(
                    `workflow "${req.workflow.name}" is of kind ${req.workflow.kind}, not ${runner.kind}`,
                );
            }
            return runner.run(req as WorkflowRunRequest<WorkflowOfKind<typeof runner.kind>>);
        },
    };
}

/** Why a workflow cannot run with these services (naming what to set), or undefined when it can. */
export function cannotRun(
    workflow: PromotionWorkflowDefinition,
    services: WorkflowServices = {},
): string | undefined {
    const missing = entryFor(workflow.kind).requires.find((r) => services[r.service] === undefined);
    return missing
        ? `workflow "${workflow.name}" (${workflow.kind}) cannot run: ${missing.missing}`
        : undefined;
}
