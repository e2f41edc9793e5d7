/**
 * Starting and continuing releases: a new release (from the catalog, or a saved plan), a rollback, a retry,
 * a resume; each made into a record and run with its product's run context (see EngineRuntime.runContext).
 */
import { InvalidInputError } from "../../model/errors";
import { finalReleaseStatuses } from "../../model/status";
import { applyHolds, refuseHeld } from "../governance/holds";
import { waitOver } from "../governance/approvals";
import {
    checkPlanTarget,
    plannedFiles,
    pulumiPlanFile,
    readSavedPlan,
    stalePlanFiles,
} from "../governance/plans";
import { overridesOf, withPolicyOverrides } from "../governance/policyOverrides";
import { downstreamOf, newerDownstream, rollbackTarget } from "../governance/rollback";
import type { ReleaseOptions, ResumeOptions, RetryOptions, RollbackOptions, WaitOptions } from "./options";
import { planRelease } from "../release/planRelease";
import { ownerAlive, thisProcess } from "../release/releaseQueue";
import type { ReleaseRecord } from "../record/releaseRecord";
import { audited, newReleaseRecord } from "../record/releaseRecord";
import { runRelease } from "../release/releaseRun";
import { supersededBy } from "../release/supersede";
import { applyWindows } from "../release/waits";
import type { EngineRuntime } from "./runtime";

/** Creates a release, waits for its turn (the product's concurrency), runs it, and returns its record. */
export async function startRelease(rt: EngineRuntime, o: ReleaseOptions): Promise<ReleaseRecord> {
    rt.refuseWhileDraining(`release of ${o.product}`);
    const saved = o.planFile ? readSavedPlan(o.planFile) : undefined;
    if (saved) {
        checkPlanTarget(saved.plan, o.product, o.target, o.planFile!);
        if (await rt.store(o.product).get(saved.plan.releaseId)) {
            throw new InvalidInputError(
                `the plan ${o.planFile} was already applied (release ${saved.plan.releaseId}): save a new one with 'promote preview --save-plan'`,
                { path: o.planFile },
            );
        }
    }
    const planned = await rt.plan(saved ? { ...o, sourceCommit: saved.plan.sourceCommit } : o);
    if (saved) {
        const now = await plannedFiles(planned, { ...rt.reader(), releaseId: saved.plan.releaseId });
        const stale = stalePlanFiles(saved.plan.files, now);
        if (stale.length > 0) {
            throw new InvalidInputError(
                `the plan ${o.planFile} no longer holds (nothing was written):\n  ${stale.join("\n  ")}\nRun 'promote preview --save-plan' again and review the new plan`,
                { path: o.planFile },
            );
        }
    }
    const holds = await rt.holds(o.product);
    if ("from" in o.target && !o.overrideHold) {
        refuseHeld(o.product, o.target.to, holds);
    }
    let record = applyWindows(
        applyHolds(newReleaseRecord(planned, thisProcess, undefined, o.initiator), holds, o.overrideHold),
        rt.opts.catalog,
        o.overrideWindow,
    );
    if ("from" in o.target) {
        const to = o.target.to;
        record = withPolicyOverrides(
            record,
            to,
            overridesOf(rt.opts.catalog, o.product, to, o.target.overrides),
            o.initiator,
        );
        // The environments after the one promoted to (in the last flow that reached it) stay as they are.
        const last = (await rt.store(o.product).list()).find((r) =>
            [...r.plan.environments, ...(r.plan.untargeted ?? [])].some((e) => e.name === to),
        );
        const after = last ? downstreamOf(last.plan, to) : [];
        if (after.length > 0) {
            record = { ...record, plan: { ...record.plan, untargeted: after } };
        }
    }
    const call = { ...waitCall(o), ...(o.onCreated ? { onCreated: o.onCreated } : {}) };
    if (!saved) {
        return runRelease(rt.runContext(record.product), record, call);
    }
    record = { ...record, id: saved.plan.releaseId, updatePlan: { sha256: saved.sha256 } };
    const pulumiPlan = pulumiPlanFile(saved.plan);
    try {
        return await runRelease(rt.runContext(record.product), record, {
            ...call,
            updatePlan: pulumiPlan.file,
        });
    } finally {
        pulumiPlan.remove();
    }
}

