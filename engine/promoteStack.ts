import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { actionFor } from "../provider/actions/registry";
import { PostActionGate } from "../provider/dynamic/postActionGate";
import type { EnvironmentPromotionOutputs } from "../provider/dynamic/environmentPromotion.impl";
import { EnvironmentPromotion } from "../provider/dynamic/environmentPromotion";
import { PullRequestMerge } from "../provider/dynamic/pullRequestMerge";
import type { PullRequestMergeOutputs } from "../provider/dynamic/pullRequestMerge.impl";
import type { PullRequest } from "../provider/scm/scm";
import type { ReleaseCandidate } from "../provider/promotion";
import type { EngineLocation } from "./engineLocator";
import type { HealthResult } from "../provider/health/argoCd";
import type { Gates } from "./gates";
import type {
    WorkflowRunRecord,
    ApplicationRecord,
    EnvironmentRecord,
    EnvironmentStatus,
    PlannedApplication,
    PlannedEnvironment,
    ReleasePlan,
} from "./releaseRecord";
import { withLockRetry } from "./releaseStore";
import { openStack } from "./workspace";

export const promoteProject = "promotions";
const resourceType = "pulumi-nodejs:dynamic/promotions:EnvironmentPromotion";
const gateType = "pulumi-nodejs:dynamic/promotions:PostActionGate";
const mergeType = "pulumi-nodejs:dynamic/promotions:PullRequestMerge";

/** One resource of the promote stack: an environment's applications that share a repository branch. */
export interface ResourceGroup {
    readonly environment: string;
    readonly name: string;
    readonly repoURL: string;
    readonly targetRevision: string;
    readonly applications: readonly PlannedApplication[];
}

export function resourceGroups(env: PlannedEnvironment): ResourceGroup[] {
    const groups = new Map<string, PlannedApplication[]>();
    for (const app of env.applications) {
        const key = `${app.repoURL}#${app.targetRevision}`;
        groups.set(key, [...(groups.get(key) ?? []), app]);
    }
    return [...groups.entries()].map(([key, applications]) => ({
        environment: env.name,
        name: `${env.name}.${createHash("sha1").update(key).digest("hex").slice(0, 8)}`,
        repoURL: applications[0].repoURL,
        targetRevision: applications[0].targetRevision,
        applications,
    }));
}

export interface ReleaseUpdateOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly inheritedPath?: string;
    readonly extraEnv?: Readonly<Record<string, string>>;
    readonly releaseId: string;
    readonly product: string;
    readonly flow: string;
    readonly plan: ReleasePlan;
    readonly candidate: ReleaseCandidate;
    readonly cacheDir: string;
    /** The previous attempt's environments (retry keeps what already succeeded). */
    readonly previous?: readonly EnvironmentRecord[];
    readonly signal?: AbortSignal;
    readonly onEnvironment?: (env: EnvironmentRecord) => void;
    /** The product's promote stack, if already opened (see {@link openPromoteStack}). */
    readonly stack?: Promise<Stack>;
    /** Runs pre-actions, post-actions and step onStart hooks (from resource hooks, in this process). */
    readonly gates?: Gates;
}

export interface PromoteStackOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly product: string;
    readonly inheritedPath?: string;
    readonly extraEnv?: Readonly<Record<string, string>>;
}

/** Opens (creating if needed) a product's promote stack. The program is given to each update. */
export function openPromoteStack(opts: PromoteStackOptions): Promise<Stack> {
    return openStack({
        engine: opts.engine,
        backendUrl: opts.backendUrl,
        passphrase: opts.passphrase,
        projectName: promoteProject,
        stackName: opts.product,
        program: async () => ({}),
        inheritedPath: opts.inheritedPath,
        extraEnv: opts.extraEnv,
    });
}

export interface ReleaseUpdateResult {
    readonly environments: EnvironmentRecord[];
    /** Set when the update failed as a whole (not just some environments). */
    readonly error?: string;
    readonly aborted: boolean;
}

type GroupState = {
    group: ResourceGroup;
    /** The group's promotion, the wait for its pull request's merge, or one application's post-action gate. */
    role: "promotion" | "merge" | "gate";
    /** For a gate: the application it gates. */
    gateFor?: string;
    state: "pending" | "running" | "same" | "done" | "failed";
    startedAt?: string;
    finishedAt?: string;
    outputs?: Partial<EnvironmentPromotionOutputs> & Partial<PullRequestMergeOutputs>;
    error?: string;
};

