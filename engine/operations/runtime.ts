import type { Stack } from "@pulumi/pulumi/automation";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import type { GitCredentials } from "../../provider/git/git";
import { hostsEnvironment } from "../../provider/scm/hosts";
import type { ScmConfig } from "../../provider/scm/scm";
import type { Hold } from "../governance/holds";
import { withPolicyPacks } from "../governance/policyPacks";
import type { Undelivered } from "../notifications/notifications";
import { notifierFor } from "../notifications/notifications";
import type { PreviewOptions, PromoteEngineOptions } from "./options";
import { reportCommitStatus } from "../release/commitStatus";
import type { PlannedRelease } from "../record/plannedRelease";
import { planRelease } from "../release/planRelease";
import type { ProgressEvent } from "../release/progress";
import { ReleaseQueue } from "../release/releaseQueue";
import type { ReleaseRecord } from "../record/releaseRecord";
import { checkReleaseId } from "../record/releaseRecord";
import type { RunContext } from "../release/runContext";
import { checkpointResources, isStale, markStale } from "../release/staleRelease";
import type { KvStore } from "../store";
import { openKvStore } from "../store";
import { migrateProduct, migrationLine } from "../store/migrate";
import { ReleaseStore } from "../store/releaseStore";

/**
 * What the engine's operations share, made once per engine from its options: the coordination store and each
 * product's release store, queue, promote stack and {@link RunContext} (one per product, handed down whole to
 * every release's run), the notifier, and the checks every operation starts with.
 */
export class EngineRuntime {
    private readonly stores = new Map<string, ReleaseStore>();
    private readonly stacks = new Map<string, Promise<Stack>>();
    private readonly contexts = new Map<string, RunContext>();
    private kvStore?: KvStore;
    private readonly notifier: ReturnType<typeof notifierFor>;

    constructor(readonly opts: PromoteEngineOptions) {
        this.notifier = notifierFor(opts.catalog, opts.notifications, opts.metrics);
    }

    /** Every progress event goes to the notifications (if any), then to the caller's `onProgress`. */
    readonly progress = (e: ProgressEvent): void => {
        this.notifier?.progress(e);
        this.opts.onProgress?.(e);
    };

    async notificationsSettled(): Promise<void> {
        await this.notifier?.idle();
    }

    async settleNotifications(withinMs: number): Promise<Undelivered[]> {
        return (await this.notifier?.settle(withinMs)) ?? [];
    }

    /** Now, by the engine's clock (tests move it). */
    now(): number {
        return this.opts.clock?.now() ?? Date.now();
    }

    /** The context every release of a product runs with (see RunContext), made on first use. */
    runContext(product: string): RunContext {
        let ctx = this.contexts.get(product);
        if (!ctx) {
            const o = this.opts;
            const scm = o.scm ?? o.github;
            ctx = {
                engine: o.engine,
                backendUrl: o.backendUrl,
                passphrase: o.passphrase,
                inheritedPath: o.inheritedPath,
                gitCacheDir: o.gitCacheDir,
                credentials: this.credentials(),
                scm: this.scm(),
                services: { argo: o.argo, argocd: o.argocd },
                workflows: o.catalog.promotionWorkflows,
                workflowDir: o.workflowDir ?? process.cwd(),
                pullRequestPollMs: scm?.pollIntervalMs,
                store: this.store(product),
                queue: this.queue(product),
                stack: this.promoteStack(product),
                onProgress: this.progress,
                ...(o.drain ? { drain: o.drain } : {}),
                ...(o.pollIntervalMs ? { approvalPollMs: o.pollIntervalMs } : {}),
                ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
                ...(o.runtime ? { runtime: o.runtime } : {}),
                ...(o.clock ? { clock: o.clock } : {}),
                ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
                ...(scm?.commitStatus
                    ? {
                          commitStatus: (r: ReleaseRecord) =>
                              reportCommitStatus(r, this.scm(), this.credentials()),
                      }
                    : {}),
            };
            this.contexts.set(product, ctx);
        }
        return ctx;
    }

