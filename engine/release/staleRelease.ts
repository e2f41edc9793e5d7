import type { Stack } from "@pulumi/pulumi/automation";
import { plannedResources } from "../pulumi/promoteProgram";
import { ownerAlive } from "./releaseQueue";
import type { EnvironmentRecord, ReleaseRecord } from "../record/releaseRecord";
import type { ResourceState } from "./releaseState";
import { environmentRecord } from "./releaseState";

interface CheckpointResource {
    readonly urn: string;
    readonly outputs?: Record<string, unknown>;
}

/**
 * What a release whose process died had done, read from its promote stack's checkpoint (Pulumi saves it after
 * every resource it finishes): an environment whose promotion (and post-action gate) carry this release's id
 * is done. Environments the record already shows done keep their record; nothing else is invented.
 */
export function progressFromCheckpoint(
    record: ReleaseRecord,
    resources: readonly CheckpointResource[],
): EnvironmentRecord[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const states: ResourceState[] = plannedResources(record.product, record.plan, true).map((p) => {
        const outputs = byUrn.get(p.urn)?.outputs as ResourceState["outputs"] | undefined;
        const ours = outputs?.releaseId === record.id;
        return {
            group: p.group,
            role: p.role,
            ...(p.gateFor ? { gateFor: p.gateFor } : {}),
            phase: ours ? "done" : "pending",
            ...(ours ? { outputs } : {}),
        };
    });
    return record.plan.environments.map((env) => {
        const before = record.environments.find((e) => e.name === env.name);
        if (before && before.status !== "Pending" && before.status !== "Running") {
            return before;
        }
        const rec = environmentRecord(
            env,
            states.filter((s) => s.group.environment === env.name),
            before,
        );
        // Pushed, its post-action never confirmed: still Running as far as anyone can tell.
        return rec.status === "Pending" && rec.applications.some((a) => a.commitSha)
            ? { ...rec, status: "Running" as const }
            : rec;
    });
}

/** The checkpoint's resources of a promote stack. */
export async function checkpointResources(stack: Stack): Promise<CheckpointResource[]> {
    const state = await stack.exportStack();
    return (state.deployment as { resources?: CheckpointResource[] }).resources ?? [];
}

/** A release that reads Running (or Terminating) but whose process is gone. */
export function isStale(r: ReleaseRecord): boolean {
    return (r.status === "Running" || r.status === "Terminating") && !ownerAlive(r);
}

/** The record as readers show a stale release: its progress from the checkpoint, and how to resume it. */
export function markStale(
    r: ReleaseRecord,
    checkpoint: readonly CheckpointResource[] | undefined,
): ReleaseRecord {
    return {
        ...r,
        ...(checkpoint ? { environments: progressFromCheckpoint(r, checkpoint) } : {}),
        stale: `the process running it (pid ${r.owner?.pid} on ${r.owner?.host}) is gone: 'promote retry ${r.id}' resumes it`,
    };
}
