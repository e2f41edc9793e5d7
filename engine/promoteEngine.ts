import * as path from "path";
import { urlPassword } from "./pulumi/stateBackend";
import { secrets } from "../model/redact";
import type { Hold } from "./governance/holds";
import type { ApprovalVerdict } from "./record/approvalState";
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
} from "./operations/options";
import type { SavedPlan } from "./governance/plans";
import type { PreviewResult } from "./release/preview";
import type { PromoteStackInfo } from "./pulumi/stackInfo";
import type { ReleaseRecord } from "./record/releaseRecord";
import { find, releases, terminate } from "./operations/records";
import type { Undelivered } from "./notifications/notifications";
import type { Keep, PrunedPage } from "./store/releaseStore";
import { EngineRuntime } from "./operations/runtime";
import { decide, hold, releaseHold } from "./operations/decisions";
import { enginePreview, preview, savedPlan, stackInfo } from "./operations/previews";
import { resume, resumeReady, retry, rollback, startRelease } from "./operations/releases";

export type { PreviewEnvironment, PreviewResult } from "./release/preview";
export type { PromoteStackInfo } from "./pulumi/stackInfo";
export type { Hold, HoldInfo } from "./governance/holds";
export type { ApprovalDecision, ApprovalState, ApprovalVerdict } from "./record/approvalState";
export type * from "./operations/options";
export type { ProgressEvent } from "./release/progress";
export type { Keep, PrunedPage } from "./store/releaseStore";

/**
 * The promote engine: plans releases from the catalog, runs them as updates of a promote stack per product
 * through the Automation API, and keeps their records in the coordination store. Shaped like the Automation
 * API: options in, results out; it never reads argv or the process environment. Each method is one operation
 * of engine/operations/, over the runtime the engine shares between them (see EngineRuntime).
 */
export class PromoteEngine {
    private constructor(private readonly rt: EngineRuntime) {}

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
        return new PromoteEngine(new EngineRuntime(opts));
    }

    /** Resolves once the notifications queued so far are delivered or given up (they never block a release). */
    notificationsSettled(): Promise<void> {
        return this.rt.notificationsSettled();
    }

    /** For a process about to exit: waits up to `withinMs` for notifications, returns what was not delivered. */
    settleNotifications(withinMs: number): Promise<Undelivered[]> {
        return this.rt.settleNotifications(withinMs);
    }

    /** What a release would change in every environment, read from the live repositories; writes nothing. */
    preview(o: PreviewOptions): Promise<PreviewResult> {
        return preview(this.rt, o);
    }

    /** The same answer as {@link preview}, from a real `pulumi preview` of the release's program. */
    previewWithEngine(o: PreviewOptions): Promise<PreviewResult> {
        return enginePreview(this.rt, o);
    }

    /** `preview --save-plan`: Pulumi's update plan of the release, which {@link release} with `planFile` applies. */
    savePlan(o: SavePlanOptions): Promise<{ plan: SavedPlan; preview: PreviewResult }> {
        return savedPlan(this.rt, o);
    }

    /** How to reach a product's promote stack with the plain Pulumi CLI (the stack is created if needed). */
    stackInfo(product: string): Promise<PromoteStackInfo> {
        return stackInfo(this.rt, product);
    }

    /** Creates a release, waits for its turn (the product's concurrency), runs it, and returns its record. */
    release(o: ReleaseOptions): Promise<ReleaseRecord> {
        return startRelease(this.rt, o);
    }

    /** Rolls an environment back to an earlier release's candidate, then holds it (see operations/releases). */
    rollback(o: RollbackOptions): Promise<ReleaseRecord> {
        return rollback(this.rt, o);
    }

    /** Resumes a Failed or Terminated release (or one whose process died) from where it stopped, same id. */
    retry(id: string, o: RetryOptions = {}): Promise<ReleaseRecord> {
        return retry(this.rt, id, o);
    }

    /** Continues a Suspended release that no process holds, same id. */
    resume(id: string, o: WaitOptions = {}): Promise<ReleaseRecord> {
        return resume(this.rt, id, o);
    }

    /** Resumes every Suspended release that no process holds and whose wait is over; returns their records. */
    resumeReady(o: ResumeOptions = {}): Promise<ReleaseRecord[]> {
        return resumeReady(this.rt, o);
    }

    /** Approves an environment waiting for approval (see operations/decisions `decide`). */
    approve(id: string, environment: string, o: DecisionOptions): Promise<ReleaseRecord> {
        return this.decide(id, environment, "approved", o);
    }

    /** Rejects an environment waiting for approval: it fails, left untouched. */
    reject(id: string, environment: string, o: DecisionOptions): Promise<ReleaseRecord> {
        return this.decide(id, environment, "rejected", o);
    }

    /** Records a decision on an environment waiting for approval, or refuses it (403) or says it is late (409). */
    decide(
        id: string,
        environment: string,
        verdict: ApprovalVerdict,
        o: DecisionOptions,
    ): Promise<ReleaseRecord> {
        return decide(this.rt, id, environment, verdict, o);
    }

    /** The holds of a product that are in place, by environment. */
    holds(product: string): Promise<Hold[]> {
        return this.rt.holds(product);
    }

    /** Holds an environment: flows and automatic triggers skip it until the hold is released. */
    hold(o: HoldOptions): Promise<Hold> {
        return hold(this.rt, o);
    }

    /** Releases the hold on an environment; refused (nothing written) when it is not held. */
    releaseHold(o: Omit<HoldOptions, "reason">): Promise<Hold> {
        return releaseHold(this.rt, o);
    }

    /** Asks a release to stop: a Queued one ends at once; a running one ends Terminated when its process sees it. */
    terminate(id: string, o: TerminateOptions = {}): Promise<ReleaseRecord> {
        return terminate(this.rt, id, o);
    }

    /** The last commit the trigger watcher handled for a product's application. */
    cursor(product: string, application: string): Promise<string | undefined> {
        return this.rt.store(product).getCursor(application);
    }

    setCursor(product: string, application: string, sha: string): Promise<void> {
        return this.rt.store(product).putCursor(application, sha);
    }

    /** A product's releases, newest first, as they are (see operations/records `releases`). */
    releases(product: string, q: ReleasesQuery = {}): Promise<ReleaseRecord[]> {
        return releases(this.rt, product, q);
    }

    /** Removes a product's oldest records, whole pages at a time, beyond `keep` (the only way anything goes). */
    async prune(product: string, keep: Keep, dryRun: boolean): Promise<PrunedPage[]> {
        this.rt.product(product);
        return this.rt.store(product).prune(keep, dryRun);
    }

    /** One release by id, looked up across the catalog's products. */
    find(id: string): Promise<ReleaseRecord> {
        return find(this.rt, id);
    }
}

/** The default clone cache under a cache root. */
export function gitCacheDir(cacheRoot: string): string {
    return path.join(cacheRoot, "git");
}
