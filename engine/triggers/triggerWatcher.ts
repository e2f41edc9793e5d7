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
    /**
     * Start releases with `noWait`: one that must wait (approval, window, soak, pull request) is left Suspended
     * without an owner instead of holding the poll, for a resume loop to continue (`serve` and `watch` run
     * one). Without it, the poll goes on only once each release it started has ended.
     */
    readonly noWait?: boolean;
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

/**
 * How often (at most) a cursor is moved over commits that do not touch its application (ms). Commits touching
 * it always move it, once per poll.
 */
export const moveOverEveryMs = 60_000;

/**
 * How soon commits left waiting for a release of their product (see TriggerWatcherOptions.noWait) are looked at
 * again (ms): the resume loop's own period. A resume loop that ends a release prompts a poll at once.
 */
export const deferredPollMs = 30_000;

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

    /**
     * Reads every trigger application's branch once and releases what its new commits call for. Each
     * repository is fetched once per poll, however many trigger applications it holds.
     */
    async pollOnce(): Promise<TriggerOutcome[]> {
        this.deferring = false;
        const outcomes: TriggerOutcome[] = [];
        const fetched = new Map<string, Promise<Repository>>();
        const fetchedRepo = (url: string) => {
            let repo = fetched.get(url);
            if (!repo) {
                repo = Repository.open(url, this.opts.gitCacheDir, this.opts.credentials).then(async (r) => {
                    await r.fetch();
                    return r;
                });
                fetched.set(url, repo);
            }
            return repo;
        };
        for (const w of this.watched()) {
            outcomes.push(...(await this.pollApplication(w, await fetchedRepo(w.application.repoURL))));
        }
        return outcomes;
    }

    /** When each application's cursor was last moved over commits that do not touch its path (ms). */
    private readonly movedOver = new Map<string, number>();

    private async pollApplication(
        { product, application }: Watched,
        repo: Repository,
    ): Promise<TriggerOutcome[]> {
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
        if (commits.length === 0) {
            // Only commits elsewhere in the repository (a promotion's, another application's): remember where we
            // are now and then, not on every poll (each cursor write is an update of the records stack, and the
            // commits in between are skipped by path either way).
            const key = `${product.name}/${application.name}`;
            const now = Date.now();
            if (cursor !== tip && now - (this.movedOver.get(key) ?? 0) >= moveOverEveryMs) {
                await this.opts.engine.setCursor(product.name, application.name, tip);
                this.movedOver.set(key, now);
            }
            return [];
        }
        const outcomes: TriggerOutcome[] = [];
        // Read once the poll has new commits (not on every poll: it lists the product's records).
        const records = await this.opts.engine.releases(product.name);
        const released = new Set(records.map((r) => `${r.sourceApplication}@${r.sourceCommit}`));
        // With noWait, a release of this product that waits keeps the product's turn: a new one would queue
        // behind it and hold this poll (every product's) until it ends. The commits after it wait for a later
        // poll instead (the cursor stays before them).
        const queues = this.opts.noWait === true && product.concurrency !== "terminate";
        let waitingFor = queues ? records.find((r) => r.status === "Suspended")?.id : undefined;
        // The cursor moves once per poll, to the last commit handled: a commit whose release started is never
        // released again (`released` above), so a watcher stopped before the cursor moved only looks again.
        let handled = cursor;
        let failed: { error: unknown } | undefined;
        try {
            for (const sha of commits) {
                if (waitingFor) {
                    this.deferred(application, waitingFor, commits.length - commits.indexOf(sha));
                    break;
                }
                const outcome = await this.handleCommit(product, application, branch, sha, released);
                outcomes.push(outcome);
                handled = sha;
                if (queues && outcome.status === "Suspended") {
                    waitingFor = outcome.releaseId;
                }
            }
            if (!waitingFor || handled === commits[commits.length - 1]) {
                handled = tip; // every commit up to the tip that touches the application was handled
            }
        } catch (error) {
            failed = { error };
        }
        if (handled !== cursor) {
            // After a failure too (what was handled stays handled); that failure is the one reported.
            await this.opts.engine
                .setCursor(product.name, application.name, handled)
                .then(() => this.movedOver.set(`${product.name}/${application.name}`, Date.now()))
                .catch((e: unknown) => (failed ??= { error: e }));
        }
        if (failed) {
            throw failed.error;
        }
        return outcomes;
    }

    /** The release each application's new commits wait for, as last logged (said once, not every poll). */
    private readonly waitsLogged = new Map<string, string>();
    /** The last poll left commits for later (they wait for a release to end): {@link run} polls again soon. */
    private deferring = false;

    private deferred(application: CatalogApplication, releaseId: string, commits: number): void {
        this.deferring = true;
        if (this.waitsLogged.get(application.name) !== releaseId) {
            this.waitsLogged.set(application.name, releaseId);
            this.opts.log?.(
                `${application.name}: ${commits} new commit(s) wait for release ${releaseId} (Suspended) to end first`,
            );
        }
    }

    /** One new commit of a trigger application: released by the first flow that matches, or skipped (why). */
    private async handleCommit(
        product: CatalogProduct,
        application: CatalogApplication,
        branch: string,
        sha: string,
        released: ReadonlySet<string>,
    ): Promise<TriggerOutcome> {
        const repo = await Repository.open(application.repoURL, this.opts.gitCacheDir, this.opts.credentials);
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
                    this.opts.catalog.promotionFlows.find((f) => f.name === pf.name)?.triggerEnvironment ===
                    application.environment,
            );
            const flow = matchFlow(
                { ...product, promotionFlows: flows, applications: [] },
                { message: info.message, branch, sha },
            );
            if (!flow) {
                outcome = { ...base, skipped: "no flow's trigger selectors match" };
            } else {
                await this.waitUntilHealthy(application, sha);
                this.opts.log?.(`${application.name}: ${sha.slice(0, 12)} "${subject}" starts flow ${flow}`);
                try {
                    const record = await this.opts.engine.release({
                        product: product.name,
                        target: { flow },
                        sourceCommit: sha,
                        ...(this.opts.noWait ? { noWait: true } : {}),
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
        return outcome;
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
                        // A poll cut short by the stop (its `pulumi` interrupted) is not a failure to report:
                        // what it did not finish, the next start reads again (a commit is released once).
                        if (!signal.aborted) {
                            (o.onError ?? ((err) => this.opts.log?.(`poll failed: ${messageOf(err)}`)))(e);
                        }
                    }
                    o.onPolled?.();
                }
                first = false;
                if (signal.aborted || this.due) {
                    continue;
                }
                this.nap = new AbortController();
                // Commits left for later are looked at again within `deferredPollMs`, interval or not.
                const again = this.deferring ? (o.deferredPollMs ?? deferredPollMs) : undefined;
                const nap = Math.min(o.intervalMs ?? Infinity, again ?? Infinity);
                try {
                    // The longest delay a Node timer takes; without an interval only a prompt or abort wakes it.
                    await sleep(Math.min(nap, 2 ** 31 - 1), undefined, { signal: this.nap.signal });
                    this.due ||= nap !== Infinity;
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
    /**
     * How soon a poll that left commits waiting for a release of their product is followed by another, even
     * without an interval (ms, default {@link deferredPollMs}).
     */
    readonly deferredPollMs?: number;
    /** Poll at once when the loop starts (default true); false waits for the interval or a prompt. */
    readonly immediate?: boolean;
    /** What each poll did. */
    readonly onOutcomes?: (outcomes: readonly TriggerOutcome[]) => void;
    /** A poll that failed (default: logged). */
    readonly onError?: (e: unknown) => void;
    /** After every poll, failed or not. */
    readonly onPolled?: () => void;
}
