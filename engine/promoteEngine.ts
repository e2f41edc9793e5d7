import * as os from "os";
import * as path from "path";
import type { Catalog } from "../components/catalog";
import type { ActionRequest } from "../provider/actions/action";
import { actionFor } from "../provider/actions/registry";
import type { GitCredentials } from "../provider/git/git";
import type { ArgoCdConfig } from "../provider/health/argoCd";
import type { ArgoServerConfig } from "../provider/workflows/argo";
import type { Change } from "../provider/promotion";
import { hostedRepository, scmFor } from "../provider/scm/registry";
import type { CommitStatus, ScmConfig } from "../provider/scm/scm";
import type { EngineLocation } from "./engineLocator";
import { GateFailedError, Gates } from "./gates";
import { InvalidInputError } from "../model/errors";
import type { PlannedRelease, ReleaseTarget } from "./planRelease";
import { planRelease } from "./planRelease";
import { openPromoteStack, resourceGroups, runReleaseUpdate } from "./promoteStack";
import type { EnvironmentRecord, ReleaseOwner, ReleaseRecord, ReleaseStatus } from "./releaseRecord";
import { activeStatuses, finalStatuses, newReleaseId } from "./releaseRecord";
import { ReleaseStore } from "./releaseStore";

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
    /** GitHub or GitHub Enterprise: pull requests (action `pr`) and commit statuses. */
    readonly github?: GitHubOptions;
}

export interface GitHubOptions extends ScmConfig {
    /**
     * Report each release on its source commit as the commit status `promotions/<product>` (pending while it
     * runs, then success, failure or error). Needs the source repository on GitHub.
     */
    readonly commitStatus?: boolean;
    /** How often an open pull request is looked at (ms; default 10 s). */
    readonly pollIntervalMs?: number;
}

export type ProgressEvent =
    | { readonly type: "release"; readonly release: ReleaseRecord }
    | { readonly type: "environment"; readonly releaseId: string; readonly environment: EnvironmentRecord }
    | { readonly type: "waiting"; readonly releaseId: string; readonly behind: readonly string[] };

export interface PreviewOptions {
    readonly product: string;
    readonly target: ReleaseTarget;
    readonly sourceCommit?: string;
}

export interface PreviewEnvironment {
    readonly name: string;
    readonly dependsOn: readonly string[];
    readonly action: "commit" | "pr" | "none";
    readonly preAction?: string;
    readonly postAction?: string;
    /** True when the release would write to (or run workflows in) this environment. */
    readonly wouldChange: boolean;
    readonly applications: readonly {
        readonly name: string;
        readonly repoURL: string;
        readonly branch: string;
        readonly changes: readonly Change[];
        /** Candidate files the target application does not have (left alone). */
        readonly missing: readonly string[];
    }[];
}

export interface PreviewResult {
    readonly product: string;
    readonly flow: string;
    readonly flowVersion?: string;
    readonly sourceApplication: string;
    readonly sourceCommit: string;
    readonly version?: string;
    /** In DAG order. */
    readonly environments: readonly PreviewEnvironment[];
}

export interface ReleaseOptions extends PreviewOptions {
    /** Called once the release has its id and is stored (before it waits or runs). */
    readonly onCreated?: (record: ReleaseRecord) => void;
}

const now = () => new Date().toISOString();

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * The promote engine: plans releases from the catalog, runs them as updates of a promote stack per product
 * through the Automation API, and keeps their records. Shaped like the Automation API: options in, results
 * out; it never reads argv or the process environment.
 */
export class PromoteEngine {
    private readonly stores = new Map<string, ReleaseStore>();
    private readonly owner: ReleaseOwner = { host: os.hostname(), pid: process.pid };

    private constructor(private readonly opts: PromoteEngineOptions) {}

