import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { stackSeen, urlPassword } from "./store/stateBackend";
import { EnvironmentError, InvalidInputError } from "../model/errors";
import { secrets } from "../model/redact";
import { finalReleaseStatuses } from "../model/status";
import type { GitCredentials } from "../provider/git/git";
import { hostsEnvironment } from "../provider/scm/hosts";
import type { ScmConfig } from "../provider/scm/scm";
import { reportCommitStatus } from "./release/commitStatus";
import type { Hold } from "./governance/holds";
import { applyHolds, refuseHeld } from "./governance/holds";
import { applyWindows } from "./release/waits";
import type { ApprovalDecision, ApprovalVerdict } from "./governance/approvals";
import {
    ApprovalConflictError,
    ApprovalRefusedError,
    approverRefusal,
    decisionConflict,
    decisionRefusal,
    waitOver,
} from "./governance/approvals";
import type {
    DecisionOptions,
    HoldOptions,
    PreviewOptions,
    PromoteEngineOptions,
    ReleaseOptions,
    ReleasesQuery,
    ResumeOptions,
    RetryOptions,
    RollbackOptions,
    SavePlanOptions,
    TerminateOptions,
    WaitOptions,
} from "./options";
import type { SavedPlan } from "./governance/plans";
import {
    checkPlanTarget,
    plannedFiles,
    pulumiPlanFile,
    readSavedPlan,
    savePlan,
    stalePlanFiles,
} from "./governance/plans";
import type { PlannedRelease } from "./release/planRelease";
import { planRelease } from "./release/planRelease";
import { withPolicyPacks } from "./governance/policyPacks";
import type { PreviewResult } from "./release/preview";
import { previewRelease } from "./release/preview";
import { previewWithEngine, renderEnginePreview } from "./pulumi/enginePreview";
import type { PromoteStackInfo } from "./pulumi/stackInfo";
import { promoteStackInfo } from "./pulumi/stackInfo";
import { openPromoteStack, promoteProject } from "./pulumi/promoteStack";
import { ownerAlive, ReleaseQueue, thisProcess } from "./release/releaseQueue";
import type { ReleaseRecord } from "./release/releaseRecord";
import { audited, checkReleaseId, newReleaseId, newReleaseRecord } from "./release/releaseRecord";
import { overridesOf, withPolicyOverrides } from "./governance/policyOverrides";
import type { ProgressEvent } from "./release/releaseRun";
import { runRelease } from "./release/releaseRun";
import type { Undelivered } from "./notifications/notifications";
import { notifierFor } from "./notifications/notifications";
import { downstreamOf, newerDownstream, rollbackTarget } from "./governance/rollback";
import type { Keep, PrunedPage } from "./store/releaseStore";
import { ReleaseStore } from "./store/releaseStore";
import type { KvStore } from "./store";
import { openKvStore } from "./store";
import { legacyStacks } from "./pulumi/workspace";
import type { LegacyStacks } from "./store/migrate";
import { migrateProduct, migrationLine } from "./store/migrate";
import { checkpointResources, isStale, markStale } from "./release/staleRelease";
import { supersededBy } from "./release/supersede";

export type { PreviewEnvironment, PreviewResult } from "./release/preview";
export type { PromoteStackInfo } from "./pulumi/stackInfo";
export type { Hold, HoldInfo } from "./governance/holds";
export type { ApprovalDecision, ApprovalState, ApprovalVerdict } from "./governance/approvals";
export type {
    DecisionOptions,
    ResumeOptions,
    WaitOptions,
    GitHubOptions,
    HoldOptions,
    RollbackOptions,
    PreviewOptions,
    PromoteEngineOptions,
    ReleaseOptions,
    ReleasesQuery,
    RetryOptions,
    ScmOptions,
    TerminateOptions,
} from "./options";
export type { ProgressEvent } from "./release/releaseRun";
export type { Keep, PrunedPage } from "./store/releaseStore";

