import type { KargoStage } from "./discover";
import { stageRank } from "./environmentNames";

/** A flow's shape: where it starts, its steps, and why it has that order. */
export interface FlowShape {
    readonly trigger: string;
    readonly steps: readonly { readonly environment: string; readonly dependsOn: readonly string[] }[];
    readonly why: string;
}

export const rankOf = (env: string) => stageRank(env) ?? 45;

/** Environments in the order a flow crosses them: by stage word, then by name. */
export function ordered(envs: Iterable<string>): string[] {
    return [...new Set(envs)].sort((a, b) => rankOf(a) - rankOf(b) || a.localeCompare(b));
}

export function flowFor(envs: readonly string[], stages: readonly KargoStage[]): FlowShape {
    const byName = new Map(stages.map((s) => [s.name, s]));
    if (envs.every((e) => byName.has(e))) {
        const roots = envs.filter(
            (e) => byName.get(e)!.direct || !byName.get(e)!.upstream.some((u) => envs.includes(u)),
        );
        const trigger = ordered(roots)[0];
        return {
            trigger,
            steps: envs
                .filter((e) => e !== trigger)
                .map((e) => {
                    const up = byName.get(e)!.upstream.filter((u) => envs.includes(u));
                    return { environment: e, dependsOn: up.length > 0 ? up : [trigger] };
                }),
            why: "the Kargo Stages' requestedFreight sources (the pipeline already written down in this repository)",
        };
    }
    const groups: string[][] = [];
    for (const env of ordered(envs)) {
        const last = groups[groups.length - 1];
        if (last && rankOf(last[0]) === rankOf(env)) {
            last.push(env);
        } else {
            groups.push([env]);
        }
    }
    const trigger = groups[0][0];
    const steps = groups.flatMap((group, i) =>
        group
            .filter((e) => e !== trigger)
            .map((environment) => ({ environment, dependsOn: i === 0 ? [trigger] : groups[i - 1] })),
    );
    const unknown = envs.filter((e) => stageRank(e) === undefined);
    return {
        trigger,
        steps,
        why:
            "the usual order of stage names (dev, int, test, qa, uat, load, staging, canary, prod); environments of one stage (regions) run side by side" +
            (unknown.length > 0
                ? `; ${unknown.join(", ")} name no stage and were placed between qa and uat`
                : ""),
    };
}

/** What a flow ends in: its one last environment, or what its last ones share (`prod` for prod-eu and prod-us). */
export function lastStage(flow: FlowShape): string {
    const ends = flow.steps
        .map((s) => s.environment)
        .filter((e) => !flow.steps.some((s) => s.dependsOn.includes(e)));
    if (ends.length === 1) {
        return ends[0];
    }
    const split = ends.map((e) => e.split("-"));
    const common: string[] = [];
    for (let i = 0; split.every((w) => w[i] !== undefined && w[i] === split[0][i]); i++) {
        common.push(split[0][i]);
    }
    return common.length > 0 ? common.join("-") : "all";
}
