import * as fs from "fs";
import * as path from "path";
import type { EngineEvent, PolicyEvent, Stack } from "@pulumi/pulumi/automation";
import { EnvironmentError, InvalidInputError, messageOf } from "../../model/errors";
import type { ReleaseCandidate } from "../../provider/promotion";
import type { PlannedResource } from "../pulumi/promoteProgram";
import { plannedResources, promoteProgram } from "../pulumi/promoteProgram";
import type { EnvironmentRecord, PlannedEnvironment, ReleasePlan } from "../record/releaseRecord";

/** One policy violation reported against an environment's promotion. */
export interface PolicyViolation {
    readonly environment: string;
    readonly pack: string;
    readonly policy: string;
    readonly level: "mandatory" | "advisory";
    readonly message: string;
}

/**
 * A policy pack directory as given (`policyPacks` on a policy, `--policy-pack` on the CLI), resolved against
 * `base`: it must exist and hold a PulumiPolicy.yaml.
 */
export function resolvePolicyPack(dir: string, base: string, where: string): string {
    const abs = path.resolve(base, dir);
    if (!fs.existsSync(path.join(abs, "PulumiPolicy.yaml"))) {
        throw new InvalidInputError(
            `${where}: policy pack "${dir}" ${fs.existsSync(abs) ? "has no PulumiPolicy.yaml" : "does not exist"} (resolved to ${abs}): give the directory of a Pulumi policy pack (PulumiPolicy.yaml, index.js, package.json)`,
            { entity: where },
        );
    }
    return abs;
}

/**
 * The environments' policy packs, resolved, with the environment's kind and tags (what a pack sees), plus
 * `extra` packs for every environment (`--policy-pack`). Environments without packs are left as they are.
 */
export function withPolicyPacks(
    environments: readonly PlannedEnvironment[],
    catalogEnvironments: readonly {
        readonly name: string;
        readonly kind?: "production" | "non-production";
        readonly tags?: readonly string[];
    }[],
    extra: readonly string[],
    base: string,
): PlannedEnvironment[] {
    return environments.map((env) => {
        const given = [...(env.policyPacks ?? []), ...extra];
        if (given.length === 0) {
            return env;
        }
        const where = `Environment "${env.name}"`;
        const def = catalogEnvironments.find((e) => e.name === env.name);
        return {
            ...env,
            policyPacks: [...new Set(given.map((d) => resolvePolicyPack(d, base, where)))],
            kind: def?.kind ?? "non-production",
            tags: [...(def?.tags ?? [])],
        };
    });
}

/** The distinct sets of packs of a plan's environments, each with the environments it applies to. */
export function packSets(
    environments: readonly PlannedEnvironment[],
): { packs: string[]; environments: string[] }[] {
    const sets = new Map<string, { packs: string[]; environments: string[] }>();
    for (const env of environments) {
        const packs = [...(env.policyPacks ?? [])].sort();
        if (packs.length === 0) {
            continue;
        }
        const key = packs.join("\n");
        const set = sets.get(key) ?? { packs, environments: [] };
        set.environments.push(env.name);
        sets.set(key, set);
    }
    return [...sets.values()];
}

/** The engine's policy events, as violations of the environments they name (others are ignored). */
export function policyViolations(
    events: readonly PolicyEvent[],
    resources: readonly PlannedResource[],
    environments: readonly string[],
): PolicyViolation[] {
    const seen = new Set<string>();
    const out: PolicyViolation[] = [];
    for (const e of events) {
        const r = resources.find((x) => x.urn === e.resourceUrn);
        if (!r || !environments.includes(r.group.environment)) {
            continue;
        }
        const v: PolicyViolation = {
            environment: r.group.environment,
            pack: e.policyPackName,
            policy: e.policyName,
            level: e.enforcementLevel === "mandatory" ? "mandatory" : "advisory",
            message: cleanMessage(e.message, e.policyName),
        };
        const key = JSON.stringify(v);
        if (!seen.has(key)) {
            seen.add(key);
            out.push(v);
        }
    }
    return out;
}

/** A policy event's message without its description line and colour codes: what the policy reported. */
function cleanMessage(message: string, policy: string): string {
    const plain = message.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*m/g, "");
    const lines = plain
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && l !== policy);
    return lines.length > 1 ? lines.slice(1).join("; ") : (lines[0] ?? plain.trim());
}

/** One line naming the policy, its pack and what it reported: for the record. */
export function describeViolation(v: PolicyViolation): string {
    return `policy ${v.policy} (pack ${v.pack}${v.level === "advisory" ? ", advisory" : ""}): ${v.message}`;
}

/**
 * Marks the environments with a mandatory violation Failed (`reason: policy`, the error naming the policy and
 * the value) and everything after them Skipped (`reason: upstream policy`); those leave the update (they are
 * untargeted: nothing is written there). Independent environments stay. Pure.
 */
