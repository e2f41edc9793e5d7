import type { PolicyViolation } from "../governance/policyPacks";
import type { ActionKind } from "../../model/kinds";
import { actionFor } from "../../provider/actions/registry";
import { closeBatchReaders } from "../../provider/git/batchReader";
import type { GitCredentials } from "../../provider/git/git";
import type { Change } from "../../provider/promotion";
import type { ScmConfig } from "../../provider/scm/scm";
import type { PlannedRelease } from "../record/plannedRelease";
import { promotionInputs, resourceGroups } from "../pulumi/promoteProgram";

export interface PreviewEnvironment {
    readonly name: string;
    readonly dependsOn: readonly string[];
    readonly action: ActionKind;
    readonly preAction?: string;
    readonly postAction?: string;
    /** True when the release would write to (or run workflows in) this environment. */
    readonly wouldChange: boolean;
    readonly applications: readonly {
        readonly name: string;
        readonly repoURL: string;
        readonly branch: string;
        readonly changes: readonly Change[];
        /** Candidate files the target application does not have (left alone). */
        readonly missing: readonly string[];
    }[];
    /** With policy packs (engine preview only): what they reported; a mandatory one blocks the environment. */
    readonly policyViolations?: readonly PolicyViolation[];
}

export interface PreviewResult {
    readonly product: string;
    readonly flow: string;
    readonly flowVersion?: string;
    readonly sourceApplication: string;
    readonly sourceCommit: string;
    readonly version?: string;
    /** In DAG order. */
    readonly environments: readonly PreviewEnvironment[];
}

/**
 * How recently planning must have fetched a repository for preview to read it as it is: planRelease fetches
 * every repository it reads (once per repository) just before, so preview does not fetch again per environment.
 */
const plannedWithinMs = 60_000;

/**
 * What a planned release would change in every environment, read from the live repositories (as planning just
 * fetched them); writes nothing. Every file is read through one git process per repository.
 */
export async function previewRelease(
    planned: PlannedRelease,
    o: { cacheDir: string; credentials: GitCredentials; scm: ScmConfig },
): Promise<PreviewResult> {
    try {
        return await previewPlanned(planned, o);
    } finally {
        closeBatchReaders();
    }
}

async function previewPlanned(
    planned: PlannedRelease,
    o: { cacheDir: string; credentials: GitCredentials; scm: ScmConfig },
): Promise<PreviewResult> {
    const base = {
        releaseId: "preview",
        product: planned.product.name,
        flow: planned.flow.name,
        candidate: planned.candidate,
        cacheDir: o.cacheDir,
    };
    const environments = await Promise.all(
        planned.plan.environments.map(async (env) => {
            const groups = await Promise.all(
                resourceGroups(env).map(async (g) => {
                    const plan = await actionFor(env.action).plan({
                        ...promotionInputs(base, env, g),
                        credentials: o.credentials,
                        scm: o.scm,
                        freshWithinMs: plannedWithinMs,
                    });
                    return plan.plans.map((p) => ({
                        name: p.application,
                        repoURL: g.repoURL,
                        branch: plan.branch,
                        changes: p.changes,
                        missing: p.missing,
                        pending: plan.pending,
                    }));
                }),
            );
            const apps = groups.flat();
            return {
                name: env.name,
                dependsOn: env.dependsOn,
                action: env.action,
                ...(env.preAction ? { preAction: env.preAction } : {}),
                ...(env.postAction ? { postAction: env.postAction } : {}),
                wouldChange: apps.some((a) => a.pending),
                applications: apps.map(({ pending: _p, ...a }) => a),
            };
        }),
    );
    return previewResult(planned, environments);
}

/** A preview's answer: the release it previews (product, flow, source, version) and each environment's change. */
export function previewResult(planned: PlannedRelease, environments: PreviewEnvironment[]): PreviewResult {
    return {
        product: planned.product.name,
        flow: planned.flow.name,
        ...(planned.flow.version ? { flowVersion: planned.flow.version } : {}),
        sourceApplication: planned.sourceApplication.name,
        sourceCommit: planned.candidate.sourceCommit,
        ...(planned.candidate.version ? { version: planned.candidate.version } : {}),
        environments,
    };
}
