import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OpType, Stack } from "@pulumi/pulumi/automation";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import { actionFor } from "../../provider/actions/registry";
import type { GitCredentials } from "../../provider/git/git";
import { Repository } from "../../provider/git/repository";
import type { ScmConfig } from "../../provider/scm/scm";
import type { PlannedRelease, ReleaseTarget } from "../record/plannedRelease";
import { plannedSteps, promoteProgram, promotionInputs, resourceGroups } from "../pulumi/promoteProgram";

/** The format tag of a saved plan file. */
export const savedPlanFormat = "pulumi-promotions/update-plan@1";

/** One file a saved plan would change, and a hash of its content when the preview read it (null: absent). */
export interface PlanFile {
    readonly repoURL: string;
    readonly branch: string;
    readonly file: string;
    readonly sha256: string | null;
}

/**
 * What `promote preview --save-plan FILE` writes: the release it fixes (id, source commit), the files it
 * would change as read then, and Pulumi's update plan of the promote stack (`pulumi preview --save-plan`).
 */
export interface SavedPlan {
    readonly format: typeof savedPlanFormat;
    readonly product: string;
    readonly target: ReleaseTarget;
    readonly releaseId: string;
    readonly sourceCommit: string;
    readonly version?: string;
    readonly createdAt: string;
    readonly files: readonly PlanFile[];
    /** Pulumi's update plan, as the engine saved it. */
    readonly pulumiPlan: unknown;
}

/** The hash the record keeps of the plan file applied. */
export function planSha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

/** Reads and checks a saved plan file (exit 2 when it is not one). */
export function readSavedPlan(file: string): { plan: SavedPlan; sha256: string } {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new InvalidInputError(`cannot read the plan file ${file}: ${(e as Error).message}`, {
            path: file,
        });
    }
    let plan: SavedPlan;
    try {
        plan = JSON.parse(text) as SavedPlan;
    } catch {
        plan = {} as SavedPlan;
    }
    if (
        plan.format !== savedPlanFormat ||
        typeof plan.releaseId !== "string" ||
        typeof plan.sourceCommit !== "string" ||
        !Array.isArray(plan.files) ||
        plan.pulumiPlan === undefined
    ) {
        throw new InvalidInputError(
            `${file} is not a plan saved by 'promote preview --save-plan' (format ${savedPlanFormat})`,
            { path: file },
        );
    }
    return { plan, sha256: planSha256(text) };
}

/** The release a plan was saved for must be the one asked for: same product and target. */
export function checkPlanTarget(plan: SavedPlan, product: string, target: ReleaseTarget, file: string): void {
    if (plan.product !== product || JSON.stringify(plan.target) !== JSON.stringify(target)) {
        const describe = (p: string, t: ReleaseTarget) =>
            `product ${p}, ${"flow" in t ? `flow ${t.flow}` : "from" in t ? `${t.from} → ${t.to}` : "rollback"}`;
        throw new InvalidInputError(
            `the plan ${file} was saved for ${describe(plan.product, plan.target)}, not ${describe(product, target)}`,
            { path: file },
        );
    }
}

/**
 * What differs between the files a plan was saved with and the same files now: each file added to or gone
 * from the set the release would change, or whose content changed since. Empty: the plan still holds. Pure.
 */
export function stalePlanFiles(saved: readonly PlanFile[], now: readonly PlanFile[]): string[] {
    const key = (f: PlanFile) => `${f.repoURL}#${f.branch}:${f.file}`;
    const before = new Map(saved.map((f) => [key(f), f]));
    const after = new Map(now.map((f) => [key(f), f]));
    const out: string[] = [];
    for (const [k, f] of before) {
        const n = after.get(k);
        if (!n) {
            out.push(`${f.file} on ${f.branch} of ${f.repoURL} no longer needs the change the plan makes`);
        } else if (n.sha256 !== f.sha256) {
            out.push(`${f.file} on ${f.branch} of ${f.repoURL} changed since the preview`);
        }
    }
    for (const [k, f] of after) {
        if (!before.has(k)) {
            out.push(`${f.file} on ${f.branch} of ${f.repoURL} would now change too, and is not in the plan`);
        }
    }
    return out;
}

export interface PlanReadOptions {
    readonly releaseId: string;
    readonly cacheDir: string;
    readonly credentials: GitCredentials;
    readonly scm: ScmConfig;
}