const now = () => new Date().toISOString();

function cleanError(message: string): string {
    return message
        .replace(/^error:\s*/i, "")
        .replace(/\s+$/, "")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .slice(0, 6)
        .join("\n");
}

function environmentRecord(
    env: PlannedEnvironment,
    all: readonly GroupState[],
    previous: EnvironmentRecord | undefined,
    runs: ReadonlyMap<string, WorkflowRunRecord> | undefined,
    healthOf?: ReadonlyMap<string, HealthResult>,
    pullRequests?: ReadonlyMap<string, PullRequest>,
): EnvironmentRecord {
    const groups = all.filter((g) => g.role === "promotion");
    const gates = all.filter((g) => g.role === "gate");
    const apps: ApplicationRecord[] = [];
    for (const g of groups) {
        const merge = all.find((m) => m.role === "merge" && m.group.name === g.group.name);
        const merged = merge?.state === "done" || (merge?.state === "same" && merge.outputs !== undefined);
        for (const app of g.group.applications) {
            const result = g.outputs?.results?.find((r) => r.name === app.name);
            const before = previous?.applications.find((a) => a.name === app.name);
            const gate = gates.find((x) => x.gateFor === app.name);
            const parts = [g, merge, gate].filter((x): x is GroupState => x !== undefined);
            let status: EnvironmentStatus;
            if (parts.some((x) => x.state === "failed")) {
                status = "Failed";
            } else if (g.state === "running" || gate?.state === "running") {
                status = "Running";
            } else if (merge?.state === "running" && g.outputs?.pullRequest?.state === "open") {
                status = "Suspended";
            } else if (parts.some((x) => x.state === "pending")) {
                status = g.state === "pending" || g.state === "same" ? "Pending" : "Running";
            } else if (g.state === "same") {
                // Nothing to do now: what an earlier attempt of this release did still stands.
                status = before?.status === "Succeeded" ? "Succeeded" : "Skipped";
            } else {
                status =
                    g.outputs?.status === "Skipped" ||
                    (result && result.changes.length === 0 && env.action !== "none")
                        ? "Skipped"
                        : "Succeeded";
            }
            const keepBefore =
                g.state === "same" && before?.status !== undefined && before.status !== "Pending";
            const pre = runs?.get(`${env.name}/${app.name}/pre`) ?? before?.preAction;
            const post = runs?.get(`${env.name}/${app.name}/post`) ?? before?.postAction;
            const health = healthOf?.get(`${env.name}/${app.name}`) ?? before?.health;
            // A pull request's commit is the environment's only once merged: then it is the merge commit.
            const commitSha =
                env.action === "pr"
                    ? merged
                        ? merge?.outputs?.mergeCommitSha
                        : undefined
                    : g.state === "done" && g.outputs?.status === "Succeeded"
                      ? g.outputs.commitSha
                      : undefined;
            const opened = g.outputs?.pullRequest;
            const live = pullRequests?.get(`${env.name}/${g.group.repoURL}`);
            const pullRequest = live
                ? { url: live.url, number: live.number, state: live.state }
                : opened
                  ? { url: opened.url, number: opened.number, state: merged ? "merged" : opened.state }
                  : before?.pullRequest;
            apps.push({
                name: app.name,
                status,
                action: env.action,
                repoURL: app.repoURL,
                ...(g.outputs?.branch
                    ? { branch: g.outputs.branch }
                    : before?.branch
                      ? { branch: before.branch }
                      : {}),
                ...(commitSha
                    ? { commitSha }
                    : keepBefore && before?.commitSha
                      ? { commitSha: before.commitSha }
                      : {}),
                ...(g.state === "done" && g.outputs?.attempts ? { pushAttempts: g.outputs.attempts } : {}),
                ...(pullRequest ? { pullRequest } : {}),
                changes: g.state === "done" ? (result?.changes ?? []) : keepBefore ? before.changes : [],
                ...(pre ? { preAction: pre } : {}),
                ...(post ? { postAction: post } : {}),
                ...(health ? { health } : {}),
            });
        }
    }
    const states = new Set(all.map((g) => g.state));
    let status: EnvironmentStatus;
    if (states.has("failed")) {
        status = "Failed";
    } else if (apps.some((a) => a.status === "Running")) {
        status = "Running";
    } else if (apps.some((a) => a.status === "Suspended")) {
        status = "Suspended";
    } else if (apps.some((a) => a.status === "Pending")) {
        status = "Pending";
    } else if (apps.every((a) => a.status === "Skipped")) {
        status = "Skipped";
    } else {
        status = "Succeeded";
    }
    const times = (pick: (g: GroupState) => string | undefined) =>
        all
            .map(pick)
            .filter((x): x is string => x !== undefined)
            .sort();
    const starts = times((g) => g.startedAt);
    const ends = times((g) => g.finishedAt);
    const error = all
        .map((g) => g.error)
        .filter(Boolean)
        .join("\n");
    const nothingRan = all.every((g) => g.state === "same");
    const keepTimes = nothingRan && previous?.status === "Succeeded";
    const hookRuns = ["onStart", "onSuccess", "onFail"]
        .map(
            (h) =>
                runs?.get(`${env.name}/hooks/${h}`) ??
                previous?.hooks?.find((r) => r.workflow === env.hooks?.[h as "onStart"]),
        )
        .filter((r): r is WorkflowRunRecord => r !== undefined);
    return {
        name: env.name,
        status,
        dependsOn: env.dependsOn,
        ...(keepTimes && previous?.startedAt
            ? { startedAt: previous.startedAt }
            : starts[0]
              ? { startedAt: starts[0] }
              : {}),
        ...(keepTimes && previous?.finishedAt
            ? { finishedAt: previous.finishedAt }
            : ["Succeeded", "Skipped", "Failed"].includes(status) && ends.length > 0
              ? { finishedAt: ends[ends.length - 1] }
              : {}),
        ...(error ? { error } : {}),
        applications: apps,
        ...(hookRuns.length > 0 ? { hooks: hookRuns } : {}),
    };
}

