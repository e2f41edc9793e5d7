import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Catalog } from "../components/catalog";
import { InvalidInputError } from "../model/errors";
import { finalReleaseStatuses } from "../model/status";
import type { GitCredentials } from "../provider/git/git";
import type { ArgoCdConfig } from "../provider/health/argoCd";
import type { ScmConfig } from "../provider/scm/scm";
import type { ArgoServerConfig } from "../provider/workflows/argo";
import { reportCommitStatus } from "./commitStatus";
import type { EngineLocation } from "./engineLocator";
import type { PlannedRelease, ReleaseTarget } from "./planRelease";
import { planRelease } from "./planRelease";
import type { PreviewResult } from "./preview";
import { previewRelease } from "./preview";
import { openPromoteStack } from "./promoteStack";
import { ownerAlive, ReleaseQueue, thisProcess } from "./releaseQueue";
import type { ReleaseRecord } from "./releaseRecord";
import { newReleaseId } from "./releaseRecord";
import type { ProgressEvent } from "./releaseRun";
import { runRelease } from "./releaseRun";
import { ReleaseStore } from "./releaseStore";
import { checkpointResources, progressFromCheckpoint } from "./staleRelease";
import { supersededBy } from "./supersede";

export type { PreviewEnvironment, PreviewResult } from "./preview";
export type { ProgressEvent } from "./releaseRun";

export interface PromoteEngineOptions {
    readonly catalog: Catalog;
    readonly engine: EngineLocation;
    /** The Pulumi backend for the promote stacks and release records. */
    readonly backendUrl: string;
    readonly passphrase: string;
    /** Where bare clones of the GitOps repositories are kept between runs. */
    readonly gitCacheDir: string;
    /** Tokens for http(s) Git remotes, by host (`*` for any). Passed to the provider through its environment. */
    readonly gitTokens?: Readonly<Record<string, string>>;
    /** The PATH to run Pulumi with (defaults to this process's). */
    readonly inheritedPath?: string;
    /** Live progress. */
    readonly onProgress?: (event: ProgressEvent) => void;
    /** How often a running release checks whether it was asked to terminate (ms). */
    readonly pollIntervalMs?: number;
    /** Where local workflow commands run (default: this process's working directory). */
    readonly workflowDir?: string;
    /** The Argo Server for Argo WorkflowTemplate gates. */
    readonly argo?: ArgoServerConfig;
    /** Argo CD, for health waits. */
    readonly argocd?: ArgoCdConfig;
    /** The code host's API (GitHub or GitHub Enterprise): pull requests (action `pr`) and commit statuses. */
    readonly scm?: ScmOptions;
    /** @deprecated the former name of `scm`. */
    readonly github?: ScmOptions;
}

export interface ScmOptions extends ScmConfig {
    /**
     * Report each release on its source commit as the commit status `promotions/<product>` (pending while it
     * runs, then success, failure or error). Needs the source repository on the code host.
     */
    readonly commitStatus?: boolean;
    /** How often an open pull request is looked at (ms; default 10 s). */
    readonly pollIntervalMs?: number;
}
/** @deprecated the former name of {@link ScmOptions}. */
export type GitHubOptions = ScmOptions;

export interface PreviewOptions {
    readonly product: string;
    readonly target: ReleaseTarget;
    readonly sourceCommit?: string;
}

export interface ReleaseOptions extends PreviewOptions {
    /** Called once the release has its id and is stored (before it waits or runs). */
    readonly onCreated?: (record: ReleaseRecord) => void;
}

export interface RetryOptions {
    /** Retry even though a newer release has since succeeded in some of its environments (it would roll them back). */
    readonly forceOlder?: boolean;
}

/**
 * The promote engine: plans releases from the catalog, runs them as updates of a promote stack per product
 * through the Automation API, and keeps their records. Shaped like the Automation API: options in, results
 * out; it never reads argv or the process environment.
 */