/** The files a planned release would change in every environment, each with a hash of its content now. */
export async function plannedFiles(planned: PlannedRelease, o: PlanReadOptions): Promise<PlanFile[]> {
    const base = {
        releaseId: o.releaseId,
        product: planned.product.name,
        flow: planned.flow.name,
        candidate: planned.candidate,
        cacheDir: o.cacheDir,
    };
    const out: PlanFile[] = [];
    for (const env of planned.plan.environments) {
        for (const g of resourceGroups(env)) {
            const plan = await actionFor(env.action).plan({
                ...promotionInputs(base, env, g),
                credentials: o.credentials,
                scm: o.scm,
            });
            const files = [...new Set(plan.plans.flatMap((p) => [...p.files.keys()]))].sort();
            if (files.length === 0) {
                continue;
            }
            const repo = await Repository.open(g.repoURL, o.cacheDir, o.credentials);
            const tip = plan.tip ?? (await repo.tip(plan.branch));
            const content = tip ? await repo.readFiles(tip, files) : new Map<string, Buffer>();
            for (const file of files) {
                const c = content.get(file);
                out.push({
                    repoURL: g.repoURL,
                    branch: plan.branch,
                    file,
                    sha256: c ? planSha256(c) : null,
                });
            }
        }
    }
    return out;
}

/**
 * Runs `fn` with PULUMI_EXPERIMENTAL set for this stack's commands only (update plans are experimental in
 * Pulumi): the workspace's environment, not this process's, and only for as long as `fn` runs.
 */
export async function withExperimental<T>(stack: Stack, fn: () => Promise<T>): Promise<T> {
    const ws = stack.workspace as unknown as { envVars?: Record<string, string> };
    const env = (ws.envVars ??= {});
    const before = env.PULUMI_EXPERIMENTAL;
    env.PULUMI_EXPERIMENTAL = "true";
    try {
        return await fn();
    } finally {
        if (before === undefined) {
            delete env.PULUMI_EXPERIMENTAL;
        } else {
            env.PULUMI_EXPERIMENTAL = before;
        }
    }
}

/** The gates of the plan's preview: never called (hooks do not run in a preview). */
const noGates = {
    beforePromotion: () => Promise.reject(new Error("a preview runs no gates")),
    awaitPullRequest: () => Promise.reject(new Error("a preview runs no gates")),
    afterPromotion: () => Promise.reject(new Error("a preview runs no gates")),
};

/**
 * `promote preview --save-plan FILE`: a `pulumi preview --save-plan` of the release's program on the promote
 * stack under the release id the plan fixes (the same program, targets and inputs the release's update will
 * have), with the files it would change read from their branches. Writes FILE, nothing else. Returns the
 * engine's steps too: they are the engine's preview (see renderEnginePreview).
 */
export async function savePlan(
    planned: PlannedRelease,
    target: ReleaseTarget,
    stack: Stack,
    o: PlanReadOptions & { readonly file: string },
): Promise<{ plan: SavedPlan; steps: ReadonlyMap<string, OpType> }> {
    const files = await plannedFiles(planned, o);
    const { resources, steps, onEvent } = plannedSteps(planned.product.name, planned.plan);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-plan-"));
    try {
        const pulumiPlanFile = path.join(tmp, "plan.json");
        await withExperimental(stack, () =>
            stack.preview({
                program: promoteProgram({
                    releaseId: o.releaseId,
                    product: planned.product.name,
                    flow: planned.flow.name,
                    plan: planned.plan,
                    candidate: planned.candidate,
                    cacheDir: o.cacheDir,
                    gates: noGates,
                }),
                target: resources.map((r) => r.urn),
                plan: pulumiPlanFile,
                onEvent,
            }),
        ).catch((e: unknown) => {
            throw new EnvironmentError(
                `the engine's preview of ${planned.product.name} (saving its update plan) failed: ${(e as Error).message.split("\n").slice(0, 6).join("\n")}`,
                { entity: `Product "${planned.product.name}"` },
            );
        });
        const saved: SavedPlan = {
            format: savedPlanFormat,
            product: planned.product.name,
            target,
            releaseId: o.releaseId,
            sourceCommit: planned.candidate.sourceCommit,
            ...(planned.candidate.version ? { version: planned.candidate.version } : {}),
            createdAt: new Date().toISOString(),
            files,
            pulumiPlan: JSON.parse(fs.readFileSync(pulumiPlanFile, "utf8")) as unknown,
        };
        fs.writeFileSync(o.file, JSON.stringify(saved, null, 2) + "\n");
        return { plan: saved, steps };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Pulumi's part of a saved plan, written to a temporary file for `pulumi up --plan`; call `remove` after. */
export function pulumiPlanFile(plan: SavedPlan): { file: string; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-plan-"));
    const file = path.join(dir, "plan.json");
    fs.writeFileSync(file, JSON.stringify(plan.pulumiPlan));
    return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
