import { setTimeout as sleep } from "node:timers/promises";
import type { Catalog, CatalogApplication, CatalogProduct } from "../../components/catalog";
import { matchFlow } from "../../components/product.triggers";
import { parseDuration } from "../../model/duration";
import { EnvironmentError, entityName, messageOf, PromotionError } from "../../model/errors";
import type { GitCredentials } from "../../provider/git/git";
import { Repository } from "../../provider/git/repository";
import type { ArgoCdConfig } from "../../provider/health/argoCd";
import { waitForHealthy } from "../../provider/health/argoCd";
import type { PromoteEngine } from "../promoteEngine";

/** What the watcher needs of the engine: its cursors, the releases so far, and a way to start one. */
export type TriggerEngine = Pick<PromoteEngine, "cursor" | "setCursor" | "releases" | "release">;

export interface TriggerWatcherOptions {
    readonly catalog: Catalog;
    readonly engine: TriggerEngine;
    /** Only these products (default: every product with flows). */
    readonly products?: readonly string[];
    readonly gitCacheDir: string;
    readonly credentials?: GitCredentials;
    /** When set, a release is created once the trigger application is Synced and Healthy at the commit. */
    readonly argocd?: ArgoCdConfig;
    readonly log?: (line: string) => void;
}

/** What the watcher did with one commit. */
export interface TriggerOutcome {
    readonly product: string;
    readonly application: string;
    readonly commit: string;
    readonly subject: string;
    /** The flow that matched, if any. */
    readonly flow?: string;
    readonly releaseId?: string;
    readonly status?: string;
    /** Why nothing was released for it. */
    readonly skipped?: string;
}

/** A commit made by a promotion (it carries the `Promotion-Release` trailer): never a trigger. */
export function isPromotionCommit(message: string): boolean {
    return /^Promotion-Release: \S+$/m.test(message);
}

/** A trigger application: a product's application in the trigger environment of one of its flows. */
interface Watched {
    readonly product: CatalogProduct;
    readonly application: CatalogApplication;
}

/**
 * Follows the branches of trigger applications. Each new commit that touches an application's path is
 * matched against its product's flows in order (their `gitTriggerSelectors`); the first match is released
 * from that commit. Commits made by promotions never trigger (no loops). Where it stopped is kept in the
 * Pulumi backend per application, and a commit that already has a release is never released again, so a
 * restarted watcher neither misses nor repeats one. A first run starts at the current tip.
 */
export class TriggerWatcher {
    constructor(private readonly opts: TriggerWatcherOptions) {}

    private watched(): Watched[] {
        const out: Watched[] = [];
        for (const product of this.opts.catalog.products) {
            if (this.opts.products && !this.opts.products.includes(product.name)) {
                continue;
            }
            const triggerEnvs = new Set(
                product.promotionFlows
                    .map(
                        (pf) =>
                            this.opts.catalog.promotionFlows.find((f) => f.name === pf.name)
                                ?.triggerEnvironment,
                    )
                    .filter((e): e is string => e !== undefined),
            );
            for (const application of product.applications.filter((a) => triggerEnvs.has(a.environment))) {
                out.push({ product, application });
            }
        }
        return out;
    }

    /** Reads every trigger application's branch once and releases what its new commits call for. */
    async pollOnce(): Promise<TriggerOutcome[]> {
        const outcomes: TriggerOutcome[] = [];
        for (const w of this.watched()) {
            outcomes.push(...(await this.pollApplication(w)));
        }
        return outcomes;
    }

    private async pollApplication({ product, application }: Watched): Promise<TriggerOutcome[]> {
        const repo = await Repository.open(application.repoURL, this.opts.gitCacheDir, this.opts.credentials);
        await repo.fetch();
        const branch = await repo.branchFor(application.targetRevision);
        const tip = await repo.tip(branch);
        if (!tip) {
            return [];
        }
        const cursor = await this.opts.engine.cursor(product.name, application.name);
        if (!cursor) {
            await this.opts.engine.setCursor(product.name, application.name, tip);
            this.opts.log?.(`${application.name}: watching ${branch} from ${tip.slice(0, 12)}`);
            return [];
        }
        const commits = await repo.commitsBetween(cursor, tip, application.path);
        const outcomes: TriggerOutcome[] = [];
        const released = new Set(
            (await this.opts.engine.releases(product.name)).map(
                (r) => `${r.sourceApplication}@${r.sourceCommit}`,
            ),
        );
        for (const sha of commits) {
            const info = await repo.commitInfo(sha);
            const subject = info.message.split("\n")[0];
            const base = { product: product.name, application: application.name, commit: sha, subject };
            let outcome: TriggerOutcome;
            if (isPromotionCommit(info.message)) {
                outcome = { ...base, skipped: "made by a promotion" };
            } else if (released.has(`${application.name}@${sha}`)) {
                outcome = { ...base, skipped: "already released" };
            } else {
                const flows = product.promotionFlows.filter(
                    (pf) =>
                        this.opts.catalog.promotionFlows.find((f) => f.name === pf.name)
                            ?.triggerEnvironment === application.environment,
                );
                const flow = matchFlow(
                    { ...product, promotionFlows: flows, applications: [] },
                    { message: info.message, branch, sha },
                );
                if (!flow) {
                    outcome = { ...base, skipped: "no flow's trigger selectors match" };
                } else {
                    await this.waitUntilHealthy(application, sha);
                    this.opts.log?.(
                        `${application.name}: ${sha.slice(0, 12)} "${subject}" starts flow ${flow}`,
                    );
                    try {
                        const record = await this.opts.engine.release({
                            product: product.name,
                            target: { flow },
                            sourceCommit: sha,
                        });
                        outcome = { ...base, flow, releaseId: record.id, status: record.status };
                    } catch (e) {
                        if (!(e instanceof PromotionError && e.terminal)) {
                            throw e; // the repository or the backend: the next poll tries this commit again
                        }
                        // This commit can never be released as it is (a missing path, invalid YAML): say so and
                        // go on, or every later commit would wait behind it for good.
                        outcome = { ...base, flow, skipped: `refused: ${e.message}` };
                    }
                }
            }
            if (outcome.skipped) {
                this.opts.log?.(`${application.name}: ${sha.slice(0, 12)} "${subject}": ${outcome.skipped}`);
            }
            outcomes.push(outcome);
            await this.opts.engine.setCursor(product.name, application.name, sha);
        }
        if (commits.length === 0 && cursor !== tip) {
            // Only commits elsewhere in the repository: remember where we are.
            await this.opts.engine.setCursor(product.name, application.name, tip);
        }
        return outcomes;
    }