export class PromoteEngine {
    private readonly stores = new Map<string, ReleaseStore>();
    private readonly stacks = new Map<string, Promise<Stack>>();

    private constructor(private readonly opts: PromoteEngineOptions) {}

    static create(opts: PromoteEngineOptions): PromoteEngine {
        return new PromoteEngine(opts);
    }

    /** What a release would change in every environment, read from the live repositories; writes nothing. */
    async preview(o: PreviewOptions): Promise<PreviewResult> {
        return previewRelease(await this.plan(o), {
            cacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            scm: this.scm(),
        });
    }

    /** Creates a release, waits for its turn (the product's concurrency), runs it, and returns its record. */
    async release(o: ReleaseOptions): Promise<ReleaseRecord> {
        const planned = await this.plan(o);
        const record: ReleaseRecord = {
            id: newReleaseId(),
            product: planned.product.name,
            flow: planned.flow.name,
            ...(planned.flow.version ? { flowVersion: planned.flow.version } : {}),
            status: "Queued",
            createdAt: new Date().toISOString(),
            sourceApplication: planned.sourceApplication.name,
            sourceCommit: planned.candidate.sourceCommit,
            ...(planned.candidate.version ? { version: planned.candidate.version } : {}),
            environments: planned.plan.environments.map((e) => ({
                name: e.name,
                status: "Pending",
                dependsOn: e.dependsOn,
                applications: e.applications.map((a) => ({
                    name: a.name,
                    status: "Pending",
                    action: e.action,
                    repoURL: a.repoURL,
                    changes: [],
                })),
            })),
            candidate: planned.candidate,
            plan: planned.plan,
            owner: thisProcess,
            attempts: 0,
        };
        return runRelease(this.context(record.product), record, o.onCreated);
    }

    /**
     * Resumes a Failed or Terminated release (or one whose process died) from where it stopped, same id.
     * Refused when a newer release of the product has since succeeded in an environment this one would still
     * write (it would roll that environment back), unless `forceOlder`.
     */
    async retry(id: string, o: RetryOptions = {}): Promise<ReleaseRecord> {
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
        const { finishedAt: _f, error: _e, warnings: _w, ...rest } = record;
        return runRelease(
            this.context(record.product),
            { ...rest, status: "Queued", owner: thisProcess },
            undefined,
            record.environments,
        );
    }

    /** Asks a release to stop: a Queued one ends at once; a running one ends Terminated when its process sees it. */
    async terminate(id: string): Promise<ReleaseRecord> {
        const record = await this.stored(id);
        return this.queue(record.product).terminate(record);
    }

    /** The last commit the trigger watcher handled for a product's application. */
    cursor(product: string, application: string): Promise<string | undefined> {
        return this.store(product).getCursor(application);
    }

    setCursor(product: string, application: string, sha: string): Promise<void> {
        return this.store(product).putCursor(application, sha);
    }

    /** Every release of a product, newest first (one whose process died shown as such: see `stale`). */
    async releases(product: string): Promise<ReleaseRecord[]> {
        if (!this.opts.catalog.products.some((p) => p.name === product)) {
            throw new InvalidInputError(`unknown product "${product}"`, { entity: `Product "${product}"` });
        }
        return this.truthful(product, await this.store(product).list());
    }

    /** One release by id, looked up across the catalog's products. */
    async find(id: string): Promise<ReleaseRecord> {
        const r = await this.stored(id);
        return (await this.truthful(r.product, [r]))[0];
    }

    /** A release as stored. */
    private async stored(id: string): Promise<ReleaseRecord> {
        for (const p of this.opts.catalog.products) {
            const r = await this.store(p.name).get(id);
            if (r) {
                return r;
            }
        }
        throw new InvalidInputError(`no release "${id}" (see 'promote releases --product P')`);
    }

