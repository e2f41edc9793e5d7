import type { OpType, Stack } from "@pulumi/pulumi/automation";
import { EnvironmentError } from "../../model/errors";
import { actionFor } from "../../provider/actions/registry";
import type { GitCredentials } from "../../provider/git/git";
import type { ScmConfig } from "../../provider/scm/scm";
import type { PlannedRelease } from "../record/plannedRelease";
import type { PreviewEnvironment, PreviewResult } from "./preview";
import { previewResult } from "./preview";
import type { PlannedResource, ProgramGates } from "../pulumi/promoteProgram";
import { evaluatePolicyPacks, packSets } from "../governance/policyPacks";
import { plannedResources, plannedSteps, promoteProgram, promotionInputs } from "../pulumi/promoteProgram";

/**
 * The release id a preview runs with: no release has it (real ids are `r<time><random>`), so the provider's
 * `diff` finds no commit of its own and reports a change only when the candidate's values are not all on the
 * target branch (or, for action `none`, always: its workflows run once per release).
 */
export const previewReleaseId = "preview";

/**
 * The gates of a preview's program: never called. The program registers every resource a release's update
 * does (post-action gates and pull-request merge waits too, or the engine would plan to delete those an
 * earlier release left), but resource hooks do not run in a preview (`onDryRun` is off), so nothing waits
 * and no workflow runs.
 */
export const previewGates: ProgramGates = {
    beforePromotion: () => Promise.reject(new Error("a preview runs no gates")),
    awaitPullRequest: () => Promise.reject(new Error("a preview runs no gates")),
    afterPromotion: () => Promise.reject(new Error("a preview runs no gates")),
};

/** The program a preview of a planned release runs: the release's own, under {@link previewReleaseId}. */
export function previewProgram(
    planned: PlannedRelease,
    cacheDir: string,
): () => Promise<Record<string, unknown>> {
    return promoteProgram({
        releaseId: previewReleaseId,
        product: planned.product.name,
        flow: planned.flow.name,
        plan: planned.plan,
        candidate: planned.candidate,
        cacheDir,
        gates: previewGates,
    });
}

/** What the engine said about each resource of the program: `same`, `update`, `create`, ... by URN. */
export type EngineSteps = ReadonlyMap<string, OpType>;

export interface EnginePreviewOptions {
    /** The product's promote stack (see openPromoteStack). */
    readonly stack: Stack;
    readonly cacheDir: string;
    readonly credentials: GitCredentials;
    readonly scm: ScmConfig;
}

/**
 * Runs `pulumi preview` of a planned release on the product's promote stack: the release's program (its
 * hooks do not run in a preview), only its resources targeted, under the placeholder release id. Each
 * EnvironmentPromotion's `diff` (in the dynamic-provider process) reads the live target branch and tells the
 * engine whether the release would change it. Writes nothing: a preview takes no lock and saves no checkpoint.
 */
export async function enginePreviewSteps(
    planned: PlannedRelease,
    stack: Stack,
    cacheDir: string,
): Promise<EngineSteps> {
    const { resources, steps, onEvent } = plannedSteps(planned.product.name, planned.plan);
    try {
        await stack.preview({
            program: previewProgram(planned, cacheDir),
            target: resources.map((r) => r.urn),
            onEvent,
        });
    } catch (e) {
        throw new EnvironmentError(
            `the engine's preview of ${planned.product.name} failed: ${previewError(e)}`,
            { entity: `Product "${planned.product.name}"` },
        );
    }
    return steps;
}

/** The `error:` lines of a failed preview (the Automation API error carries the whole output). */
function previewError(e: unknown): string {
    const message = e instanceof Error ? e.message : String(e);
    const lines = message.split("\n").filter((l) => /error:/i.test(l));
    return (lines.length > 0 ? lines.slice(0, 4) : message.split("\n").slice(0, 4))
        .map((l) => l.trim())
        .join("\n");
}

/**
 * Whether the engine would write to a group's branch: an `update` (the provider's diff saw values missing on
 * the branch, or action `none`) or a `replace`. A `create` (the stack has never promoted this group) runs the
 * action, which writes only what differs: then the branch read decides. `same`: nothing to change.
 */
export function engineWouldChange(op: OpType | undefined, pendingOnBranch: boolean): boolean {
    switch (op) {
        case "update":
        case "replace":
        case "create-replacement":
            return true;
        case "create":
            return pendingOnBranch;
        default:
            return false;
    }
}

/**
 * The engine's preview of a planned release, in the shape of the in-process preview (PreviewResult): whether
 * each environment would change is the engine's answer (the provider's real `diff` against the live branch);
 * the files, JSONPaths and values (from → to) are read from the same branches for the groups it names.
 */
export async function previewWithEngine(
    planned: PlannedRelease,
    o: EnginePreviewOptions,
): Promise<PreviewResult> {
    const steps = await enginePreviewSteps(planned, o.stack, o.cacheDir);
    const result = await renderEnginePreview(planned, steps, o);
    if (packSets(planned.plan.environments).length === 0) {
        return result;
    }
    // The policy packs, in their own preview (a mandatory violation fails a preview: the steps come first).
    const violations = await evaluatePolicyPacks({
        releaseId: previewReleaseId,
        product: planned.product.name,
        flow: planned.flow.name,
        plan: planned.plan,
        candidate: planned.candidate,
        cacheDir: o.cacheDir,
        stack: o.stack,
    });
    return {
        ...result,
        environments: result.environments.map((e) => {
            const own = violations.filter((v) => v.environment === e.name);
            return own.length > 0 ? { ...e, policyViolations: own } : e;
        }),
    };
}

/** The engine's steps, with each group's planned changes read from its branch. */
export async function renderEnginePreview(
    planned: PlannedRelease,
    steps: EngineSteps,
    o: Omit<EnginePreviewOptions, "stack">,
): Promise<PreviewResult> {
    const base = {
        releaseId: previewReleaseId,
        product: planned.product.name,
        flow: planned.flow.name,
        candidate: planned.candidate,
        cacheDir: o.cacheDir,
    };
    const byGroup = new Map<string, PlannedResource>(
        plannedResources(planned.product.name, planned.plan, false).map((r) => [r.group.name, r]),
    );
    const environments = await Promise.all(
        planned.plan.environments.map(async (env): Promise<PreviewEnvironment> => {
            const groups = await Promise.all(
                [...byGroup.values()]
                    .filter((r) => r.group.environment === env.name)
                    .map(async (r) => {
                        const plan = await actionFor(env.action).plan({
                            ...promotionInputs(base, env, r.group),
                            credentials: o.credentials,
                            scm: o.scm,
                        });
                        const changes = engineWouldChange(steps.get(r.urn), plan.pending);
                        return {
                            changes,
                            apps: plan.plans.map((p) => ({
                                name: p.application,
                                repoURL: r.group.repoURL,
                                branch: plan.branch,
                                changes: p.changes,
                                missing: p.missing,
                            })),
                        };
                    }),
            );
            return {
                name: env.name,
                dependsOn: env.dependsOn,
                action: env.action,
                ...(env.preAction ? { preAction: env.preAction } : {}),
                ...(env.postAction ? { postAction: env.postAction } : {}),
                wouldChange: groups.some((g) => g.changes),
                applications: groups.flatMap((g) => g.apps),
            };
        }),
    );
    return previewResult(planned, environments);
}
