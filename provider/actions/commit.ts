import { setTimeout as sleep } from "node:timers/promises";
import * as fs from "fs";
import { EnvironmentError } from "../../model/errors";
import { readOr, statOr, withDirLock } from "../dirLock";
import { Repository, serialized } from "../git/repository";
import { backoffMs } from "../git/retry";
import { mergeFileChanges, planApplication } from "../promotion";
import type { ActionRequest, ActionResult, PromotionAction } from "./action";
import { commitMessage, planAgainstTip, planForWrite, trailers } from "./gitPlan";
import { madeCommit } from "./handedPlan";

/**
 * How many times a push is tried while other writers keep moving the branch: enough for dozens of writers
 * taking turns, with exponential backoff and full jitter between tries (so they spread out instead of
 * colliding again), about three minutes in all at most.
 */
export const maxPushAttempts = 40;
const pushBackoff = { baseMs: 50, maxMs: 5_000 };

/**
 * How long this process trusts its own view of a branch (its last fetch or push) for a first attempt, when no
 * other process of this host pushed to it meanwhile. A view gone stale (another host pushed) only costs a
 * rejected push, after which the branch is fetched: the push is the check.
 */
export const syncedWithinMs = 10_000;

/**
 * `commit`: one commit per repository branch per environment, pushed to the applications' branch. A push
 * rejected because the branch moved is retried on the new tip (fetch, re-apply, push), so the other writer's
 * commit is kept. Nothing to change: Skipped, no empty commit. Re-running after a crash finds the commit this
 * release already pushed (by its trailers) instead of making another.
 *
 * Environments writing to one branch while a push is under way wait together, and go out in one push: each
 * still gets its own commit (one on top of the other), pushed all at once or not at all.
 */
export const commitAction = {
    kind: "commit",
    async plan(req) {
        const { repo: _repo, ...plan } = await planAgainstTip(req);
        return plan;
    },
    run(req: ActionRequest): Promise<ActionResult> {
        // Writers of one branch would only race each other's pushes: they take turns, within the provider
        // process (environments of one release, several to a push) and between processes of this host
        // (releases of other products) through a lock beside the clone cache. Retries remain for writers on
        // other hosts.
        const dir = Repository.dirFor(req.cacheDir, req.repoURL);
        const key = `${dir}#${req.targetRevision}`;
        const lock = `${dir}.${req.targetRevision.replace(/[^A-Za-z0-9._-]/g, "_")}.push-lock`;
        return new Promise<ActionResult>((resolve, reject) => {
            const gathering = waiting.get(key);
            if (gathering) {
                gathering.push({ req, resolve, reject });
                return;
            }
            const batch: Waiter[] = [{ req, resolve, reject }];
            waiting.set(key, batch);
            void serialized(key, async () => {
                // From here on, newcomers gather for the next push.
                waiting.delete(key);
                try {
                    await withDirLock(lock, () => commitBatch(batch, `${lock}.tip`));
                } catch (e) {
                    batch.forEach((w) => w.reject(e));
                }
            });
        });
    },
} satisfies PromotionAction;

interface Waiter {
    readonly req: ActionRequest;
    readonly resolve: (r: ActionResult) => void;
    readonly reject: (e: unknown) => void;
}

/** Per branch: the environments gathering for the next push (not started yet). */
const waiting = new Map<string, Waiter[]>();

/**
 * The commits of a batch of environments (same repository and branch), the branch's lock held: each planned
 * on top of the one before, all pushed at once. `tipFile` (beside the lock) holds the last commit any process
 * of this host pushed to the branch: when this process's view already ends there, the first attempt needs no
 * fetch. Every waiter is settled (resolved or rejected) before this returns.
 */