/**
 * Runs one attempt of a release as an update of the product's promote stack: one EnvironmentPromotion
 * resource per environment and repository branch (its pre-actions in `beforeCreate`/`beforeUpdate` hooks),
 * one PostActionGate per application with a post-action, `dependsOn` following the flow's DAG, and only this
 * release's resources targeted (other flows' resources stay as they are). Independent branches run
 * concurrently; a failure stops only what depends on it.
 */
export async function runReleaseUpdate(opts: ReleaseUpdateOptions): Promise<ReleaseUpdateResult> {
    const envGroups = new Map(opts.plan.environments.map((e) => [e.name, resourceGroups(e)]));
    const states = new Map<string, GroupState>();
    const urn = (type: string, name: string) =>
        `urn:pulumi:${opts.product}::${promoteProject}::${type}::${name}`;
    const gateName = (env: string, app: string) => `${env}.${app}.post`;
    const mergeName = (g: ResourceGroup) => `${g.name}.merge`;
    for (const env of opts.plan.environments) {
        for (const g of envGroups.get(env.name) ?? []) {
            states.set(urn(resourceType, g.name), { group: g, role: "promotion", state: "pending" });
            if (env.action === "pr" && opts.gates) {
                states.set(urn(mergeType, mergeName(g)), { group: g, role: "merge", state: "pending" });
            }
            for (const app of g.applications.filter((a) => env.postAction || a.healthWaitMs)) {
                states.set(urn(gateType, gateName(env.name, app.name)), {
                    group: g,
                    role: "gate",
                    gateFor: app.name,
                    state: "pending",
                });
            }
        }
    }
    const envRecord = (env: PlannedEnvironment) =>
        environmentRecord(
            env,
            [...states.values()].filter((st) => st.group.environment === env.name),
            opts.previous?.find((p) => p.name === env.name),
            opts.gates?.runs,
            opts.gates?.health,
            opts.gates?.pullRequests,
        );
    const lastReported = new Map<string, string>();
    const report = (envName: string) => {
        const env = opts.plan.environments.find((e) => e.name === envName);
        if (!env || !opts.onEnvironment) {
            return;
        }
        const rec = envRecord(env);
        if (lastReported.get(envName) !== rec.status) {
            lastReported.set(envName, rec.status);
            opts.onEnvironment(rec);
        }
    };

    const program = async () => {
        const created = new Map<string, pulumi.Resource[]>();
        for (const env of opts.plan.environments) {
            const deps = env.dependsOn.flatMap((d) => created.get(d) ?? []);
            const resources: pulumi.Resource[] = [];
            (envGroups.get(env.name) ?? []).forEach((g, index) => {
                const inputs = {
                    releaseId: opts.releaseId,
                    product: opts.product,
                    flow: opts.flow,
                    environment: env.name,
                    action: env.action,
                    repoURL: g.repoURL,
                    targetRevision: g.targetRevision,
                    applications: g.applications.map((a) => ({ name: a.name, path: a.path })),
                    candidate: opts.candidate,
                    cacheDir: opts.cacheDir,
                };
                const gates = opts.gates;
                const needsPre = gates && (env.preAction || (index === 0 && env.hooks?.onStart));
                const pre = needsPre
                    ? new pulumi.ResourceHook(`pre-${g.name}`, async () => {
                          // Gates run only when there is something to promote (Skipped means nothing ran).
                          const plan = await actionFor(env.action).plan({
                              ...inputs,
                              credentials: undefined,
                          });
                          if (!plan.pending) {
                              return;
                          }
                          if (index === 0 && env.hooks?.onStart) {
                              await gates.hook(
                                  `${env.name}/hooks/onStart`,
                                  env.hooks.onStart,
                                  { ENVIRONMENT: env.name },
                                  {
                                      environment: env.name,
                                  },
                              );
                          }
                          await gates.preActions(env, g.applications);
                      })
                    : undefined;
                const promotion = new EnvironmentPromotion(g.name, inputs, {
                    dependsOn: deps,
                    ...(pre ? { hooks: { beforeCreate: [pre], beforeUpdate: [pre] } } : {}),
                });
                resources.push(promotion);
                // For `pr`: the wait for the merge, in a resource of its own (Suspended while it waits); the
                // environment's commit is then the merge commit.
                let merge: PullRequestMerge | undefined;
                if (gates && env.action === "pr") {
                    const wait = new pulumi.ResourceHook(`merge-${g.name}`, async (args) => {
                        const i = args.newInputs as { number?: number } | undefined;
                        await gates.awaitMerge(env, g.repoURL, i?.number ?? 0);
                    });
                    merge = new PullRequestMerge(
                        mergeName(g),
                        {
                            releaseId: opts.releaseId,
                            environment: env.name,
                            repoURL: g.repoURL,
                            number: pulumi
                                .all([promotion.releaseId, promotion.pullRequest])
                                .apply(([id, pr]) => (id === opts.releaseId && pr ? pr.number : 0)),
                        },
                        { dependsOn: [promotion], hooks: { beforeCreate: [wait], beforeUpdate: [wait] } },
                    );
                    resources.push(merge);
                }
                if (gates) {
                    // The health wait and the post-action of each application: after its promotion.
                    for (const app of g.applications.filter((a) => env.postAction || a.healthWaitMs)) {
                        const post = new pulumi.ResourceHook(`post-${env.name}.${app.name}`, async (args) => {
                            const i = args.newInputs as
                                { promotedBy?: string; commitSha?: string; branch?: string } | undefined;
                            if (i?.promotedBy !== opts.releaseId) {
                                return; // the environment was not promoted by this release: nothing to check
                            }
                            await gates.healthWait(env, app, i.commitSha || undefined);
                            await gates.postAction(
                                env,
                                app,
                                i.commitSha || undefined,
                                i.branch ?? app.targetRevision,
                            );
                        });
                        resources.push(
                            new PostActionGate(
                                gateName(env.name, app.name),
                                {
                                    releaseId: opts.releaseId,
                                    environment: env.name,
                                    application: app.name,
                                    workflow: env.postAction ?? "",
                                    commitSha: merge
                                        ? merge.mergeCommitSha.apply((c) => c ?? "")
                                        : promotion.commitSha.apply((c) => c ?? ""),
                                    branch: promotion.branch.apply((b) => b ?? app.targetRevision),
                                    promotedBy: merge
                                        ? pulumi
                                              .all([merge.releaseId, merge.state])
                                              .apply(([id, state]) => (state === "merged" ? id : ""))
                                        : pulumi
                                              .all([promotion.releaseId, promotion.status])
                                              .apply(([id, status]) => (status === "Succeeded" ? id : "")),
                                },
                                {
                                    dependsOn: [merge ?? promotion],
                                    hooks: { beforeCreate: [post], beforeUpdate: [post] },
                                },
                            ),
                        );
                    }
                }
            });
            created.set(env.name, resources);
        }
        return {
            releaseId: opts.releaseId,
            flow: opts.flow,
            sourceCommit: opts.candidate.sourceCommit,
            version: opts.candidate.version,
        };
    };

    const onEvent = (e: EngineEvent) => {
        const meta =
            e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
        const key = meta?.urn ?? e.diagnosticEvent?.urn;
        const st = key ? states.get(key) : undefined;
        if (!st) {
            return;
        }
        if (e.resourcePreEvent) {
            if (e.resourcePreEvent.metadata.op === "same") {
                const old = e.resourcePreEvent.metadata.old?.outputs as GroupState["outputs"];
                // Unchanged because an earlier attempt of this very release already did the work (perhaps
                // in a process that was killed before it could record it): report what the state says.
                const ours = st.role !== "gate" && old?.releaseId === opts.releaseId;
                st.state = ours ? "done" : "same";
                st.outputs = ours ? old : undefined;
                st.finishedAt = now();
            } else {
                st.state = "running";
                st.startedAt = now();
            }
        } else if (e.resOutputsEvent && st.state === "running") {
            st.state = "done";
            st.finishedAt = now();
            st.outputs = (e.resOutputsEvent.metadata.new?.outputs ?? {}) as GroupState["outputs"];
        } else if ((e.resOpFailedEvent || e.diagnosticEvent?.severity === "error") && opts.signal?.aborted) {
            // Stopped by terminate or the flow timeout, not failed: left as not done (the release ends Terminated).
            st.state = st.state === "done" ? "done" : "pending";
        } else if (e.resOpFailedEvent) {
            st.state = "failed";
            st.finishedAt = now();
        } else if (e.diagnosticEvent && e.diagnosticEvent.severity === "error") {
            st.state = "failed";
            st.finishedAt ??= now();
            st.error = [st.error, cleanError(e.diagnosticEvent.message)].filter(Boolean).join("\n");
        }
        report(st.group.environment);
    };

    const stack = await (opts.stack ?? openPromoteStack(opts));
    let error: string | undefined;
    try {
        await withLockRetry(() =>
            stack.up({
                program,
                onEvent,
                target: [...states.keys()],
                continueOnError: true,
                signal: opts.signal,
                message: `release ${opts.releaseId} (${opts.flow})`,
            }),
        );
    } catch (e) {
        error = cleanError(e instanceof Error ? e.message : String(e));
    }
    const aborted = opts.signal?.aborted ?? false;
    for (const st of states.values()) {
        if (st.state === "running") {
            // Cut short by a cancellation, or the update failed around it.
            st.state = aborted ? "pending" : "failed";
            st.error ??= aborted ? undefined : "the update stopped before this environment finished";
        }
    }
    // An environment left part-way (its commit made, its post-action never reached) ends Terminated when the
    // release was stopped, Failed otherwise.
    const environments = opts.plan.environments
        .map(envRecord)
        .map((e) =>
            e.status === "Running"
                ? { ...e, status: (aborted ? "Terminated" : "Failed") as EnvironmentStatus }
                : e,
        );
    const failedEnvs = environments.some((e) => e.status === "Failed");
    return {
        environments,
        aborted,
        ...(error && !failedEnvs && !aborted ? { error: summarizeUpdateError(error) } : {}),
    };
}

/** The useful lines of a failed `pulumi up` (the Automation API error carries the whole output). */
function summarizeUpdateError(message: string): string {
    const lines = message.split("\n").filter((l) => /error:/i.test(l));
    return (
        lines.length > 0 ? lines.slice(0, 4).join("\n") : message.split("\n").slice(0, 4).join("\n")
    ).trim();
}