/**
 * The promote engine: plans releases from the catalog, runs them as updates of a promote stack per product
 * through the Automation API, and keeps their records. Shaped like the Automation API: options in, results
 * out; it never reads argv or the process environment.
 */
export class PromoteEngine {
    private readonly stores = new Map<string, ReleaseStore>();
    private kvStore?: KvStore;
    private readonly stacks = new Map<string, Promise<Stack>>();
    private readonly notifier: ReturnType<typeof notifierFor>;

    private constructor(private readonly opts: PromoteEngineOptions) {
        this.notifier = notifierFor(opts.catalog, opts.notifications, opts.metrics);
    }

    /** Every progress event goes to the notifications (if any), then to the caller's `onProgress`. */
    private readonly progress = (e: ProgressEvent): void => {
        this.notifier?.progress(e);
        this.opts.onProgress?.(e);
    };

    /** Resolves once the notifications queued so far are delivered or given up (they never block a release). */
    async notificationsSettled(): Promise<void> {
        await this.notifier?.idle();
    }

    /**
     * For a process about to exit: waits up to `withinMs` for pending notifications, then abandons the rest and
     * returns what was not delivered (nothing is sent afterwards).
     */
    async settleNotifications(withinMs: number): Promise<Undelivered[]> {
        return (await this.notifier?.settle(withinMs)) ?? [];
    }

    static create(opts: PromoteEngineOptions): PromoteEngine {
        // Credentials given as options (not only through the environment) are redacted from records and logs too.
        for (const secret of [
            opts.passphrase,
            urlPassword(opts.backendUrl),
            ...Object.values(opts.gitTokens ?? {}),
            (opts.scm ?? opts.github)?.token,
            ...((opts.scm ?? opts.github)?.hosts ?? []).map((h) => h.token),
            opts.argo?.token,
            opts.argocd?.token,
        ]) {
            secrets.add(secret);
        }
        return new PromoteEngine(opts);
    }

    /** What a release would change in every environment, read from the live repositories; writes nothing. */
    async preview(o: PreviewOptions): Promise<PreviewResult> {
        return previewRelease(await this.plan(o, { runsNothing: true }), {
            cacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            scm: this.scm(),
        });
    }

    /**
     * The same answer as {@link preview}, from a real `pulumi preview` of the release's program on the
     * product's promote stack (the provider's `diff` reads each live branch); writes nothing.
     */
    async previewWithEngine(o: PreviewOptions): Promise<PreviewResult> {
        const planned = await this.plan(o, { runsNothing: true });
        // A product that never released has no promote stack, and a preview must not create one (it writes
        // nothing): it previews an empty stack in a scratch backend instead, which is where the real one starts.
        const absent = (await stackSeen(this.opts.backendUrl, promoteProject, o.product)) === "absent";
        const scratch = absent ? fs.mkdtempSync(path.join(os.tmpdir(), "promotions-preview-")) : undefined;
        try {
            return await previewWithEngine(planned, {
                stack: scratch
                    ? await this.openPromoteStack(o.product, `file://${scratch}`)
                    : await this.promoteStack(o.product),
                cacheDir: this.opts.gitCacheDir,
                credentials: this.credentials(),
                scm: this.scm(),
            });
        } finally {
            if (scratch) {
                fs.rmSync(scratch, { recursive: true, force: true });
            }
        }
    }

    /**
     * `preview --save-plan`: saves Pulumi's update plan of the release (a new release id and the source commit,
     * fixed) with the files it would change as read now; {@link release} with `planFile` applies exactly it.
     */
    async savePlan(o: SavePlanOptions): Promise<{ plan: SavedPlan; preview: PreviewResult }> {
        // Applying the plan plans again, and then demands what its workflows need.
        const planned = await this.plan(o, { runsNothing: true });
        const read = { cacheDir: this.opts.gitCacheDir, credentials: this.credentials(), scm: this.scm() };
        const { plan, steps } = await savePlan(planned, o.target, await this.promoteStack(o.product), {
            ...read,
            releaseId: newReleaseId(),
            file: o.file,
        });
        return { plan, preview: await renderEnginePreview(planned, steps, read) };
    }

