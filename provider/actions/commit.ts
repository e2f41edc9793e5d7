import { setTimeout as sleep } from "node:timers/promises";
import { withDirLock } from "../dirLock";
import { Repository, serialized } from "../git/repository";
import { backoffMs } from "../git/retry";
import { mergeFileChanges, planApplication } from "../promotion";
import type { ActionRequest, ActionResult, PromotionAction } from "./action";
import { commitMessage, planAgainstTip, trailers } from "./gitPlan";

/**
 * How many times a push is tried while other writers keep moving the branch: enough for dozens of writers
 * taking turns, with exponential backoff and full jitter between tries (so they spread out instead of
 * colliding again), about three minutes in all at most.
 */
export const maxPushAttempts = 40;
const pushBackoff = { baseMs: 50, maxMs: 5_000 };

/**
 * `commit`: one commit per repository branch per environment, pushed to the applications' branch. A push
 * rejected because the branch moved is retried on the new tip (fetch, re-apply, push), so the other writer's
 * commit is kept. Nothing to change: Skipped, no empty commit. Re-running after a crash finds the commit this
 * release already pushed (by its trailers) instead of making another.
 */
export const commitAction = {
    kind: "commit",
    wouldDo: "would commit",
    async plan(req) {
        const { repo: _repo, ...plan } = await planAgainstTip(req);
        return plan;
    },
    run(req: ActionRequest): Promise<ActionResult> {
        // Writers of one branch would only race each other's pushes: they take turns, within the provider
        // process (environments of one release) and between processes of this host (releases of other
        // products) through a lock beside the clone cache. Retries remain for writers on other hosts.
        const dir = Repository.dirFor(req.cacheDir, req.repoURL);
        const key = `${dir}#${req.targetRevision}`;
        const lock = `${dir}.${req.targetRevision.replace(/[^A-Za-z0-9._-]/g, "_")}.push-lock`;
        return serialized(key, () => withDirLock(lock, () => commitOnce(req)));
    },
} satisfies PromotionAction;

async function commitOnce(req: ActionRequest): Promise<ActionResult> {
    for (let attempt = 1; ; attempt++) {
        const { repo, branch, tip, plans, pending } = await planAgainstTip(req);
        const results = plans.map((p) => ({ name: p.application, changes: p.changes }));
        if (!pending) {
            const existing = await repo.findCommit(branch, trailers(req));
            if (!existing) {
                return { status: "Skipped", branch, results, attempts: attempt - 1 };
            }
            // This release already pushed (an attempt that died before recording it): adopt that commit
            // and report what it changed.
            const parent = await repo.resolveCommit(`${existing}^`);
            const adopted = parent
                ? await Promise.all(
                      req.applications.map((a) => planApplication(repo, parent, a, req.candidate)),
                  )
                : plans;
            return {
                status: "Succeeded",
                branch,
                commitSha: existing,
                results: adopted.map((p) => ({ name: p.application, changes: p.changes })),
                attempts: attempt - 1,
            };
        }
        const sha = await repo.commit(tip!, mergeFileChanges(plans), commitMessage(req));
        if ((await repo.push(sha, branch)) === "pushed") {
            return { status: "Succeeded", branch, commitSha: sha, results, attempts: attempt };
        }
        if (attempt >= maxPushAttempts) {
            throw new Error(
                `${req.repoURL} ${branch}: push rejected ${attempt} times (the branch keeps moving); retry the release`,
            );
        }
        await sleep(backoffMs(attempt, pushBackoff));
    }
}