/**
 * Rolls an environment back: a release (flow `rollback`) of exactly the candidate of an earlier release that
 * reached it, through the environment's usual policy, recorded with `rollbackOf`. The environment is then held
 * (a rollback of a held environment is allowed: it is how a held environment changes). Downstream environments
 * with a newer version are named in the record's warnings.
 */
export async function rollback(rt: EngineRuntime, o: RollbackOptions): Promise<ReleaseRecord> {
    rt.environmentOf(o.product, o.environment);
    const records = await rt.store(o.product).list();
    const { restored, current } = rollbackTarget(records, o.product, o.environment, {
        ...(o.toRelease ? { release: o.toRelease } : {}),
        ...(o.toVersion ? { version: o.toVersion } : {}),
    });
    const planned = rt.withPacks(
        await planRelease({
            ...rt.planOptions(o.product),
            target: { rollback: o.environment, trigger: restored.plan.trigger },
            candidate: restored.candidate,
        }),
    );
    const warnings = newerDownstream(records, o.environment, restored, current);
    // What follows the environment in the flow that put its current candidate there stays as it is (and must be
    // in the program: see ReleasePlan.untargeted).
    const after = downstreamOf((current ?? restored).plan, o.environment);
    const fresh = newReleaseRecord(
        planned,
        thisProcess,
        undefined,
        o.initiator ?? { user: o.by, via: "local" },
    );
    const record: ReleaseRecord = {
        ...fresh,
        ...(after.length > 0 ? { plan: { ...fresh.plan, untargeted: after } } : {}),
        rollbackOf: restored.id,
        ...(warnings.length > 0 ? { warnings } : {}),
    };
    // The hold goes first: whatever becomes of the rollback (a crash included), flows no longer reach E.
    await rt.store(o.product).putHold({
        product: o.product,
        environment: o.environment,
        by: o.by,
        at: new Date().toISOString(),
        reason: `rolled back to ${restored.version ?? restored.sourceCommit.slice(0, 12)} by release ${record.id}`,
        active: true,
    });
    return runRelease(rt.runContext(o.product), record, {
        ...waitCall(o),
        ...(o.onCreated ? { onCreated: o.onCreated } : {}),
    });
}

/**
 * Resumes a Failed or Terminated release (or one whose process died) from where it stopped, same id. Refused
 * when a newer release of the product has since succeeded in an environment this one would still write (it
 * would roll that environment back), unless `forceOlder`.
 */
export async function retry(rt: EngineRuntime, id: string, o: RetryOptions = {}): Promise<ReleaseRecord> {
    rt.refuseWhileDraining(`release ${id}`);
    const record = await rt.stored(id);
    const dead =
        !finalReleaseStatuses.has(record.status) && record.status !== "Queued" && !ownerAlive(record);
    if (record.status === "Succeeded") {
        throw new InvalidInputError(`release ${id} already Succeeded: nothing to retry`);
    }
    if (!finalReleaseStatuses.has(record.status) && !dead) {
        throw new InvalidInputError(
            `release ${id} is ${record.status}: only Failed or Terminated releases can be retried`,
        );
    }
    const newer = supersededBy(record, await rt.store(record.product).list());
    if (newer.length > 0 && !o.forceOlder) {
        throw new InvalidInputError(
            `release ${id} is superseded: ${newer.map((n) => `${n.release} (${n.version ?? "no version"}) succeeded in ${n.environments.join(", ")}`).join("; ")} since; retrying would roll ${newer.length === 1 ? "it" : "them"} back to ${record.version ?? record.sourceCommit.slice(0, 12)}. Trigger a new release, or retry with --force-older to do exactly that`,
            { entity: `release ${id}` },
        );
    }
    if (dead) {
        // Its process was killed: the lock its `pulumi up` held is stale.
        await (await rt.promoteStack(record.product)).cancel().catch(() => undefined);
    }
    const {
        finishedAt: _f,
        error: _e,
        warnings: _w,
        waitKind: _k,
        resumesAt: _r,
        timeoutAt: _t,
        ...rest
    } = o.initiator ? audited(record, "retry", o.initiator) : record;
    // A release that ended starts a new limit; one resumed (Suspended, or its process gone) keeps its own, which
    // bounds it waits included (a record written before timeoutAt existed: from its start).
    const limitAt = finalReleaseStatuses.has(record.status)
        ? undefined
        : (record.timeoutAt ??
          (record.startedAt
              ? new Date(Date.parse(record.startedAt) + record.plan.timeoutMs).toISOString()
              : undefined));
    // Holds placed since the release was created apply to what it has not done yet; so do the promotion windows
    // defined now (unless the release overrode them).
    const held = applyWindows(
        applyHolds(
            { ...rest, ...(limitAt ? { timeoutAt: limitAt } : {}), status: "Queued", owner: thisProcess },
            await rt.holds(record.product),
            (record.overriddenHolds ?? []).length > 0,
        ),
        rt.opts.catalog,
        (record.overriddenWindows ?? []).length > 0,
    );
    const resumed: ReleaseRecord = {
        ...held,
        environments: held.environments.map((e) => {
            const before = record.environments.find((b) => b.name === e.name);
            return before?.status === "Succeeded" ? before : e;
        }),
    };
    return runRelease(rt.runContext(record.product), resumed, {
        ...waitCall(o),
        previous: record.environments,
    });
}