    /** How to reach a product's promote stack with the plain Pulumi CLI (the stack is created if needed). */
    async stackInfo(product: string): Promise<PromoteStackInfo> {
        if (!this.opts.catalog.products.some((p) => p.name === product)) {
            throw new InvalidInputError(`unknown product "${product}"`, { entity: `Product "${product}"` });
        }
        return promoteStackInfo(await this.promoteStack(product), this.opts);
    }

    /** Creates a release, waits for its turn (the product's concurrency), runs it, and returns its record. */
    async release(o: ReleaseOptions): Promise<ReleaseRecord> {
        this.refuseWhileDraining(`release of ${o.product}`);
        const saved = o.planFile ? readSavedPlan(o.planFile) : undefined;
        if (saved) {
            checkPlanTarget(saved.plan, o.product, o.target, o.planFile!);
            if (await this.store(o.product).get(saved.plan.releaseId)) {
                throw new InvalidInputError(
                    `the plan ${o.planFile} was already applied (release ${saved.plan.releaseId}): save a new one with 'promote preview --save-plan'`,
                    { path: o.planFile },
                );
            }
        }
        const planned = await this.plan(saved ? { ...o, sourceCommit: saved.plan.sourceCommit } : o);
        if (saved) {
            const now = await plannedFiles(planned, {
                releaseId: saved.plan.releaseId,
                cacheDir: this.opts.gitCacheDir,
                credentials: this.credentials(),
                scm: this.scm(),
            });
            const stale = stalePlanFiles(saved.plan.files, now);
            if (stale.length > 0) {
                throw new InvalidInputError(
                    `the plan ${o.planFile} no longer holds (nothing was written):\n  ${stale.join("\n  ")}\nRun 'promote preview --save-plan' again and review the new plan`,
                    { path: o.planFile },
                );
            }
        }
        const holds = await this.holds(o.product);
        if ("from" in o.target && !o.overrideHold) {
            refuseHeld(o.product, o.target.to, holds);
        }
        let record = applyWindows(
            applyHolds(newReleaseRecord(planned, thisProcess, undefined, o.initiator), holds, o.overrideHold),
            this.opts.catalog,
            o.overrideWindow,
        );
        if ("from" in o.target) {
            record = withPolicyOverrides(
                record,
                o.target.to,
                overridesOf(this.opts.catalog, o.product, o.target.to, o.target.overrides),
                o.initiator,
            );
        }
        if ("from" in o.target) {
            // The environments after the one promoted to (in the last flow that reached it) stay as they are.
            const to = o.target.to;
            const last = (await this.store(o.product).list()).find((r) =>
                [...r.plan.environments, ...(r.plan.untargeted ?? [])].some((e) => e.name === to),
            );
            const after = last ? downstreamOf(last.plan, to) : [];
            if (after.length > 0) {
                record = { ...record, plan: { ...record.plan, untargeted: after } };
            }
        }
        if (saved) {
            record = { ...record, id: saved.plan.releaseId, updatePlan: { sha256: saved.sha256 } };
            const pulumiPlan = pulumiPlanFile(saved.plan);
            try {
                return await runRelease(
                    { ...this.context(record.product, o), updatePlan: pulumiPlan.file },
                    record,
                    o.onCreated,
                );
            } finally {
                pulumiPlan.remove();
            }
        }
        return runRelease(this.context(record.product, o), record, o.onCreated);
    }

    /** The holds of a product that are in place (see `hold`), by environment. */
    async holds(product: string): Promise<Hold[]> {
        this.product(product);
        return (await this.store(product).holds()).filter((h) => h.active);
    }

