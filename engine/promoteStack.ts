import { createHash } from "crypto";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import type { EnvironmentPromotionOutputs } from "../provider/dynamic/environmentPromotion.impl";
import { EnvironmentPromotion } from "../provider/dynamic/environmentPromotion";
import type { ReleaseCandidate } from "../provider/promotion";
import type { EngineLocation } from "./engineLocator";
import type {
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
    state: "pending" | "running" | "same" | "done" | "failed";
    startedAt?: string;
    finishedAt?: string;
    outputs?: Partial<EnvironmentPromotionOutputs>;
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
    groups: readonly GroupState[],
    previous: EnvironmentRecord | undefined,
): EnvironmentRecord {
    const apps: ApplicationRecord[] = [];
    const states = new Set(groups.map((g) => g.state));
    for (const g of groups) {
        for (const app of g.group.applications) {
            const result = g.outputs?.results?.find((r) => r.name === app.name);
            const before = previous?.applications.find((a) => a.name === app.name);
            let status: EnvironmentStatus;
            if (g.state === "failed") {
                status = "Failed";
            } else if (g.state === "running") {
                status = "Running";
            } else if (g.state === "pending") {
                status = "Pending";
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
            const keepBefore = g.state === "same" && before?.status === "Succeeded";
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
                ...(g.state === "done" && g.outputs?.commitSha && status === "Succeeded"
                    ? { commitSha: g.outputs.commitSha }
                    : keepBefore && before?.commitSha
                      ? { commitSha: before.commitSha }
                      : {}),
                ...(g.state === "done" && g.outputs?.attempts ? { pushAttempts: g.outputs.attempts } : {}),
                changes: g.state === "done" ? (result?.changes ?? []) : keepBefore ? before.changes : [],
            });
        }
    }
    let status: EnvironmentStatus;
    if (states.has("failed")) {
        status = "Failed";
    } else if (states.has("running")) {
        status = "Running";
    } else if (states.has("pending")) {
        status = "Pending";
    } else if (apps.every((a) => a.status === "Skipped")) {
        status = "Skipped";
    } else {
        status = "Succeeded";
    }
    const starts = groups
        .map((g) => g.startedAt)
        .filter((s): s is string => s !== undefined)
        .sort();
    const ends = groups
        .map((g) => g.finishedAt)
        .filter((s): s is string => s !== undefined)
        .sort();
    const error = groups
        .map((g) => g.error)
        .filter(Boolean)
        .join("\n");
    const keepTimes = status === "Succeeded" && states.size === 1 && states.has("same") && previous;
    return {
        name: env.name,
        status,
        dependsOn: env.dependsOn.filter((d) => d !== undefined),
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
    };
}

/**
 * Runs one attempt of a release as an update of the product's promote stack: one EnvironmentPromotion
 * resource per environment and repository branch, `dependsOn` following the flow's DAG, only this
 * release's resources targeted (other flows' resources stay as they are). Independent branches run
 * concurrently; a failure stops only what depends on it.
 */
export async function runReleaseUpdate(opts: ReleaseUpdateOptions): Promise<ReleaseUpdateResult> {
    const envGroups = new Map(opts.plan.environments.map((e) => [e.name, resourceGroups(e)]));
    const states = new Map<string, GroupState>();
    const urnOf = (g: ResourceGroup) =>
        `urn:pulumi:${opts.product}::${promoteProject}::${resourceType}::${g.name}`;
    for (const groups of envGroups.values()) {
        for (const g of groups) {
            states.set(urnOf(g), { group: g, state: "pending" });
        }
    }
    const envRecord = (env: PlannedEnvironment) =>
        environmentRecord(
            env,
            (envGroups.get(env.name) ?? []).map((g) => states.get(urnOf(g))!),
            opts.previous?.find((p) => p.name === env.name),
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
        const created = new Map<string, EnvironmentPromotion[]>();
        for (const env of opts.plan.environments) {
            const deps = env.dependsOn.flatMap((d) => created.get(d) ?? []);
            const resources = (envGroups.get(env.name) ?? []).map(
                (g) =>
                    new EnvironmentPromotion(
                        g.name,
                        {
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
                        },
                        { dependsOn: deps },
                    ),
            );
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
        const urn = meta?.urn ?? e.diagnosticEvent?.urn;
        const st = urn ? states.get(urn) : undefined;
        if (!st) {
            return;
        }
        if (e.resourcePreEvent) {
            if (e.resourcePreEvent.metadata.op === "same") {
                const old = e.resourcePreEvent.metadata.old?.outputs as
                    Partial<EnvironmentPromotionOutputs> | undefined;
                // Unchanged because an earlier attempt of this very release already did the work (perhaps
                // in a process that was killed before it could record it): report what the state says.
                st.state = old?.releaseId === opts.releaseId ? "done" : "same";
                st.outputs = old?.releaseId === opts.releaseId ? old : undefined;
                st.finishedAt = now();
            } else {
                st.state = "running";
                st.startedAt = now();
            }
        } else if (e.resOutputsEvent && st.state === "running") {
            st.state = "done";
            st.finishedAt = now();
            st.outputs = (e.resOutputsEvent.metadata.new?.outputs ??
                {}) as Partial<EnvironmentPromotionOutputs>;
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
    const environments = opts.plan.environments.map(envRecord);
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
