import { Repository } from "../git/repository";
import type { ApplicationPlan } from "../promotion";
import { planApplication } from "../promotion";
import type { ActionPlan, ActionRequest } from "./action";
import { handedPlan, processStartedMs, stillHolds, tracePlan } from "./handedPlan";

/**
 * Plans every application of the request against the branch tip. The repository is fetched first unless
 * `freshWithinMs` says a recent sync by this process is good enough (a push finding it stale fetches anyway).
 */
export async function planAgainstTip(
    req: ActionRequest,
    freshWithinMs = 0,
): Promise<ActionPlan & { repo: Repository }> {
    const { repo, branch, tip } = await branchTip(req, freshWithinMs);
    const plans = await Promise.all(
        req.applications.map((a) => planApplication(repo, tip, a, req.candidate)),
    );
    return { repo, branch, tip, plans, pending: plans.some((p) => p.changes.length > 0) };
}

/** The clone, the branch and its tip (fetched first unless `freshWithinMs` says a recent sync will do). */
export async function branchTip(
    req: ActionRequest,
    freshWithinMs = 0,
): Promise<{ repo: Repository; branch: string; tip: string }> {
    const repo = await Repository.open(req.repoURL, req.cacheDir, req.credentials);
    const branch = await repo.branchFor(req.targetRevision);
    await repo.fetchIfStale(branch, req.freshWithinMs ?? freshWithinMs);
    const tip = await repo.tip(branch);
    if (!tip) {
        throw new Error(
            `${req.repoURL}: branch "${branch}" does not exist (targetRevision of ${req.applications.map((a) => a.name).join(", ")})`,
        );
    }
    return { repo, branch, tip };
}

/**
 * The plans a write commits onto `head`: the plan handed on by this update's diff (or pre-action hook) while it
 * still holds there (see handedPlan.ts), else a plan made now against `head`. `replanned` says why a handed
 * plan did not hold (the branch moved between plan and write).
 */
export async function planForWrite(
    repo: Repository,
    head: string,
    req: ActionRequest,
): Promise<{ readonly plans: readonly ApplicationPlan[]; readonly replanned?: string }> {
    const handed = handedPlan(req, processStartedMs);
    const check = handed ? stillHolds(handed, req, head) : undefined;
    if (handed && check?.holds) {
        return { plans: handed.plans };
    }
    const replanned = check && !check.holds ? check.reason : undefined;
    tracePlan(req, "write", { tip: head, ...(replanned ? { reason: replanned } : {}) });
    const plans = await Promise.all(
        req.applications.map((a) => planApplication(repo, head, a, req.candidate)),
    );
    return { plans, ...(replanned ? { replanned } : {}) };
}

/** The trailers that tie a commit to one release and environment (and make retries idempotent). */
export function trailers(req: ActionRequest): Record<string, string> {
    return {
        "Promotion-Release": req.releaseId,
        "Promotion-Product": req.product,
        "Promotion-Source-Commit": req.candidate.sourceCommit,
        "Promotion-Environment": req.environment,
    };
}

/**
 * A value as one line of a commit message: control characters (newlines among them, which could forge
 * trailers) escaped the way JSON writes them, and cut to a readable length.
 */
export function oneLine(value: string, max = 100): string {
    const escaped = JSON.stringify(value).slice(1, -1);
    return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/** The commit message: product, release, source and target, then the trailers (ours alone). */
export function commitMessage(req: ActionRequest): string {
    const version = req.candidate.version ? ` ${oneLine(req.candidate.version)}` : "";
    const apps = req.applications.map((a) => a.name).join(", ");
    // The user's note, its lines kept but its control characters dropped, and a line that would read as one of
    // our trailers quoted (`> `): only the release's own trailers find its commits.
    const note = req.candidate.note
        ?.replace(/\r\n?/g, "\n")
        .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
        .split("\n")
        .map((l) => (/^\s*promotion-[\w-]*\s*:/i.test(l) ? `> ${l}` : l))
        .join("\n")
        .trim();
    return [
        `promote ${req.product}${version} to ${req.environment}`,
        "",
        ...(note ? [note, ""] : []),
        `Release ${req.releaseId} (flow ${req.flow}) promotes ${req.candidate.sourceApplication} at ` +
            `${req.candidate.sourceCommit.slice(0, 12)} to ${req.environment}: ${apps}.`,
        "",
        ...Object.entries(trailers(req)).map(([k, v]) => `${k}: ${v}`),
        "",
    ].join("\n");
}