    private async waitUntilHealthy(application: CatalogApplication, sha: string): Promise<void> {
        const env = this.opts.catalog.environments.find((e) => e.name === application.environment);
        const setting =
            application.healthWait === false ? undefined : (application.healthWait ?? env?.healthWait);
        if (!setting || !this.opts.argocd) {
            return;
        }
        const repo = await Repository.open(application.repoURL, this.opts.gitCacheDir, this.opts.credentials);
        const result = await waitForHealthy({
            config: this.opts.argocd,
            application: { name: application.name, namespace: application.namespace },
            commitSha: sha,
            contains: (revision, commit) => repo.isAncestor(commit, revision),
            timeoutMs: setting.timeout !== undefined ? (parseDuration(setting.timeout) ?? 600_000) : 600_000,
        });
        if (result.status !== "Healthy") {
            throw new EnvironmentError(
                `${entityName("Application", application.name)} did not become Synced and Healthy at ` +
                    `${sha.slice(0, 12)}: ${result.status} (see Argo CD; the next poll tries again)`,
                { entity: entityName("Application", application.name) },
            );
        }
    }

    /**
     * Asks the running loop ({@link run}) for a poll now (a webhook arrived). A poll asked for while one runs
     * happens once it is done, so a prompt is never lost and never runs two polls at once.
     */
    prompt(): void {
        this.due = true;
        this.nap?.abort();
    }

    private due = false;
    private nap?: AbortController;

    /**
     * The one polling loop: polls, reports, then sleeps until the interval has passed, {@link prompt} is
     * called or `signal` aborts (then it returns). Without `intervalMs` it polls only when prompted. A failed
     * poll is reported and the next one tries again. Sleeping adds no listener to `signal`: one listener for the
     * whole loop aborts the current nap.
     */
    async run(o: RunOptions): Promise<void> {
        const { signal } = o;
        const stop = () => this.nap?.abort();
        signal.addEventListener("abort", stop, { once: true });
        try {
            let first = o.immediate ?? true;
            while (!signal.aborted) {
                if (first || this.due) {
                    this.due = false;
                    try {
                        const outcomes = await this.pollOnce();
                        o.onOutcomes?.(outcomes);
                    } catch (e) {
                        (o.onError ?? ((err) => this.opts.log?.(`poll failed: ${messageOf(err)}`)))(e);
                    }
                    o.onPolled?.();
                }
                first = false;
                if (signal.aborted || this.due) {
                    continue;
                }
                this.nap = new AbortController();
                try {
                    // The longest delay a Node timer takes; without an interval only a prompt or abort wakes it.
                    await sleep(o.intervalMs ?? 2 ** 31 - 1, undefined, { signal: this.nap.signal });
                    this.due ||= o.intervalMs !== undefined;
                } catch {
                    // Woken early by a prompt (prompted is set) or by the signal (the loop ends).
                } finally {
                    this.nap = undefined;
                }
            }
        } finally {
            signal.removeEventListener("abort", stop);
        }
    }
}

export interface RunOptions {
    /** Ends the loop (the poll under way finishes first). */
    readonly signal: AbortSignal;
    /** How long to wait between polls (ms); without it, polls happen only when prompted. */
    readonly intervalMs?: number;
    /** Poll at once when the loop starts (default true); false waits for the interval or a prompt. */
    readonly immediate?: boolean;
    /** What each poll did. */
    readonly onOutcomes?: (outcomes: readonly TriggerOutcome[]) => void;
    /** A poll that failed (default: logged). */
    readonly onError?: (e: unknown) => void;
    /** After every poll, failed or not. */
    readonly onPolled?: () => void;
}
