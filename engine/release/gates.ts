import * as os from "os";
import type { PromotionWorkflowDefinition } from "../../components/promotionWorkflow";
import { Repository } from "../../provider/git/repository";
import type { HealthResult } from "../../provider/health/argoCd";
import { waitForHealthy } from "../../provider/health/argoCd";
import type { PullRequest } from "../../provider/scm/scm";
import { runnerFor } from "../../provider/workflows/registry";
import type { WorkflowRunResult } from "../../provider/workflows/runner";
import type {
    PlannedApplication,
    PlannedEnvironment,
    ReleaseRecord,
    WorkflowRunRecord,
} from "../record/releaseRecord";
import type { RunContext } from "./runContext";
import { releaseUrl } from "./runContext";

/** What the gates read of the run context. */
export type GatesContext = Pick<
    RunContext,
    | "workflows"
    | "workflowDir"
    | "gitCacheDir"
    | "credentials"
    | "services"
    | "scm"
    | "pullRequestPollMs"
    | "publicUrl"
    | "runtime"
>;

/** The release whose workflows the gates run. */
export type GatedRelease = Pick<ReleaseRecord, "id" | "product" | "flow" | "version" | "sourceCommit">;

/** Keys of recorded runs: `<env>/<app>/pre`, `<env>/<app>/post`, `<env>/hooks/<hook>`, `release/<hook>`, `trigger`. */
export type RunKey = string;

/** A gate that did not pass: its message names the workflow, where it ran, and the end of its log. */
export class GateFailedError extends Error {
    constructor(
        readonly run: WorkflowRunRecord,
        where: string,
        message?: string,
    ) {
        super(
            `${where}: workflow "${run.workflow}" ${run.status}${message ? ` (${message})` : ""}` +
                (run.log ? `\n${run.log.split("\n").slice(-8).join("\n")}` : ""),
        );
        this.name = "GateFailedError";
    }
}

/**
 * Runs the workflows of one release attempt, in this process (Pulumi resource hooks call into it), and keeps
 * what each run did for the release record. Parameters follow DESIGN.md section 3 item 6 and Codefresh's
 * default-parameter tables (every workflow also gets `RELEASE_URL` and `RUNTIME`: an Argo WorkflowTemplate is
 * given only the parameters it declares, and Argo refuses a submission lacking a declared one); a hook's
 * `PROMOTION_CONTEXT` output (a JSON object) is merged into the parameters of every later hook, and a
 * pre-action's outputs reach the same application's post-action.
 */
export class Gates {
    readonly runs = new Map<RunKey, WorkflowRunRecord>();
    /** Health waits, by `<env>/<app>`. */
    readonly health = new Map<string, HealthResult>();
    /** What each awaited pull request looked like last, by `<env>/<repoURL>`. */
    readonly pullRequests = new Map<string, PullRequest>();
    /**
     * Why the host last refused to auto-merge an open pull request (branch protection, required checks), by
     * `<env>/<repoURL>`: the release shows it while it waits.
     */
    readonly mergeRefusals = new Map<string, string>();
    /** Told when a refusal starts, changes or ends (the promote stack reports the environment again). */
    onMergeRefusal?: (environment: string) => void;
    private context: Record<string, string> = {};
    private readonly preOutputs = new Map<string, Record<string, string>>();

    constructor(
        private readonly ctx: GatesContext,
        private readonly release: GatedRelease,
        private readonly signal?: AbortSignal,
    ) {}

    private workflow(name: string): PromotionWorkflowDefinition {
        const wf = this.ctx.workflows.find((w) => w.name === name);
        if (!wf) {
            throw new Error(`unknown workflow "${name}"`);
        }
        return wf;
    }

    private base(): Record<string, string> {
        return {
            PRODUCT_NAME: this.release.product,
            RELEASE_ID: this.release.id,
            RELEASE_URL: releaseUrl(this.ctx.publicUrl, this.release.id),
            PROMOTION_FLOW_NAME: this.release.flow,
            VERSION: this.release.version ?? "",
            RUNTIME: this.ctx.runtime ?? os.hostname(),
        };
    }

    private async execute(
        key: RunKey,
        name: string,
        parameters: Record<string, string>,
        labels: Record<string, string>,
    ): Promise<WorkflowRunResult> {
        const workflow = this.workflow(name);
        const startedAt = new Date().toISOString();
        this.record(key, { workflow: name, status: "Running", startedAt });
        const result = await runnerFor(workflow, this.ctx.services).run({
            workflow,
            parameters,
            labels: {
                product: this.release.product,
                release: this.release.id,
                flow: this.release.flow,
                ...labels,
            },
            cwd: this.ctx.workflowDir,
            signal: this.signal,
        });
        this.record(key, {
            workflow: name,
            status: result.status,
            ...(result.runId ? { runId: result.runId } : {}),
            startedAt: result.startedAt,
            finishedAt: result.finishedAt,
            ...(result.log ? { log: result.log } : {}),
        });
        return result;
    }