    /**
     * Records as they are: a release still reading Running whose process is gone is marked `stale`, with what
     * it had done read from the promote stack's checkpoint (environments are not written one by one).
     */
    private async truthful(product: string, records: ReleaseRecord[]): Promise<ReleaseRecord[]> {
        const dead = records.filter(
            (r) => (r.status === "Running" || r.status === "Terminating") && !ownerAlive(r),
        );
        if (dead.length === 0) {
            return records;
        }
        const checkpoint = await checkpointResources(await this.promoteStack(product)).catch(() => undefined);
        return records.map((r) =>
            dead.includes(r)
                ? {
                      ...r,
                      ...(checkpoint ? { environments: progressFromCheckpoint(r, checkpoint) } : {}),
                      stale: `the process running it (pid ${r.owner?.pid} on ${r.owner?.host}) is gone: 'promote retry ${r.id}' resumes it`,
                  }
                : r,
        );
    }

    private plan(o: PreviewOptions): Promise<PlannedRelease> {
        return planRelease({
            catalog: this.opts.catalog,
            product: o.product,
            target: o.target,
            sourceCommit: o.sourceCommit,
            cacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            services: { argo: this.opts.argo, argocd: this.opts.argocd },
        });
    }

    private context(product: string) {
        const scm = this.opts.scm ?? this.opts.github;
        return {
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            inheritedPath: this.opts.inheritedPath,
            gitCacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            scm: this.scm(),
            services: { argo: this.opts.argo, argocd: this.opts.argocd },
            workflows: this.opts.catalog.promotionWorkflows,
            workflowDir: this.opts.workflowDir ?? process.cwd(),
            pullRequestPollMs: scm?.pollIntervalMs,
            store: this.store(product),
            queue: this.queue(product),
            stack: this.promoteStack(product),
            onProgress: this.opts.onProgress,
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
            onWaiting: (releaseId, behind) => this.opts.onProgress?.({ type: "waiting", releaseId, behind }),
        });
    }

    private store(product: string): ReleaseStore {
        let s = this.stores.get(product);
        if (!s) {
            s = new ReleaseStore({
                engine: this.opts.engine,
                backendUrl: this.opts.backendUrl,
                passphrase: this.opts.passphrase,
                product,
                inheritedPath: this.opts.inheritedPath,
            });
            this.stores.set(product, s);
        }
        return s;
    }

    /** The product's promote stack, opened once per engine (and early, while records are written). */
    private promoteStack(product: string): Promise<Stack> {
        let s = this.stacks.get(product);
        if (!s) {
            const tokens = this.opts.gitTokens ?? {};
            const { apiUrl, token } = this.scm();
            s = openPromoteStack({
                engine: this.opts.engine,
                backendUrl: this.opts.backendUrl,
                passphrase: this.opts.passphrase,
                product,
                inheritedPath: this.opts.inheritedPath,
                // Credentials reach the provider through its environment only, never as inputs (or state).
                extraEnv: {
                    ...(Object.keys(tokens).length > 0
                        ? { PROMOTIONS_GIT_TOKENS: JSON.stringify(tokens) }
                        : {}),
                    ...(apiUrl ? { PROMOTIONS_SCM_API_URL: apiUrl, PROMOTIONS_GITHUB_API_URL: apiUrl } : {}),
                    ...(token ? { PROMOTIONS_SCM_TOKEN: token, PROMOTIONS_GITHUB_TOKEN: token } : {}),
                },
            });
            s.catch(() => undefined);
            this.stacks.set(product, s);
        }
        return s;
    }

    private credentials(): GitCredentials {
        return { tokens: this.opts.gitTokens ?? {} };
    }

    private scm(): ScmConfig {
        const { apiUrl, token } = this.opts.scm ?? this.opts.github ?? {};
        return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}) };
    }
}

/** The default clone cache under a cache root. */
export function gitCacheDir(cacheRoot: string): string {
    return path.join(cacheRoot, "git");
}