async function commitBatch(batch: readonly Waiter[], tipFile: string): Promise<void> {
    const first = batch[0].req;
    const lastPushed = readOr(tipFile, "").trim();
    let open = [...batch];
    // Why a waiter's write planned again (the branch moved since its diff), by waiter.
    const replans = new Map<Waiter, string>();
    for (let attempt = 1; open.length > 0; attempt++) {
        const repo = await Repository.open(first.repoURL, first.cacheDir, first.credentials);
        const branch = await repo.branchFor(first.targetRevision);
        const known = attempt === 1 && lastPushed ? await repo.tip(branch) : undefined;
        // Current for this host: the view ends at the last push any process of this host made, or this process
        // synchronised after that push (the diff's fetch, moments ago). Other hosts' pushes: the push finds them.
        const current =
            attempt === 1 &&
            ((known !== undefined && known === lastPushed) ||
                (repo.syncedAt(branch) ?? 0) > (statOr(tipFile)?.mtimeMs ?? 0));
        await repo.fetchIfStale(branch, current ? syncedWithinMs : 0);
        const tip = await repo.tip(branch);
        if (!tip) {
            const names = batch.flatMap((w) => w.req.applications.map((a) => a.name));
            throw new EnvironmentError(
                `${first.repoURL}: branch "${branch}" does not exist (targetRevision of ${names.join(", ")}): create it, or fix targetRevision`,
                { entity: `Application "${names[0]}"`, path: "targetRevision" },
            );
        }
        let head = tip;
        const made: { w: Waiter; sha: string; results: ActionResult["results"] }[] = [];
        for (const w of open) {
            try {
                const { plans, replanned } = await planForWrite(repo, head, w.req);
                if (replanned) {
                    replans.set(w, replanned);
                }
                const results = plans.map((p) => ({ name: p.application, changes: p.changes }));
                if (!plans.some((p) => p.changes.length > 0)) {
                    const r = await unchanged(repo, branch, w.req, results, attempt - 1);
                    w.resolve({ ...r, ...(replans.has(w) ? { replanned: replans.get(w) } : {}) });
                    continue;
                }
                const changes = mergeFileChanges(plans);
                const parent = head;
                head = await repo.commit(parent, changes, commitMessage(w.req));
                madeCommit(head, parent, changes.keys());
                made.push({ w, sha: head, results });
            } catch (e) {
                w.reject(e);
            }
        }
        if (made.length === 0) {
            return;
        }
        let pushed: "pushed" | "rejected";
        try {
            pushed = await repo.push(head, branch);
        } catch (e) {
            if (made.length === 1) {
                made[0].w.reject(e);
                return;
            }
            // Refused outright (a server hook, say), not because the branch moved: each environment is pushed
            // alone, so only one the remote refuses fails.
            for (const m of made) {
                await commitBatch([m.w], tipFile).catch((err: unknown) => m.w.reject(err));
            }
            return;
        }
        if (pushed === "pushed") {
            writeTip(tipFile, head);
            made.forEach((m) =>
                m.w.resolve({
                    status: "Succeeded",
                    branch,
                    commitSha: m.sha,
                    results: m.results,
                    attempts: attempt,
                    ...(replans.has(m.w) ? { replanned: replans.get(m.w) } : {}),
                }),
            );
            return;
        }
        open = made.map((m) => m.w);
        if (attempt >= maxPushAttempts) {
            const e = new Error(
                `${first.repoURL} ${branch}: push rejected ${attempt} times (the branch keeps moving); retry the release`,
            );
            open.forEach((w) => w.reject(e));
            return;
        }
        await sleep(backoffMs(attempt, pushBackoff));
    }
}

/**
 * Nothing left to change for an environment: Skipped, or (when this release already pushed its commit, in an
 * attempt that died before recording it) that commit adopted, with what it changed.
 */
async function unchanged(
    repo: Repository,
    branch: string,
    req: ActionRequest,
    results: ActionResult["results"],
    attempts: number,
): Promise<ActionResult> {
    const existing = await repo.findCommit(branch, trailers(req));
    if (!existing) {
        return { status: "Skipped", branch, results, attempts };
    }
    const parent = await repo.resolveCommit(`${existing}^`);
    const adopted = parent
        ? await Promise.all(req.applications.map((a) => planApplication(repo, parent, a, req.candidate)))
        : undefined;
    return {
        status: "Succeeded",
        branch,
        commitSha: existing,
        results: adopted ? adopted.map((p) => ({ name: p.application, changes: p.changes })) : results,
        attempts,
        adopted: true,
    };
}

/** Records the commit this process just pushed (written aside and renamed: readers see all of it or none). */
function writeTip(tipFile: string, sha: string): void {
    const tmp = `${tipFile}.${process.pid}`;
    fs.writeFileSync(tmp, `${sha}\n`);
    fs.renameSync(tmp, tipFile);
}