    private record(key: RunKey, run: WorkflowRunRecord): void {
        this.runs.set(key, run);
    }

    /** A pre- or post-action's application parameters (BRANCH: `targetRevision` as written, as Codefresh). */
    private appParameters(
        env: Pick<PlannedEnvironment, "name">,
        app: PlannedApplication,
    ): Record<string, string> {
        return {
            ...this.base(),
            APP_NAME: app.name,
            APP_NAMESPACE: app.namespace,
            REPO_URL: app.repoURL,
            BRANCH: app.targetRevision,
            PATH: app.path,
            ENVIRONMENT: env.name,
        };
    }

    /** The pre-action of each application, in order; the first failure stops the environment (nothing written). */
    async preActions(env: PlannedEnvironment, apps: readonly PlannedApplication[]): Promise<void> {
        if (!env.preAction) {
            return;
        }
        for (const app of apps) {
            const key = `${env.name}/${app.name}/pre`;
            const result = await this.execute(key, env.preAction, this.appParameters(env, app), {
                environment: env.name,
                application: app.name,
            });
            this.preOutputs.set(`${env.name}/${app.name}`, { ...result.outputs });
            if (result.status !== "Succeeded") {
                throw new GateFailedError(
                    this.runs.get(key)!,
                    `pre-action of ${app.name} in ${env.name}`,
                    result.message,
                );
            }
        }
    }

    /** Waits for Argo CD to report the application Synced (at or after the commit) and Healthy. */
    async healthWait(
        env: PlannedEnvironment,
        app: PlannedApplication,
        commitSha: string | undefined,
    ): Promise<void> {
        if (!app.healthWaitMs || !commitSha) {
            return;
        }
        const config = this.ctx.services?.argocd;
        if (!config) {
            throw new Error(`no Argo CD configured for the health wait of ${app.name}`);
        }
        const repo = await Repository.open(app.repoURL, this.ctx.gitCacheDir, this.ctx.credentials);
        const result = await waitForHealthy({
            config,
            application: { name: app.name, namespace: app.namespace },
            commitSha,
            contains: async (revision, commit) => {
                if (revision === commit) {
                    return true;
                }
                if (!(await repo.resolveCommit(revision))) {
                    await repo.fetch();
                }
                return repo.isAncestor(commit, revision);
            },
            timeoutMs: app.healthWaitMs,
            signal: this.signal,
        });
        this.health.set(`${env.name}/${app.name}`, result);
        if (result.status !== "Healthy") {
            throw new Error(
                `health of ${app.name} in ${env.name}: ${result.status}${result.message ? ` (${result.message})` : ""}`,
            );
        }
    }

    /**
     * Waits until the pull request an environment's `pr` action opened is merged or closed, merging it when
     * the policy asks for auto-merge (as soon as the host allows). Terminate and the flow timeout end the wait.
     * After each look at a pull request still open, `stop()` may end the wait: it then returns `"open"` (the
     * caller parks the environment); `wake` cuts a pause between looks short (the process shutting down).
     */
    async awaitMerge(
        env: PlannedEnvironment,
        repoURL: string,
        number: number,
        o: { readonly stop?: () => boolean; readonly wake?: AbortSignal } = {},
    ): Promise<"done" | "open"> {
        if (!number) {
            return "done";
        }
        // Loaded here: the code hosts' clients are needed only by a release that waits for a pull request.
        const { scmFor } = await import("../../provider/scm/registry");
        const { client, repo } = scmFor(repoURL, this.ctx.scm, this.ctx.credentials);
        const signal = this.signal;
        const wakers = [signal, o.wake].filter((s): s is AbortSignal => s !== undefined);
        for (;;) {
            if (signal?.aborted) {
                throw new Error(`stopped while pull request #${number} waited for its merge`);
            }
            const pr = await client.getPullRequest(repo, number);
            const key = `${env.name}/${repoURL}`;
            this.pullRequests.set(key, pr);
            if (pr.state !== "open") {
                this.refusal(env.name, key, undefined);
                return "done";
            }
            if (env.pullRequest?.autoMerge) {
                const merge = await client.mergePullRequest(repo, number, {
                    method: env.pullRequest.mergeMethod ?? "merge",
                    sha: pr.headSha,
                });
                if (merge.merged) {
                    this.refusal(env.name, key, undefined);
                    continue;
                }
                this.refusal(env.name, key, merge.reason ?? "the code host refused the merge");
            }
            if (o.stop?.()) {
                return "open";
            }
            await new Promise<void>((resolve) => {
                const timer = setTimeout(done, this.ctx.pullRequestPollMs ?? 10_000);
                function done() {
                    clearTimeout(timer);
                    wakers.forEach((w) => w.removeEventListener("abort", done));
                    resolve();
                }
                wakers.forEach((w) => w.addEventListener("abort", done));
            });
        }
    }

