import type { ReleaseStatus } from "../../model/status";
import { GateFailedError } from "./gates";
import type { Gates } from "./gates";
import type {
    EnvironmentRecord,
    ReleasePlan,
    ReleaseRecord,
    WorkflowRunRecord,
} from "../record/releaseRecord";
import { runKeys, stepHooks } from "./releaseState";

/** `FAILED_ENVIRONMENTS`: the JSON list hooks get on failure. */
function failedEnvironments(environments: readonly EnvironmentRecord[]): string {
    return JSON.stringify(
        environments
            .filter((e) => e.status === "Failed" || e.status === "Terminated")
            .map((e) => ({ name: e.name, status: e.status, "error-message": e.error ?? "" })),
    );
}

/** Runs a hook; a failed one is returned as its message, anything else is thrown. */
async function attempt(run: () => Promise<void>): Promise<string | undefined> {
    try {
        await run();
        return undefined;
    } catch (e) {
        if (!(e instanceof GateFailedError)) {
            throw e;
        }
        return e.message;
    }
}

/**
 * The flow's onStart, then the trigger environment's workflow, before any target: once per release (a retry
 * does not repeat one that passed). Returns the failure, if one failed.
 */
export function runStartHooks(gates: Gates, record: ReleaseRecord): Promise<string | undefined> {
    const passed = (workflow: string) =>
        (record.hooks ?? []).some((h) => h.workflow === workflow && h.status === "Succeeded");
    const { hooks = {}, triggerWorkflow, trigger } = record.plan;
    return attempt(async () => {
        if (hooks.onStart && !passed(hooks.onStart)) {
            await gates.hook(runKeys.releaseHook("onStart"), hooks.onStart);
        }
        if (triggerWorkflow && !passed(triggerWorkflow)) {
            await gates.triggerWorkflow(
                runKeys.trigger,
                triggerWorkflow,
                trigger,
                record.sourceApplication,
                record.plan.source,
            );
        }
    });
}

/**
 * Each environment's onSuccess / onFail that finished in this attempt; a failing step hook fails its
 * environment (and so the release). Returns the environments with their hook runs.
 */
export async function runStepEndHooks(
    gates: Gates,
    plan: ReleasePlan,
    environments: readonly EnvironmentRecord[],
): Promise<EnvironmentRecord[]> {
    const out: EnvironmentRecord[] = [];
    for (const rec of environments) {
        const env = plan.environments.find((p) => p.name === rec.name);
        let next = rec;
        const which =
            rec.status === "Succeeded" ? "onSuccess" : rec.status === "Failed" ? "onFail" : undefined;
        const hook = which ? env?.hooks?.[which] : undefined;
        if (env && which && hook) {
            const extra: Record<string, string> = { ENVIRONMENT: env.name };
            if (rec.status === "Failed") {
                extra.ERROR_MESSAGE = rec.error ?? "failed";
                extra.FAILED_ENVIRONMENTS = failedEnvironments([rec]);
            }
            const failure = await attempt(() =>
                gates.hook(runKeys.stepHook(env.name, which), hook, extra, { environment: env.name }),
            );
            if (failure) {
                next = { ...rec, status: "Failed", error: [rec.error, failure].filter(Boolean).join("\n") };
            }
        }
        const runs = stepHooks
            .map((h) => gates.runs.get(runKeys.stepHook(rec.name, h)))
            .filter((r): r is WorkflowRunRecord => r !== undefined);
        out.push(runs.length > 0 && env ? { ...next, hooks: runs } : next);
    }
    return out;
}

/**
 * The flow's onSuccess or onFail (a Terminated release runs onFail too, as Codefresh does); a failing onSuccess
 * fails the release, and onFail runs. Returns the final status and error.
 */
export async function runEndHooks(
    gates: Gates,
    plan: ReleasePlan,
    outcome: { status: ReleaseStatus; error?: string; environments: readonly EnvironmentRecord[] },
): Promise<{ status: ReleaseStatus; error?: string }> {
    const hooks = plan.hooks ?? {};
    let { status, error } = outcome;
    const run = (which: "onSuccess" | "onFail", workflow: string) =>
        attempt(() =>
            gates.hook(
                runKeys.releaseHook(which),
                workflow,
                which === "onSuccess"
                    ? {}
                    : {
                          ERROR_MESSAGE: error ?? "",
                          FAILED_ENVIRONMENTS: failedEnvironments(outcome.environments),
                      },
            ),
        );
    if (status === "Succeeded" && hooks.onSuccess) {
        const failure = await run("onSuccess", hooks.onSuccess);
        if (failure) {
            status = "Failed";
            error = failure;
            if (hooks.onFail) {
                await run("onFail", hooks.onFail).catch(() => undefined);
            }
        }
    } else if (status !== "Succeeded" && hooks.onFail) {
        const failure = await run("onFail", hooks.onFail);
        if (failure) {
            error = [error, failure].filter(Boolean).join("\n");
        }
    }
    return { status, ...(error ? { error } : {}) };
}

/** The release-level hook runs of this attempt, after those of earlier attempts that were not run again. */
export function releaseHookRuns(
    gates: Gates,
    earlier: readonly WorkflowRunRecord[] = [],
): WorkflowRunRecord[] {
    const now = [
        runKeys.releaseHook("onStart"),
        runKeys.trigger,
        runKeys.releaseHook("onSuccess"),
        runKeys.releaseHook("onFail"),
    ]
        .map((k) => gates.runs.get(k))
        .filter((r): r is WorkflowRunRecord => r !== undefined);
    return [...earlier.filter((h) => !now.some((r) => r.workflow === h.workflow)), ...now];
}