/**
 * Continues a Suspended release that no process holds (left by `--no-wait`, or whose process stopped): what it
 * finished stays done; each waiting environment waits again, or goes on when its wait is over (approved,
 * window open, soak done), or fails (rejected, approval timed out). Same id.
 */
export async function resume(rt: EngineRuntime, id: string, o: WaitOptions = {}): Promise<ReleaseRecord> {
    const record = await rt.stored(id);
    if (record.status !== "Suspended") {
        throw new InvalidInputError(
            `release ${id} is ${record.status}, not Suspended: nothing to resume${finalReleaseStatuses.has(record.status) && record.status !== "Succeeded" ? ` ('promote retry ${id}' runs it again)` : ""}`,
            { entity: `release ${id}` },
        );
    }
    if (ownerAlive(record)) {
        throw new InvalidInputError(
            `release ${id} is waiting in the process that runs it (pid ${record.owner?.pid} on ${record.owner?.host}): it goes on by itself once its wait is over`,
            { entity: `release ${id}` },
        );
    }
    return retry(rt, id, o);
}

/**
 * Resumes every Suspended release (of `products`, default all) that no process holds and whose wait is over,
 * one after another; returns their records.
 */
export async function resumeReady(rt: EngineRuntime, o: ResumeOptions = {}): Promise<ReleaseRecord[]> {
    const products = o.products ?? rt.opts.catalog.products.map((p) => p.name);
    products.forEach((p) => rt.product(p));
    const now = rt.now();
    const out: ReleaseRecord[] = [];
    for (const product of products) {
        const ready: ReleaseRecord[] = [];
        for (const r of (await rt.store(product).list()).reverse()) {
            if (!waitOver(r, now) || ownerAlive(r)) {
                continue;
            }
            const moved = await movedPullRequests(rt, r);
            if (waitOver(r, now, (e) => moved.has(e.name))) {
                ready.push(r);
            }
        }
        for (const r of ready) {
            if (rt.opts.drain?.aborted) {
                return out; // shutting down: another process resumes the rest
            }
            out.push(await resume(rt, r.id, o));
        }
    }
    return out;
}

/**
 * The environments of a Suspended release parked on a pull request that its host no longer reports open
 * (merged or closed): only those are worth a resume. A host that cannot be asked now moves nothing; the
 * next pass asks again (and `promote resume ID` resumes it regardless).
 */
async function movedPullRequests(rt: EngineRuntime, record: ReleaseRecord): Promise<Set<string>> {
    const moved = new Set<string>();
    const waiting = record.environments.filter(
        (e) => e.status === "Suspended" && e.waitKind === "pullRequest",
    );
    if (waiting.length === 0) {
        return moved;
    }
    // Loaded here: the code hosts' clients are needed only when a release waits on a pull request.
    const { scmFor } = await import("../../provider/scm/registry");
    for (const env of waiting) {
        const open = env.applications.filter((a) => a.pullRequest?.state === "open");
        if (open.length === 0) {
            moved.add(env.name); // no open pull request on record: a resume finds out where it stands
        }
        for (const app of open) {
            try {
                const { client, repo } = scmFor(app.repoURL, rt.scm(), rt.credentials());
                if ((await client.getPullRequest(repo, app.pullRequest!.number)).state !== "open") {
                    moved.add(env.name);
                }
            } catch {
                // not now: looked at again on the next pass
            }
        }
    }
    return moved;
}

/** `--no-wait`: environments that would wait park, and the release returns Suspended (see RunCall.park). */
function waitCall(o: WaitOptions): { park?: boolean } {
    return o.noWait ? { park: true } : {};
}