    static create(opts: PromoteEngineOptions): PromoteEngine {
        return new PromoteEngine(opts);
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

    private readonly stacks = new Map<string, ReturnType<typeof openPromoteStack>>();

    /** The product's promote stack, opened once per engine (and early, while records are written). */
    private promoteStack(product: string): ReturnType<typeof openPromoteStack> {
        let s = this.stacks.get(product);
        if (!s) {
            const tokens = this.opts.gitTokens ?? {};
            const github = this.opts.github;
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
                    ...(github?.apiUrl ? { PROMOTIONS_GITHUB_API_URL: github.apiUrl } : {}),
                    ...(github?.token ? { PROMOTIONS_GITHUB_TOKEN: github.token } : {}),
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
        const { apiUrl, token } = this.opts.github ?? {};
        return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}) };
    }

    /**
     * Reports the release on its source commit (`promotions/<product>`), when asked to and the source lives on
     * GitHub. A status that cannot be set is a warning on the record, never a reason to fail the release.
     */
    private async commitStatus(r: ReleaseRecord): Promise<string | undefined> {
        const repoURL = r.candidate.sourceRepoURL;
        if (!this.opts.github?.commitStatus || !hostedRepository(repoURL, this.opts.github.apiUrl)) {
            return undefined;
        }
        const states: Record<ReleaseStatus, CommitStatus["state"]> = {
            Queued: "pending",
            Running: "pending",
            Suspended: "pending",
            Terminating: "pending",
            Succeeded: "success",
            Failed: "failure",
            Terminated: "error",
        };
        const waiting = r.environments.filter((e) => e.status === "Suspended").map((e) => e.name);
        try {
            const { client, repo } = scmFor(repoURL, this.scm(), this.credentials());
            await client.setCommitStatus(repo, r.sourceCommit, {
                state: states[r.status],
                context: `promotions/${r.product}`,
                description:
                    `release ${r.id} ${r.status}` +
                    (waiting.length > 0 ? `: waiting for pull requests in ${waiting.join(", ")}` : ""),
            });
            return undefined;
        } catch (e) {
            return `commit status on ${r.sourceCommit.slice(0, 12)} not set: ${e instanceof Error ? e.message : String(e)}`;
        }
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

    /** What a release would change in every environment, read from the live repositories; writes nothing. */
    async preview(o: PreviewOptions): Promise<PreviewResult> {
        const planned = await this.plan(o);
        const environments = await Promise.all(
            planned.plan.environments.map(async (env) => {
                const groups = await Promise.all(
                    resourceGroups(env).map(async (g) => {
                        const req: ActionRequest = {
                            releaseId: "preview",
                            product: planned.product.name,
                            flow: planned.flow.name,
                            environment: env.name,
                            repoURL: g.repoURL,
                            targetRevision: g.targetRevision,
                            applications: g.applications.map((a) => ({ name: a.name, path: a.path })),
                            candidate: planned.candidate,
                            cacheDir: this.opts.gitCacheDir,
                            credentials: this.credentials(),
                            scm: this.scm(),
                        };
                        const plan = await actionFor(env.action).plan(req);
                        return plan.plans.map((p) => ({
                            name: p.application,
                            repoURL: g.repoURL,
                            branch: plan.branch,
                            changes: p.changes,
                            missing: p.missing,
                            pending: plan.pending,
                        }));
                    }),
                );
                const apps = groups.flat();
                return {
                    name: env.name,
                    dependsOn: env.dependsOn,
                    action: env.action,
                    ...(env.preAction ? { preAction: env.preAction } : {}),
                    ...(env.postAction ? { postAction: env.postAction } : {}),
                    wouldChange: apps.some((a) => a.pending),
                    applications: apps.map(({ pending: _p, ...a }) => a),
                };
            }),
        );
        return {
            product: planned.product.name,
            flow: planned.flow.name,
            ...(planned.flow.version ? { flowVersion: planned.flow.version } : {}),
            sourceApplication: planned.sourceApplication.name,
            sourceCommit: planned.candidate.sourceCommit,
            ...(planned.candidate.version ? { version: planned.candidate.version } : {}),
            environments,
        };
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
            createdAt: now(),
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
            owner: this.owner,
            attempts: 0,
        };
        return this.run(record, o.onCreated);
    }

    /** Resumes a Failed or Terminated release (or one whose process died) from where it stopped, same id. */
    async retry(id: string): Promise<ReleaseRecord> {
        const record = await this.find(id);
        const dead = activeStatuses.has(record.status) && !this.ownerAlive(record);
        if (!finalStatuses.has(record.status) && !dead) {
            throw new InvalidInputError(
                `release ${id} is ${record.status}: only Failed or Terminated releases can be retried`,
            );
        }
        if (record.status === "Succeeded") {
            throw new InvalidInputError(`release ${id} already Succeeded: nothing to retry`);
        }
        if (dead) {
            // Its process was killed: the lock its `pulumi up` held is stale.
            await this.clearStaleLock(record.product);
        }
        const { finishedAt: _f, error: _e, warnings: _w, ...rest } = record;
        return this.run({ ...rest, status: "Queued", owner: this.owner }, undefined, record.environments);
    }

    /** Asks a release to stop: a Queued one ends at once; a running one ends Terminated when its process sees it. */
    async terminate(id: string): Promise<ReleaseRecord> {
        const record = await this.find(id);
        if (finalStatuses.has(record.status)) {
            return record;
        }
        const store = this.store(record.product);
        if (record.status === "Queued" || !this.ownerAlive(record)) {
            const done = this.finish(record, "Terminated", "terminated by user");
            await store.put(done);
            return done;
        }
        const terminating: ReleaseRecord = { ...record, status: "Terminating", error: "terminated by user" };
        await store.put(terminating);
        const deadline = Date.now() + 10 * 60_000;
        while (Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, this.opts.pollIntervalMs ?? 2000));
            const current = await store.get(id);
            if (!current || finalStatuses.has(current.status)) {
                return current ?? terminating;
            }
            if (!this.ownerAlive(current)) {
                const done = this.finish(current, "Terminated", "terminated by user");
                await store.put(done);
                return done;
            }
        }
        return (await store.get(id)) ?? terminating;
    }

    /** The last commit the trigger watcher handled for a product's application. */
    cursor(product: string, application: string): Promise<string | undefined> {
        return this.store(product).getCursor(application);
    }

    setCursor(product: string, application: string, sha: string): Promise<void> {
        return this.store(product).putCursor(application, sha);
    }

    /** Every release of a product, newest first. */
    releases(product: string): Promise<ReleaseRecord[]> {
        if (!this.opts.catalog.products.some((p) => p.name === product)) {
            throw new InvalidInputError(`unknown product "${product}"`);
        }
        return this.store(product).list();
    }

    /** One release by id, looked up across the catalog's products. */
    async find(id: string): Promise<ReleaseRecord> {
        for (const p of this.opts.catalog.products) {
            const r = await this.store(p.name).get(id);
            if (r) {
                return r;
            }
        }
        throw new InvalidInputError(`no release "${id}" (see 'promote releases --product P')`);
    }

    private ownerAlive(r: ReleaseRecord): boolean {
        if (!r.owner) {
            return false;
        }
        if (r.owner.host !== this.owner.host) {
            // Another machine: alive until the flow timeout (plus a margin) has long passed.
            const started = Date.parse(r.startedAt ?? r.createdAt);
            return Date.now() - started < r.plan.timeoutMs + 15 * 60_000;
        }
        return pidAlive(r.owner.pid);
    }

    private finish(r: ReleaseRecord, status: ReleaseStatus, error?: string): ReleaseRecord {
        return {
            ...r,
            status,
            finishedAt: now(),
            ...(error ? { error } : {}),
            environments: r.environments.map((e) =>
                e.status === "Running" || e.status === "Suspended"
                    ? { ...e, status: status === "Terminated" ? "Terminated" : "Failed" }
                    : e,
            ),
        };
    }

    /**
     * Waits until no earlier release of the product is active or queued (`queue`), or terminates them
     * (`terminate`). Releases whose process died are marked Failed on the way (retry resumes them), and the
     * stale Pulumi lock they left is cleared.
     */
    private async waitForTurn(record: ReleaseRecord): Promise<boolean> {
        const store = this.store(record.product);
        let announced = record.status === "Queued";
        let staleFound = false;
        for (;;) {
            const all = await store.list();
            const blockers: ReleaseRecord[] = [];
            for (const r of all) {
                if (r.id === record.id || finalStatuses.has(r.status)) {
                    continue;
                }
                if (!this.ownerAlive(r)) {
                    const failed = this.finish(
                        r,
                        r.status === "Terminating" ? "Terminated" : "Failed",
                        `the process running it (pid ${r.owner?.pid} on ${r.owner?.host}) stopped; 'promote retry ${r.id}' resumes it`,
                    );
                    await store.put(failed);
                    staleFound = true;
                    continue;
                }
                const earlier =
                    r.createdAt < record.createdAt || (r.createdAt === record.createdAt && r.id < record.id);
                if (activeStatuses.has(r.status) || (r.status === "Queued" && earlier)) {
                    blockers.push(r);
                }
            }
            if (staleFound) {
                await this.clearStaleLock(record.product);
                staleFound = false;
            }
            if (blockers.length === 0) {
                return announced;
            }
            if (record.plan.concurrency === "terminate") {
                for (const b of blockers.filter((x) => x.status !== "Terminating")) {
                    await store.put(
                        b.status === "Queued"
                            ? this.finish(
                                  b,
                                  "Terminated",
                                  `terminated by release ${record.id} (concurrency: terminate)`,
                              )
                            : {
                                  ...b,
                                  status: "Terminating",
                                  error: `terminated by release ${record.id} (concurrency: terminate)`,
                              },
                    );
                }
            }
            if (!announced) {
                if (record.status !== "Queued" || record.attempts > 0) {
                    await store.put({ ...record, status: "Queued" });
                }
                this.opts.onProgress?.({
                    type: "waiting",
                    releaseId: record.id,
                    behind: blockers.map((b) => b.id),
                });
                announced = true;
            }
            await new Promise((r) => setTimeout(r, this.opts.pollIntervalMs ?? 2000));
        }
    }

    /** A killed `pulumi` leaves its lock behind; with the owner confirmed dead, remove it. */
    private async clearStaleLock(product: string): Promise<void> {
        const stack = await this.promoteStack(product);
        await stack.cancel().catch(() => undefined);
    }

    private async run(
        initial: ReleaseRecord,
        onCreated?: (r: ReleaseRecord) => void,
        previous?: readonly EnvironmentRecord[],
    ): Promise<ReleaseRecord> {
        const store = this.store(initial.product);
        const promoteStack = this.promoteStack(initial.product);
        // The record is written as Running straight away when nothing else holds the product; it is only
        // written Queued (and waits) when another release is active or queued ahead of it.
        const running = (): ReleaseRecord => ({
            ...initial,
            status: "Running",
            startedAt: initial.startedAt ?? now(),
            attempts: initial.attempts + 1,
            owner: this.owner,
        });
        let record: ReleaseRecord = running();
        for (;;) {
            const waited = await this.waitForTurn(record);
            record = { ...running(), startedAt: initial.startedAt ?? (waited ? now() : record.startedAt) };
            await store.put(record);
            onCreated?.(record);
            onCreated = undefined;
            this.opts.onProgress?.({ type: "release", release: record });
            // Two processes may both have found the product free: the later one steps back and queues.
            const rival = (await store.list()).find(
                (r) =>
                    r.id !== record.id &&
                    activeStatuses.has(r.status) &&
                    this.ownerAlive(r) &&
                    (r.createdAt < record.createdAt ||
                        (r.createdAt === record.createdAt && r.id < record.id)),
            );
            if (!rival) {
                break;
            }
            record = { ...record, status: "Queued" };
            await store.put(record);
        }

        const controller = new AbortController();
        let reason: string | undefined;
        // Each attempt gets the flow's whole timeout (a retry of a timed-out release must be able to finish).
        const timeout = setTimeout(() => {
            reason = `flow timeout exceeded (promotionTimeoutLimit ${Math.round(record.plan.timeoutMs / 1000)}s)`;
            controller.abort();
        }, record.plan.timeoutMs);
        let polling = true;
        const watcher = (async () => {
            while (polling) {
                await new Promise((r) => setTimeout(r, this.opts.pollIntervalMs ?? 2000));
                if (!polling) {
                    break;
                }
                const current = await store.get(record.id).catch(() => undefined);
                if (current?.status === "Terminating") {
                    reason = current.error ?? "terminated by user";
                    controller.abort();
                    break;
                }
            }
        })();

        // While any environment waits on a pull request the release is Suspended: that is written to the record
        // (people look there for the pull request), as is the return to Running. Writes go one after another,
        // and never over a Terminating written by someone asking the release to stop.
        const live = new Map<string, EnvironmentRecord>();
        const warnings: string[] = [];
        let shown: ReleaseStatus = "Running";
        let writes: Promise<void> = Promise.resolve();
        const onEnvironment = (environment: EnvironmentRecord) => {
            live.set(environment.name, environment);
            this.opts.onProgress?.({ type: "environment", releaseId: record.id, environment });
            const status: ReleaseStatus = [...live.values()].some((e) => e.status === "Suspended")
                ? "Suspended"
                : "Running";
            if (status === shown) {
                return;
            }
            shown = status;
            const snapshot: ReleaseRecord = {
                ...record,
                status,
                environments: record.environments.map((e) => live.get(e.name) ?? e),
            };
            writes = writes.then(async () => {
                const current = await store.get(record.id).catch(() => undefined);
                if (current?.status === "Terminating" || shown !== status) {
                    return;
                }
                this.opts.onProgress?.({ type: "release", release: snapshot });
                await store.put(snapshot).catch(() => undefined);
                const warning = await this.commitStatus(snapshot);
                if (warning) {
                    warnings.push(warning);
                }
            });
        };
        const started = await this.commitStatus(record);
        if (started) {
            warnings.push(started);
        }

        const gates = new Gates({
            workflows: this.opts.catalog.promotionWorkflows,
            cwd: this.opts.workflowDir ?? process.cwd(),
            product: record.product,
            flow: record.flow,
            releaseId: record.id,
            version: record.version,
            sourceCommit: record.sourceCommit,
            gitCacheDir: this.opts.gitCacheDir,
            credentials: this.credentials(),
            signal: controller.signal,
            services: { argo: this.opts.argo, argocd: this.opts.argocd },
            scm: this.scm(),
            pullRequestPollMs: this.opts.github?.pollIntervalMs,
        });
        const previousHooks = new Map((record.hooks ?? []).map((h) => [h.workflow, h]));
        let result: Awaited<ReturnType<typeof runReleaseUpdate>> | undefined;
        let gateError: string | undefined;
        try {
            // Release onStart, then the trigger environment's workflow, run before any target (once per
            // release: a retry does not repeat them if they passed).
            const hooks = record.plan.hooks ?? {};
            if (hooks.onStart && previousHooks.get(hooks.onStart)?.status !== "Succeeded") {
                await gates.hook("release/onStart", hooks.onStart);
            }
            if (
                record.plan.triggerWorkflow &&
                previousHooks.get(record.plan.triggerWorkflow)?.status !== "Succeeded"
            ) {
                await gates.hook("trigger", record.plan.triggerWorkflow, {
                    ENVIRONMENT: record.plan.trigger,
                    APP_NAME: record.sourceApplication,
                });
            }
        } catch (e) {
            if (!(e instanceof GateFailedError)) {
                throw e;
            }
            gateError = e.message;
        }
        try {
            result = gateError
                ? undefined
                : await runReleaseUpdate({
                      engine: this.opts.engine,
                      backendUrl: this.opts.backendUrl,
                      passphrase: this.opts.passphrase,
                      inheritedPath: this.opts.inheritedPath,
                      releaseId: record.id,
                      product: record.product,
                      flow: record.flow,
                      plan: record.plan,
                      candidate: record.candidate,
                      cacheDir: this.opts.gitCacheDir,
                      previous,
                      stack: promoteStack,
                      gates,
                      signal: controller.signal,
                      onEnvironment,
                  });
        } finally {
            clearTimeout(timeout);
            polling = false;
        }
        await watcher;
        // The update is over: a Suspended snapshot still queued is stale (the final record is written below).
        shown = "Running";
        await writes;

        if (!result) {
            result = {
                environments: [...record.environments],
                aborted: controller.signal.aborted,
                error: gateError,
            };
        }
        // Step hooks: onSuccess / onFail of each environment that finished in this attempt.
        for (const env of record.plan.environments) {
            const rec = result.environments.find((e) => e.name === env.name);
            const hook =
                rec?.status === "Succeeded"
                    ? env.hooks?.onSuccess
                    : rec?.status === "Failed"
                      ? env.hooks?.onFail
                      : undefined;
            if (!rec || !hook) {
                continue;
            }
            const extra: Record<string, string> = { ENVIRONMENT: env.name };
            if (rec.status === "Failed") {
                extra.ERROR_MESSAGE = rec.error ?? "failed";
                extra.FAILED_ENVIRONMENTS = JSON.stringify([
                    { name: env.name, status: rec.status, "error-message": rec.error ?? "" },
                ]);
            }
            try {
                await gates.hook(
                    `${env.name}/hooks/${rec.status === "Succeeded" ? "onSuccess" : "onFail"}`,
                    hook,
                    extra,
                    { environment: env.name },
                );
            } catch (e) {
                if (!(e instanceof GateFailedError)) {
                    throw e;
                }
                // A failing step hook fails the environment (and so the release).
                (rec as { status: string }).status = "Failed";
                (rec as { error?: string }).error = [rec.error, e.message].filter(Boolean).join("\n");
            }
        }
        result = {
            ...result,
            environments: result.environments.map((e) => {
                const env = record.plan.environments.find((p) => p.name === e.name);
                const runs = ["onStart", "onSuccess", "onFail"]
                    .map((h) => gates.runs.get(`${e.name}/hooks/${h}`))
                    .filter((r): r is NonNullable<typeof r> => r !== undefined);
                return runs.length > 0 && env ? { ...e, hooks: runs } : e;
            }),
        };

        let status: ReleaseStatus;
        let error: string | undefined;
        const failed = result.environments.filter((e) => e.status === "Failed");
        if (gateError) {
            status = controller.signal.aborted ? "Terminated" : "Failed";
            error = controller.signal.aborted ? reason : gateError;
        } else if (result.aborted) {
            status = "Terminated";
            error = reason;
        } else if (failed.length > 0 || result.error) {
            status = "Failed";
            error =
                failed.length > 0
                    ? failed.map((e) => `${e.name}: ${e.error ?? "failed"}`).join("\n")
                    : result.error;
        } else if (result.environments.every((e) => e.status === "Succeeded" || e.status === "Skipped")) {
            status = "Succeeded";
        } else {
            status = "Failed";
            error = "some environments did not run";
        }
        // Release onSuccess / onFail (a Terminated release runs onFail too, as Codefresh does).
        const hooks = record.plan.hooks ?? {};
        const finalHook = status === "Succeeded" ? hooks.onSuccess : hooks.onFail;
        const runFinal = async (key: string, workflow: string, failedStatus: ReleaseStatus, err?: string) =>
            gates.hook(
                key,
                workflow,
                failedStatus === "Succeeded"
                    ? {}
                    : {
                          ERROR_MESSAGE: err ?? "",
                          FAILED_ENVIRONMENTS: JSON.stringify(
                              result!.environments
                                  .filter((e) => e.status === "Failed" || e.status === "Terminated")
                                  .map((e) => ({
                                      name: e.name,
                                      status: e.status,
                                      "error-message": e.error ?? "",
                                  })),
                          ),
                      },
            );
        if (finalHook) {
            try {
                await runFinal(
                    `release/${status === "Succeeded" ? "onSuccess" : "onFail"}`,
                    finalHook,
                    status,
                    error,
                );
            } catch (e) {
                if (!(e instanceof GateFailedError)) {
                    throw e;
                }
                if (status === "Succeeded") {
                    // A failing onSuccess fails the release, and onFail runs.
                    status = "Failed";
                    error = e.message;
                    if (hooks.onFail) {
                        await runFinal("release/onFail", hooks.onFail, status, error).catch(() => undefined);
                    }
                } else {
                    error = [error, e.message].filter(Boolean).join("\n");
                }
            }
        }
        const releaseHooks = ["release/onStart", "trigger", "release/onSuccess", "release/onFail"]
            .map((k) => gates.runs.get(k))
            .filter((r): r is NonNullable<typeof r> => r !== undefined);
        const keptHooks = (record.hooks ?? []).filter(
            (h) => !releaseHooks.some((r) => r.workflow === h.workflow),
        );
        record = {
            ...record,
            status,
            finishedAt: now(),
            ...(error ? { error } : {}),
            ...(releaseHooks.length + keptHooks.length > 0 ? { hooks: [...keptHooks, ...releaseHooks] } : {}),
            environments: result.environments,
        };
        if (status === "Succeeded") {
            const { error: _e, ...clean } = record;
            record = clean;
        }
        const ended = await this.commitStatus(record);
        if (ended) {
            warnings.push(ended);
        }
        if (warnings.length > 0) {
            record = { ...record, warnings: [...new Set(warnings)] };
        }
        await store.put(record);
        this.opts.onProgress?.({ type: "release", release: record });
        return record;
    }
}

/** The default clone cache under a cache root. */
export function gitCacheDir(cacheRoot: string): string {
    return path.join(cacheRoot, "git");
}