    private refusal(environment: string, key: string, reason: string | undefined): void {
        if (this.mergeRefusals.get(key) === reason) {
            return;
        }
        if (reason === undefined) {
            this.mergeRefusals.delete(key);
        } else {
            this.mergeRefusals.set(key, reason);
        }
        this.onMergeRefusal?.(environment);
    }

    /**
     * The post-action of one application, after its commit (COMMIT_* describe the pushed commit). BRANCH is
     * `spec.source.targetRevision` as written (`HEAD` stays `HEAD`), as Codefresh passes it, not the branch it
     * resolved to.
     */
    async postAction(
        env: PlannedEnvironment,
        app: PlannedApplication,
        commitSha: string | undefined,
    ): Promise<void> {
        if (!env.postAction) {
            return;
        }
        const commit = await this.commitParameters(app.repoURL, commitSha);
        const key = `${env.name}/${app.name}/post`;
        const result = await this.execute(
            key,
            env.postAction,
            {
                ...this.preOutputs.get(`${env.name}/${app.name}`),
                ...this.appParameters(env, app),
                ...commit,
            },
            { environment: env.name, application: app.name },
        );
        if (result.status !== "Succeeded") {
            throw new GateFailedError(
                this.runs.get(key)!,
                `post-action of ${app.name} in ${env.name}`,
                result.message,
            );
        }
    }

    /** `COMMIT_SHA`, and `COMMIT_AUTHOR`, `COMMIT_MESSAGE`, `COMMIT_DATE` of that commit when there is one. */
    private async commitParameters(
        repoURL: string,
        commitSha: string | undefined,
    ): Promise<Record<string, string>> {
        const commit: Record<string, string> = { COMMIT_SHA: commitSha ?? "" };
        if (commitSha) {
            const repo = await Repository.open(repoURL, this.ctx.gitCacheDir, this.ctx.credentials);
            const info = await repo.commitInfo(commitSha).catch(async () => {
                await repo.fetch();
                return repo.commitInfo(commitSha);
            });
            Object.assign(commit, {
                COMMIT_AUTHOR: info.author,
                COMMIT_MESSAGE: info.message,
                COMMIT_DATE: info.date,
            });
        }
        return commit;
    }

    /**
     * The trigger environment's workflow (Codefresh's "Trigger Workflow", a post-action of the trigger
     * environment): a post-action's parameters for the source application and the source commit, plus the
     * hooks' (it runs as one). `source` is absent in records planned before it was kept: name only.
     */
    async triggerWorkflow(
        key: RunKey,
        workflow: string,
        environment: string,
        application: string,
        source: PlannedApplication | undefined,
    ): Promise<void> {
        await this.hook(key, workflow, {
            ENVIRONMENT: environment,
            APP_NAME: application,
            ...(source
                ? {
                      ...this.appParameters({ name: environment }, source),
                      ...(await this.commitParameters(source.repoURL, this.release.sourceCommit)),
                  }
                : {}),
        });
    }

    /**
     * A flow or step hook (onStart, onSuccess, onFail) or the trigger workflow. Its `PROMOTION_CONTEXT` output
     * is merged into later hooks' parameters. Throws on failure.
     */
    async hook(
        key: RunKey,
        workflow: string,
        extra: Record<string, string> = {},
        labels: Record<string, string> = {},
    ): Promise<void> {
        const result = await this.execute(
            key,
            workflow,
            { ...this.context, ...this.base(), COMMIT_SHA: this.release.sourceCommit, ...extra },
            labels,
        );
        const ctx = result.outputs.PROMOTION_CONTEXT;
        if (ctx) {
            try {
                const parsed = JSON.parse(ctx) as Record<string, unknown>;
                for (const [k, v] of Object.entries(parsed)) {
                    this.context[k] = typeof v === "string" ? v : JSON.stringify(v);
                }
            } catch {
                // Not JSON: ignored (the run's log still shows it).
            }
        }
        if (result.status !== "Succeeded") {
            throw new GateFailedError(this.runs.get(key)!, key.replace(/\//g, " "), result.message);
        }
    }
}