    /** A release's plan from the catalog, its policy packs resolved. `runsNothing`: a preview's (no Argo needed). */
    async plan(o: PreviewOptions, how: { runsNothing?: boolean } = {}): Promise<PlannedRelease> {
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
    withPacks(planned: PlannedRelease, extra: readonly string[] = []): PlannedRelease {
        const environments = withPolicyPacks(
            planned.plan.environments,
            this.opts.catalog.environments,
            extra,
            this.opts.workflowDir ?? process.cwd(),
        );
        return { ...planned, plan: { ...planned.plan, environments } };
    }

    planOptions(product: string) {
        return {
            catalog: this.opts.catalog,
            product,
            cacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            services: { argo: this.opts.argo, argocd: this.opts.argocd },
        };
    }

    /** How live repositories are read (previews, saved plans). */
    reader() {
        return { cacheDir: this.opts.gitCacheDir, credentials: this.credentials(), scm: this.scm() };
    }

    /** The product must be in the catalog. */
    product(name: string): void {
        if (!this.opts.catalog.products.some((p) => p.name === name)) {
            throw new InvalidInputError(
                `unknown product "${name}": one of ${this.opts.catalog.products.map((p) => p.name).join(", ") || "(none defined)"}`,
                { entity: `Product "${name}"` },
            );
        }
    }

    /** The product and environment must exist, and the product must have an application there. */
    environmentOf(product: string, environment: string): void {
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
    refuseWhileDraining(what: string): void {
        if (this.opts.drain?.aborted) {
            throw new EnvironmentError(
                `${what} not started: this server is shutting down; another replica, or this one once started again, takes it`,
            );
        }
    }

    /** The holds of a product that are in place, by environment. */
    async holds(product: string): Promise<Hold[]> {
        this.product(product);
        return (await this.store(product).holds()).filter((h) => h.active);
    }

    /** A release as stored, looked up across the catalog's products. */
    async stored(id: string): Promise<ReleaseRecord> {
        checkReleaseId(id);
        for (const p of this.opts.catalog.products) {
            const r = await this.store(p.name).get(id);
            if (r) {
                return r;
            }
        }
        throw new InvalidInputError(`no release "${id}" (see 'promote releases --product P')`);
    }

    /** Records as they are: one still Running whose process is gone is marked `stale` (see staleRelease). */
    async truthful(product: string, records: ReleaseRecord[]): Promise<ReleaseRecord[]> {
        if (!records.some(isStale)) {
            return records;
        }
        const checkpoint = await checkpointResources(await this.promoteStack(product)).catch(() => undefined);
        return records.map((r) => (isStale(r) ? markStale(r, checkpoint) : r));
    }

    queue(product: string): ReleaseQueue {
        return new ReleaseQueue({
            store: this.store(product),
            clearStaleLock: async () => {
                await (await this.promoteStack(product)).cancel().catch(() => undefined);
            },
            pollIntervalMs: this.opts.pollIntervalMs ?? 2000,
            onWaiting: (releaseId, behind) => this.progress({ type: "waiting", releaseId, behind }),
        });
    }

    /** A product's release store, on the coordination store (engine/store/), migrating older state once. */
    store(product: string): ReleaseStore {
        let s = this.stores.get(product);
        if (!s) {
            s = new ReleaseStore(this.kv(), product, async () => {
                const { legacyStacks } = await import("../pulumi/workspace");
                const legacy = legacyStacks({
                    engine: this.opts.engine,
                    backendUrl: this.opts.backendUrl,
                    passphrase: this.opts.passphrase,
                    inheritedPath: this.opts.inheritedPath,
                });
                const line = migrationLine(
                    `product ${product}`,
                    await migrateProduct(this.kv(), product, legacy),
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

    /** The product's promote stack, opened once per engine. */
    promoteStack(product: string): Promise<Stack> {
        let s = this.stacks.get(product);
        if (!s) {
            s = this.openPromoteStack(product, this.opts.backendUrl);
            s.catch(() => undefined);
            this.stacks.set(product, s);
        }
        return s;
    }

    /**
     * Opens (creating it if needed) the product's promote stack in a backend. The Automation API is loaded
     * here, on first use, not with this module: previews and `validate` never open a stack, and loading the
     * Pulumi SDK is most of their start-up.
     */
    async openPromoteStack(product: string, backendUrl: string): Promise<Stack> {
        const tokens = this.opts.gitTokens ?? {};
        const { apiUrl, token, hosts } = this.scm();
        const { openPromoteStack } = await import("../pulumi/promoteStack");
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

    credentials(): GitCredentials {
        return { tokens: this.opts.gitTokens ?? {} };
    }

    scm(): ScmConfig {
        const { apiUrl, token, hosts } = this.opts.scm ?? this.opts.github ?? {};
        return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}), ...(hosts ? { hosts } : {}) };
    }

    /** The coordination store (engine/store/), opened on first use. */
    private kv(): KvStore {
        this.kvStore ??= openKvStore(this.opts.storeUrl ?? this.opts.backendUrl);
        return this.kvStore;
    }
}
