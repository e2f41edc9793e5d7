/**
 * The work behind the EnvironmentPromotion dynamic resource. It runs in Pulumi's dynamic-provider process,
 * which loads this module by path (the serialized provider stays a few lines long).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ActionKind } from "../../model/kinds";
import { actionKinds } from "../../model/kinds";
import type { ActionRequest, ActionResult } from "../actions/action";
import { trailers } from "../actions/gitPlan";
import { handOn, settled, tracePlan } from "../actions/handedPlan";
import { actionFor } from "../actions/registry";
import { Repository } from "../git/repository";
import { credentials, guarded, scmConfig } from "./processEnv";

export interface EnvironmentPromotionInputs extends Omit<ActionRequest, "credentials" | "scm"> {
    readonly action: ActionKind;
}

/**
 * What the state keeps of a promotion: which release and environment, and what its action did. Not the inputs
 * again (the state holds those beside it): every step of an update rewrites the whole state, so each resource's
 * size is paid once per step of every resource.
 */
export type EnvironmentPromotionOutputs = Pick<EnvironmentPromotionInputs, "releaseId" | "environment"> &
    ActionResult;

/** How recent a fetch of the target branch (by this process) a diff reads instead of fetching again. */
export const diffFreshWithinMs = 2_000;

function request(inputs: EnvironmentPromotionInputs): ActionRequest {
    return { ...inputs, credentials: credentials(), scm: scmConfig() };
}

export async function check(
    _olds: EnvironmentPromotionInputs,
    news: EnvironmentPromotionInputs,
): Promise<pulumi.dynamic.CheckResult<EnvironmentPromotionInputs>> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const field of ["releaseId", "environment", "repoURL", "targetRevision", "cacheDir"] as const) {
        if (typeof news[field] !== "string" || news[field] === "") {
            failures.push({ property: field, reason: `${field} is required` });
        }
    }
    if (!(actionKinds as readonly string[]).includes(news.action)) {
        failures.push({
            property: "action",
            reason: `unknown action "${String(news.action)}": one of ${actionKinds.join(", ")}`,
        });
    }
    return { inputs: news, failures };
}

/**
 * Reads the truth: the live target branch. Changes when the candidate's values are not all there yet, or
 * when this release already pushed its commit (a crash between push and state: the update adopts it).
 * For `none`, once per release.
 */
export async function diff(
    _id: string,
    olds: EnvironmentPromotionOutputs,
    news: EnvironmentPromotionInputs,
): Promise<pulumi.dynamic.DiffResult> {
    return guarded(async () => {
        const newRelease = olds.releaseId !== news.releaseId;
        if (news.action === "none") {
            return { changes: newRelease };
        }
        // The engine diffs resources one after another: one fetch serves the diffs of the next moments (a
        // change made meanwhile is still found by the write, which plans again when the branch moved).
        const req = { ...request(news), freshWithinMs: diffFreshWithinMs };
        const plan = await actionFor(news.action).plan(req);
        tracePlan(req, "diff", plan.tip ? { tip: plan.tip } : {});
        // This plan is the release's plan for the environment: the pre-action hook and the write take it.
        if (plan.pending) {
            handOn(req, plan);
            return { changes: true };
        }
        if (newRelease) {
            const repo = await Repository.open(news.repoURL, news.cacheDir, credentials());
            const ours = await repo.findCommit(plan.branch, trailers(req));
            if (ours !== undefined) {
                handOn(req, plan);
            }
            return { changes: ours !== undefined };
        }
        return { changes: false };
    });
}

async function apply(inputs: EnvironmentPromotionInputs): Promise<EnvironmentPromotionOutputs> {
    const req = request(inputs);
    const result = await guarded(() => actionFor(inputs.action).run(req)).finally(() => settled(req));
    return { releaseId: inputs.releaseId, environment: inputs.environment, ...result };
}

export async function create(
    inputs: EnvironmentPromotionInputs,
): Promise<pulumi.dynamic.CreateResult<EnvironmentPromotionOutputs>> {
    const outs = await apply(inputs);
    return { id: `${inputs.environment}:${inputs.repoURL}:${outs.branch}`, outs };
}

export async function update(
    _id: string,
    _olds: EnvironmentPromotionOutputs,
    news: EnvironmentPromotionInputs,
): Promise<pulumi.dynamic.UpdateResult<EnvironmentPromotionOutputs>> {
    return { outs: await apply(news) };
}