export function blockViolating(
    plan: ReleasePlan,
    environments: readonly EnvironmentRecord[],
    violations: readonly PolicyViolation[],
): { plan: ReleasePlan; environments: EnvironmentRecord[] } {
    const failed = new Map<string, PolicyViolation[]>();
    for (const v of violations.filter((x) => x.level === "mandatory")) {
        failed.set(v.environment, [...(failed.get(v.environment) ?? []), v]);
    }
    if (failed.size === 0) {
        return { plan, environments: [...environments] };
    }
    const blocked = new Set(failed.keys());
    // DAG order: an environment after a blocked one is blocked too.
    for (const env of plan.environments) {
        if (!blocked.has(env.name) && env.dependsOn.some((d) => blocked.has(d))) {
            blocked.add(env.name);
        }
    }
    const now = new Date().toISOString();
    return {
        plan: {
            ...plan,
            environments: plan.environments.filter((e) => !blocked.has(e.name)),
            untargeted: [...plan.environments.filter((e) => blocked.has(e.name)), ...(plan.untargeted ?? [])],
        },
        environments: environments.map((e): EnvironmentRecord => {
            const own = failed.get(e.name);
            if (own) {
                return {
                    ...e,
                    status: "Failed",
                    reason: "policy",
                    finishedAt: now,
                    error: own.map(describeViolation).join("; "),
                };
            }
            if (blocked.has(e.name)) {
                const upstream = e.dependsOn.filter((d) => blocked.has(d));
                return {
                    ...e,
                    status: "Skipped",
                    reason: "upstream policy",
                    error: `not promoted: ${upstream.join(", ")} failed a policy`,
                };
            }
            return e;
        }),
    };
}

export interface EvaluatePolicyOptions {
    readonly releaseId: string;
    readonly product: string;
    readonly flow: string;
    readonly plan: ReleasePlan;
    readonly candidate: ReleaseCandidate;
    readonly cacheDir: string;
    readonly stack: Stack;
    readonly signal?: AbortSignal;
}

/** The gates of the policy preview's program: never called (hooks do not run in a preview). */
const noGates = {
    beforePromotion: () => Promise.reject(new Error("a policy preview runs no gates")),
    awaitPullRequest: () => Promise.reject(new Error("a policy preview runs no gates")),
    afterPromotion: () => Promise.reject(new Error("a policy preview runs no gates")),
};

/**
 * Evaluates the plan's policy packs in a `pulumi preview` of the promote stack (`--policy-pack` per pack;
 * a `policy-config.json` beside a pack's PulumiPolicy.yaml is its `--policy-pack-config`): one preview per
 * distinct set of packs, each targeting the promotions of the environments it applies to. Pulumi fails a
 * preview with a mandatory violation; the violations come from its policy events. Writes nothing.
 */
export async function evaluatePolicyPacks(o: EvaluatePolicyOptions): Promise<PolicyViolation[]> {
    const resources = plannedResources(o.product, o.plan, false);
    const out: PolicyViolation[] = [];
    for (const set of packSets(o.plan.environments)) {
        const events: PolicyEvent[] = [];
        const onEvent = (e: EngineEvent) => {
            if (e.policyEvent) {
                events.push(e.policyEvent);
            }
        };
        const configs = set.packs
            .map((p) => path.join(p, "policy-config.json"))
            .filter((f) => fs.existsSync(f));
        try {
            await o.stack.preview({
                program: promoteProgram({
                    releaseId: o.releaseId,
                    product: o.product,
                    flow: o.flow,
                    plan: o.plan,
                    candidate: o.candidate,
                    cacheDir: o.cacheDir,
                    gates: noGates,
                    policySubjects: true,
                }),
                target: resources
                    .filter((r) => set.environments.includes(r.group.environment))
                    .map((r) => r.urn),
                policyPacks: set.packs,
                ...(configs.length > 0 ? { policyPackConfigs: configs } : {}),
                onEvent,
                ...(o.signal ? { signal: o.signal } : {}),
            });
        } catch (e) {
            // A mandatory violation fails the preview: that is the answer, not an error.
            if (!events.some((x) => x.enforcementLevel === "mandatory")) {
                throw new EnvironmentError(
                    `evaluating the policy packs (${set.packs.join(", ")}) of ${o.product} failed: ${errorLines(e)}`,
                    { entity: `Product "${o.product}"` },
                );
            }
        }
        out.push(...policyViolations(events, resources, set.environments));
    }
    return out;
}

/** The `error:` lines of a failed preview (the Automation API error carries the whole output). */
function errorLines(e: unknown): string {
    const message = messageOf(e);
    const lines = message.split("\n").filter((l) => /error:/i.test(l));
    return (lines.length > 0 ? lines.slice(0, 6) : message.split("\n").slice(0, 6))
        .map((l) => l.trim())
        .join("\n");
}

/**
 * The policy gate of a release, before its update: evaluates the packs, fails the violating environments
 * (and skips those after them: see blockViolating) and turns advisory violations into warnings.
 */
export async function applyPolicyPacks(
    o: EvaluatePolicyOptions & { readonly environments: readonly EnvironmentRecord[] },
): Promise<{ plan: ReleasePlan; environments: EnvironmentRecord[]; warnings: string[] }> {
    if (packSets(o.plan.environments).length === 0) {
        return { plan: o.plan, environments: [...o.environments], warnings: [] };
    }
    const violations = await evaluatePolicyPacks(o);
    return {
        ...blockViolating(o.plan, o.environments, violations),
        warnings: violations
            .filter((v) => v.level === "advisory")
            .map((v) => `${v.environment}: ${describeViolation(v)}`),
    };
}