    /**
     * Holds an environment of a product: flows and automatic triggers skip it (and what depends on it) until
     * the hold is released; a manual promotion to it needs `overrideHold`. Holding it again replaces the hold.
     */
    async hold(o: HoldOptions): Promise<Hold> {
        this.environmentOf(o.product, o.environment);
        const hold: Hold = {
            product: o.product,
            environment: o.environment,
            by: o.by,
            at: new Date().toISOString(),
            ...(o.reason ? { reason: o.reason } : {}),
            active: true,
        };
        await this.store(o.product).putHold(hold);
        return hold;
    }

    /** Releases the hold on an environment; refused (nothing written) when it is not held. */
    async releaseHold(o: Omit<HoldOptions, "reason">): Promise<Hold> {
        this.environmentOf(o.product, o.environment);
        const held = (await this.holds(o.product)).find((h) => h.environment === o.environment);
        if (!held) {
            throw new InvalidInputError(
                `environment "${o.environment}" of product "${o.product}" is not held (see 'promote holds --product ${o.product}')`,
                { entity: `Hold "${o.product}/${o.environment}"` },
            );
        }
        const released: Hold = {
            ...held,
            active: false,
            releasedBy: o.by,
            releasedAt: new Date().toISOString(),
        };
        await this.store(o.product).putHold(released);
        return released;
    }

    /**
     * Rolls an environment back: a release (flow `rollback`) of exactly the candidate of an earlier release
     * that reached it, through the environment's usual policy, recorded with `rollbackOf`. The environment is
     * then held (a rollback of a held environment is allowed: it is how a held environment changes). Downstream
     * environments with a newer version are named in the record's warnings.
     */
    async rollback(o: RollbackOptions): Promise<ReleaseRecord> {
        this.environmentOf(o.product, o.environment);
        const records = await this.store(o.product).list();
        const { restored, current } = rollbackTarget(records, o.product, o.environment, {
            ...(o.toRelease ? { release: o.toRelease } : {}),
            ...(o.toVersion ? { version: o.toVersion } : {}),
        });
        const planned = this.withPacks(
            await planRelease({
                ...this.planOptions(o.product),
                target: { rollback: o.environment, trigger: restored.plan.trigger },
                candidate: restored.candidate,
            }),
        );
        const warnings = newerDownstream(records, o.environment, restored, current);
        // What follows the environment in the flow that put its current candidate there stays as it is (and must
        // be in the program: see ReleasePlan.untargeted).
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
        await this.store(o.product).putHold({
            product: o.product,
            environment: o.environment,
            by: o.by,
            at: new Date().toISOString(),
            reason: `rolled back to ${restored.version ?? restored.sourceCommit.slice(0, 12)} by release ${record.id}`,
            active: true,
        });
        return runRelease(this.context(o.product, o), record, o.onCreated);
    }

    /**
     * Resumes a Failed or Terminated release (or one whose process died) from where it stopped, same id.
     * Refused when a newer release of the product has since succeeded in an environment this one would still
     * write (it would roll that environment back), unless `forceOlder`.
     */
    async retry(id: string, o: RetryOptions = {}): Promise<ReleaseRecord> {
        this.refuseWhileDraining(`release ${id}`);
        const record = await this.stored(id);
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
        const newer = supersededBy(record, await this.store(record.product).list());
        if (newer.length > 0 && !o.forceOlder) {
            throw new InvalidInputError(
                `release ${id} is superseded: ${newer.map((n) => `${n.release} (${n.version ?? "no version"}) succeeded in ${n.environments.join(", ")}`).join("; ")} since; retrying would roll ${newer.length === 1 ? "it" : "them"} back to ${record.version ?? record.sourceCommit.slice(0, 12)}. Trigger a new release, or retry with --force-older to do exactly that`,
                { entity: `release ${id}` },
            );
        }
        if (dead) {
            // Its process was killed: the lock its `pulumi up` held is stale.
            await (await this.promoteStack(record.product)).cancel().catch(() => undefined);
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
        // A release that ended starts a new limit; one resumed (Suspended, or its process gone) keeps its own,
        // which bounds it waits included (a record written before timeoutAt existed: from its start).
        const limitAt = finalReleaseStatuses.has(record.status)
            ? undefined
            : (record.timeoutAt ??
              (record.startedAt
                  ? new Date(Date.parse(record.startedAt) + record.plan.timeoutMs).toISOString()
                  : undefined));
        // Holds placed since the release was created apply to what it has not done yet.
        // So do the promotion windows defined now (unless the release overrode them).
        const held = applyWindows(
            applyHolds(
                { ...rest, ...(limitAt ? { timeoutAt: limitAt } : {}), status: "Queued", owner: thisProcess },
                await this.holds(record.product),
                (record.overriddenHolds ?? []).length > 0,
            ),
            this.opts.catalog,
            (record.overriddenWindows ?? []).length > 0,
        );
        const resumed: ReleaseRecord = {
            ...held,
            environments: held.environments.map((e) => {
                const before = record.environments.find((b) => b.name === e.name);
                return before?.status === "Succeeded" ? before : e;
            }),
        };
        return runRelease(this.context(record.product, o), resumed, undefined, record.environments);
    }

    /**
     * Continues a Suspended release that no process holds (left by `--no-wait`, or whose process stopped):
     * what it finished stays done; each waiting environment waits again, or goes on when its wait is over
     * (approved, window open, soak done), or fails (rejected, approval timed out). Same id.
     */
    async resume(id: string, o: WaitOptions = {}): Promise<ReleaseRecord> {
        const record = await this.stored(id);
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
        return this.retry(id, o);
    }

    /**
     * Resumes every Suspended release (of `products`, default all) that no process holds and whose wait is over,
     * one after another; returns their records. A release that fails to resume is returned as stored, its
     * error in `warnings`.
     */
    async resumeReady(o: ResumeOptions = {}): Promise<ReleaseRecord[]> {
        const products = o.products ?? this.opts.catalog.products.map((p) => p.name);
        products.forEach((p) => this.product(p));
        const now = this.opts.clock?.now() ?? Date.now();
        const out: ReleaseRecord[] = [];
        for (const product of products) {
            const ready = (await this.store(product).list())
                .filter((r) => waitOver(r, now) && !ownerAlive(r))
                .reverse();
            for (const r of ready) {
                if (this.opts.drain?.aborted) {
                    return out; // shutting down: another process resumes the rest
                }
                out.push(await this.resume(r.id, o));
            }
        }
        return out;
    }

    /** Approves an environment waiting for approval (see {@link decide}). */
    approve(id: string, environment: string, o: DecisionOptions): Promise<ReleaseRecord> {
        return this.decide(id, environment, "approved", o);
    }

    /** Rejects an environment waiting for approval: it fails, left untouched (see {@link decide}). */
    reject(id: string, environment: string, o: DecisionOptions): Promise<ReleaseRecord> {
        return this.decide(id, environment, "rejected", o);
    }

    /**
     * Records a decision on an environment waiting for approval (who, groups, how identified, when, comment).
     * Refused ({@link ApprovalRefusedError}, exit code 2, 403 at the API) when the environment is not waiting
     * for approval, the subject is not an approver, approves their own release, the permission rules
     * (`canApprove`) refuse, or the subject already decided. Not recorded ({@link ApprovalConflictError}, exit
     * code 2, 409 at the API) when the gate was already decided or expired, found so again where the decision
     * is written (see ReleaseStore.decide): of two decisions at once, one is recorded and the other is told
     * why not, and a rejection recorded is never overtaken. The process holding the release sees the decision
     * on its next look at the record; a release nobody holds goes on with `resume` (or a running `serve`).
     */
    async decide(
        id: string,
        environment: string,
        verdict: ApprovalVerdict,
        o: DecisionOptions,
    ): Promise<ReleaseRecord> {
        const record = await this.stored(id);
        const request = {
            environment,
            decision: verdict,
            subject: o.subject,
            ...(this.opts.canApprove ? { canApprove: this.opts.canApprove } : {}),
        };
        const context = { entity: `release ${id}`, path: `environments.${environment}.approval` };
        const now = this.opts.clock?.now() ?? Date.now();
        // Who may not decide is told so first; then a gate already decided; then the other refusals.
        const notYours = approverRefusal(record, request);
        if (notYours !== undefined) {
            throw new ApprovalRefusedError(notYours, context);
        }
        const late = decisionConflict(record, environment, verdict, now);
        if (late !== undefined) {
            throw new ApprovalConflictError(late, context);
        }
        const refusal = decisionRefusal(record, request);
        if (refusal !== undefined) {
            throw new ApprovalRefusedError(refusal, context);
        }
        const decision: ApprovalDecision = {
            decision: verdict,
            user: o.subject.user,
            ...(o.subject.email ? { email: o.subject.email } : {}),
            groups: o.subject.groups,
            via: o.subject.via,
            at: new Date(now).toISOString(),
            ...(o.comment ? { comment: o.comment } : {}),
        };
        const written = await this.store(record.product).decide(record, environment, decision);
        if (written.conflict !== undefined) {
            throw new ApprovalConflictError(written.conflict, context);
        }
        return written.record;
    }

    /** Asks a release to stop: a Queued one ends at once; a running one ends Terminated when its process sees it. */
    async terminate(id: string, o: TerminateOptions = {}): Promise<ReleaseRecord> {
        const record = await this.stored(id);
        const asked =
            o.initiator && !finalReleaseStatuses.has(record.status)
                ? audited(record, "terminate", o.initiator)
                : record;
        return this.queue(record.product).terminate(asked);
    }

    /** The last commit the trigger watcher handled for a product's application. */
    cursor(product: string, application: string): Promise<string | undefined> {
        return this.store(product).getCursor(application);
    }

    setCursor(product: string, application: string, sha: string): Promise<void> {
        return this.store(product).putCursor(application, sha);
    }

    /**
     * A product's releases, newest first (one whose process died shown as such: see `stale`): every one, or
     * the first `limit` older than the release `before` (by id, which sorts by creation time) and matching
     * `where`; a page reads only as many of the stored records as it needs.
     */
    async releases(product: string, q: ReleasesQuery = {}): Promise<ReleaseRecord[]> {
        if (!this.opts.catalog.products.some((p) => p.name === product)) {
            throw new InvalidInputError(`unknown product "${product}"`, { entity: `Product "${product}"` });
        }
        const where = (r: ReleaseRecord) =>
            (q.before === undefined || r.id < q.before) && (q.where?.(r) ?? true);
        const store = this.store(product);
        const records = q.current
            ? (await store.live()).filter(where).slice(0, q.limit)
            : await store.page({ limit: q.limit ?? Number.POSITIVE_INFINITY, where });
        return this.truthful(product, records);
    }

    /**
     * Removes a product's oldest release records, whole archive pages at a time, beyond what `keep` keeps (an
     * explicit operation: nothing is ever dropped otherwise). Returns the pages removed (or, with `dryRun`,
     * that would be).
     */
    async prune(product: string, keep: Keep, dryRun: boolean): Promise<PrunedPage[]> {
        if (!this.opts.catalog.products.some((p) => p.name === product)) {
            throw new InvalidInputError(`unknown product "${product}"`, { entity: `Product "${product}"` });
        }
        return this.store(product).prune(keep, dryRun);
    }

    /** One release by id, looked up across the catalog's products. */
    async find(id: string): Promise<ReleaseRecord> {
        const r = await this.stored(id);
        return (await this.truthful(r.product, [r]))[0];
    }

    /** A release as stored. */
    private async stored(id: string): Promise<ReleaseRecord> {
        checkReleaseId(id);
        // Looked for twice: a records stack being rewritten that moment can be read without a record it holds.
        for (const attempt of [1, 2]) {
            for (const p of this.opts.catalog.products) {
                const r = await this.store(p.name).get(id);
                if (r) {
                    return r;
                }
            }
            if (attempt === 1) {
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
        }
        throw new InvalidInputError(`no release "${id}" (see 'promote releases --product P')`);
    }

    /** Records as they are: one still Running whose process is gone is marked `stale` (see staleRelease). */
    private async truthful(product: string, records: ReleaseRecord[]): Promise<ReleaseRecord[]> {
        if (!records.some(isStale)) {
            return records;
        }
        const checkpoint = await checkpointResources(await this.promoteStack(product)).catch(() => undefined);
        return records.map((r) => (isStale(r) ? markStale(r, checkpoint) : r));
    }

    /** `runsNothing`: a preview, which needs no Argo Server or Argo CD (see PlanReleaseOptions). */
    private async plan(o: PreviewOptions, how: { runsNothing?: boolean } = {}): Promise<PlannedRelease> {
        return this.withPacks(
            await planRelease({
                ...this.planOptions(o.product),
                ...how,
                target: o.target,
                sourceCommit: o.sourceCommit,
                ...(o.message ? { note: o.message } : {}),
            }),
            o.policyPacks,
        );
    }

    /** The environments' policy packs resolved (against workflowDir) and checked, `extra` added to each. */
    private withPacks(planned: PlannedRelease, extra: readonly string[] = []): PlannedRelease {
        const environments = withPolicyPacks(
            planned.plan.environments,
            this.opts.catalog.environments,
            extra,
            this.opts.workflowDir ?? process.cwd(),
        );
        return { ...planned, plan: { ...planned.plan, environments } };
    }

    private planOptions(product: string) {
        return {
            catalog: this.opts.catalog,
            product,
            cacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            services: { argo: this.opts.argo, argocd: this.opts.argocd },
        };
    }

    private product(name: string): void {
        if (!this.opts.catalog.products.some((p) => p.name === name)) {
            throw new InvalidInputError(
                `unknown product "${name}": one of ${this.opts.catalog.products.map((p) => p.name).join(", ") || "(none defined)"}`,
                { entity: `Product "${name}"` },
            );
        }
    }

    /** The product and environment must exist, and the product must have an application there. */
    private environmentOf(product: string, environment: string): void {
        this.product(product);
        const p = this.opts.catalog.products.find((x) => x.name === product)!;
        if (!p.applications.some((a) => a.environment === environment)) {
            const where = [...new Set(p.applications.map((a) => a.environment))];
            throw new InvalidInputError(
                `product "${product}" has no application in environment "${environment}": one of ${where.join(", ")}`,
                { entity: `Environment "${environment}"` },
            );
        }
    }

    /**
     * Refuses to start work once this process shuts down (see PromoteEngineOptions.drain): the trigger watcher
     * then leaves the commit for the next poll, here or on another replica.
     */
    private refuseWhileDraining(what: string): void {
        if (this.opts.drain?.aborted) {
            throw new EnvironmentError(
                `${what} not started: this server is shutting down; another replica, or this one once started again, takes it`,
            );
        }
    }

    private context(product: string, wait: WaitOptions = {}) {
        const scm = this.opts.scm ?? this.opts.github;
        return {
            ...(wait.noWait ? { park: true } : {}),
            ...(this.opts.drain ? { drain: this.opts.drain } : {}),
            ...(this.opts.pollIntervalMs ? { approvalPollMs: this.opts.pollIntervalMs } : {}),
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            inheritedPath: this.opts.inheritedPath,
            gitCacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            scm: this.scm(),
            services: { argo: this.opts.argo, argocd: this.opts.argocd },
            ...(this.opts.publicUrl ? { publicUrl: this.opts.publicUrl } : {}),
            ...(this.opts.runtime ? { runtime: this.opts.runtime } : {}),
            workflows: this.opts.catalog.promotionWorkflows,
            workflowDir: this.opts.workflowDir ?? process.cwd(),
            pullRequestPollMs: scm?.pollIntervalMs,
            store: this.store(product),
            queue: this.queue(product),
            stack: this.promoteStack(product),
            onProgress: this.progress,
            ...(this.opts.clock ? { clock: this.opts.clock } : {}),
            ...(this.opts.heartbeatMs ? { heartbeatMs: this.opts.heartbeatMs } : {}),
            ...(scm?.commitStatus
                ? {
                      commitStatus: (r: ReleaseRecord) =>
                          reportCommitStatus(r, this.scm(), this.credentials()),
                  }
                : {}),
        };
    }

    private queue(product: string): ReleaseQueue {
        return new ReleaseQueue({
            store: this.store(product),
            clearStaleLock: async () => {
                await (await this.promoteStack(product)).cancel().catch(() => undefined);
            },
            pollIntervalMs: this.opts.pollIntervalMs ?? 2000,
            onWaiting: (releaseId, behind) => this.progress({ type: "waiting", releaseId, behind }),
        });
    }

    /** The coordination store (engine/store/), opened on first use. */
    private kv(): KvStore {
        this.kvStore ??= openKvStore(this.opts.storeUrl ?? this.opts.backendUrl);
        return this.kvStore;
    }

    /** The stacks where versions before the release store kept records (read once per product, see migrate.ts). */
    private legacy(): LegacyStacks {
        return legacyStacks({
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            inheritedPath: this.opts.inheritedPath,
        });
    }

    private store(product: string): ReleaseStore {
        let s = this.stores.get(product);
        if (!s) {
            s = new ReleaseStore(this.kv(), product, async () => {
                const line = migrationLine(
                    `product ${product}`,
                    await migrateProduct(this.kv(), product, this.legacy()),
                );
                if (line) {
                    (this.opts.notifications?.warn ?? ((l: string) => process.stderr.write(`note: ${l}\n`)))(
                        line,
                    );
                }
            });
            this.stores.set(product, s);
        }
        return s;
    }

    /** The product's promote stack, opened once per engine (and early, while records are written). */
    private promoteStack(product: string): Promise<Stack> {
        let s = this.stacks.get(product);
        if (!s) {
            s = this.openPromoteStack(product, this.opts.backendUrl);
            s.catch(() => undefined);
            this.stacks.set(product, s);
        }
        return s;
    }

    /** Opens (creating it if needed) the product's promote stack in a backend. */
    private openPromoteStack(product: string, backendUrl: string): Promise<Stack> {
        const tokens = this.opts.gitTokens ?? {};
        const { apiUrl, token, hosts } = this.scm();
        return openPromoteStack({
            engine: this.opts.engine,
            backendUrl,
            passphrase: this.opts.passphrase,
            product,
            inheritedPath: this.opts.inheritedPath,
            // Credentials reach the provider through its environment only, never as inputs (or state).
            extraEnv: {
                ...(Object.keys(tokens).length > 0 ? { PROMOTIONS_GIT_TOKENS: JSON.stringify(tokens) } : {}),
                ...(apiUrl ? { PROMOTIONS_SCM_API_URL: apiUrl, PROMOTIONS_GITHUB_API_URL: apiUrl } : {}),
                ...(token ? { PROMOTIONS_SCM_TOKEN: token, PROMOTIONS_GITHUB_TOKEN: token } : {}),
                ...hostsEnvironment(hosts ?? []),
            },
        });
    }

    private credentials(): GitCredentials {
        return { tokens: this.opts.gitTokens ?? {} };
    }

    private scm(): ScmConfig {
        const { apiUrl, token, hosts } = this.opts.scm ?? this.opts.github ?? {};
        return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}), ...(hosts ? { hosts } : {}) };
    }
}

/** The default clone cache under a cache root. */
export function gitCacheDir(cacheRoot: string): string {
    return path.join(cacheRoot, "git");
}
