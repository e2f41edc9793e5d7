import { createHash } from "crypto";
import type * as PulumiModule from "@pulumi/pulumi";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { dynamicToken, urnOf } from "../../model/tokens";
import { actionFor } from "../../provider/actions/registry";
import type { ActionRequest } from "../../provider/actions/action";
import type * as EnvironmentPromotionModule from "../../provider/dynamic/environmentPromotion";
import type * as PostActionGateModule from "../../provider/dynamic/postActionGate";
import type { EnvironmentPromotionInputs } from "../../provider/dynamic/environmentPromotion.impl";
import type { ReleaseCandidate } from "../../provider/promotion";
import { policySubject } from "../record/policySubject";
import type { PlannedApplication, PlannedEnvironment, ReleasePlan } from "../record/releaseRecord";
import type { ResourceGroup, ResourceRole } from "../record/resourceGroup";

export const promoteProject = "promotions";

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

/** Needs a post-action gate: a post-action to run, or a health wait before the environment counts as done. */
const gated = (env: PlannedEnvironment, app: PlannedApplication) =>
    Boolean(env.postAction || app.healthWaitMs);

/** One resource the program will register, known before it runs (the update targets exactly these). */
export interface PlannedResource {
    readonly urn: string;
    readonly group: ResourceGroup;
    readonly role: ResourceRole;
    readonly gateFor?: string;
}

/** Every resource a release's program registers, by URN: the update's targets and the events' keys. */
export function plannedResources(product: string, plan: ReleasePlan, withGates: boolean): PlannedResource[] {
    const urn = (type: Parameters<typeof dynamicToken>[0], name: string) =>
        urnOf(product, promoteProject, dynamicToken(type), name);
    return plan.environments.flatMap((env) =>
        resourceGroups(env).flatMap((g) => [
            { urn: urn("EnvironmentPromotion", g.name), group: g, role: "promotion" as const },
            ...(withGates && actionFor(env.action).resources
                ? [{ urn: urn("PullRequestMerge", `${g.name}.merge`), group: g, role: "merge" as const }]
                : []),
            ...(withGates
                ? g.applications
                      .filter((a) => gated(env, a))
                      .map((a) => ({
                          urn: urn("PostActionGate", `${env.name}.${a.name}.post`),
                          group: g,
                          role: "gate" as const,
                          gateFor: a.name,
                      }))
                : []),
        ]),
    );
}

/**
 * What the engine would do to each of a release's resources (its gates included), collected from a preview's
 * events: the resources (the preview's targets), the step per URN, and the event handler that fills it.
 */
export function plannedSteps(
    product: string,
    plan: ReleasePlan,
): { resources: PlannedResource[]; steps: Map<string, OpType>; onEvent: (e: EngineEvent) => void } {
    const resources = plannedResources(product, plan, true);
    const urns = new Set(resources.map((r) => r.urn));
    const steps = new Map<string, OpType>();
    const onEvent = (e: EngineEvent) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && urns.has(m.urn)) {
            steps.set(m.urn, m.op);
        }
    };
    return { resources, steps, onEvent };
}

/** One environment's repository branch as the release's update left it (the stack output `release`). */
interface PromotedGroup {
    readonly environment: string;
    readonly group: string;
    readonly applications: readonly string[];
    readonly status: string;
    readonly commitSha?: string;
    readonly pullRequest?: unknown;
}

/** What the program's resource hooks call, in the engine's process. */
export interface ProgramGates {
    /** Before an environment's first write: the step's onStart hook (first group only) and the pre-actions. */
    beforePromotion(env: PlannedEnvironment, group: ResourceGroup, first: boolean): Promise<void>;
    awaitPullRequest(env: PlannedEnvironment, repoURL: string, number: number): Promise<void>;
    /** After the action (and its pull request's merge): the health wait, then the post-action. */
    afterPromotion(
        env: PlannedEnvironment,
        app: PlannedApplication,
        commitSha: string,
        branch: string,
    ): Promise<void>;
}

export interface PromoteProgramOptions {
    readonly releaseId: string;
    readonly product: string;
    readonly flow: string;
    readonly plan: ReleasePlan;
    readonly candidate: ReleaseCandidate;
    readonly cacheDir: string;
    /** Absent for a preview of the writes alone (no gates, no waits). */
    readonly gates?: ProgramGates;
    /**
     * Give each EnvironmentPromotion a `subject` input for policy packs (see policySubject): only in the
     * preview that evaluates them, so a release's update, its diff and its state are as without packs.
     */
    readonly policySubjects?: boolean;
}

/** The inputs of one group's EnvironmentPromotion: everything its action needs except credentials. */
export function promotionInputs(
    o: Pick<PromoteProgramOptions, "releaseId" | "product" | "flow" | "candidate" | "cacheDir">,
    env: PlannedEnvironment,
    g: ResourceGroup,
): Omit<ActionRequest, "credentials" | "scm"> & { action: PlannedEnvironment["action"] } {
    return {
        releaseId: o.releaseId,
        product: o.product,
        flow: o.flow,
        environment: env.name,
        action: env.action,
        repoURL: g.repoURL,
        targetRevision: g.targetRevision,
        applications: g.applications.map((a) => ({ name: a.name, path: a.path })),
        candidate: o.candidate,
        cacheDir: o.cacheDir,
    };
}

/**
 * The promote stack's program for one release: per environment and repository branch an EnvironmentPromotion
 * (its pre-actions in `beforeCreate`/`beforeUpdate` hooks), whatever the action adds after it (`pr`: the merge
 * wait), and a PostActionGate per application with a post-action or health wait; `dependsOn` follows the
 * flow's DAG.
 */
export function promoteProgram(o: PromoteProgramOptions): () => Promise<Record<string, unknown>> {
    return async () => {
        // Loaded here, when the program runs (under the Automation API), not with this module: the SDK takes
        // about a second to load, and an in-process preview loads this module (resource groups, inputs) but
        // never runs the program.
        const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
        const { EnvironmentPromotion } =
            require("../../provider/dynamic/environmentPromotion") as typeof EnvironmentPromotionModule;
        const { PostActionGate } =
            require("../../provider/dynamic/postActionGate") as typeof PostActionGateModule;
        const created = new Map<string, PulumiModule.Resource[]>();
        const promoted: PulumiModule.Output<PromotedGroup>[] = [];
        // Untargeted environments come last (nothing targeted depends on them): the update leaves them as they are.
        const targeted = new Set(o.plan.environments.map((e) => e.name));
        const untargeted = (o.plan.untargeted ?? []).filter((e) => !targeted.has(e.name));
        for (const env of [...o.plan.environments, ...untargeted]) {
            const deps = env.dependsOn.flatMap((d) => created.get(d) ?? []);
            const resources: PulumiModule.Resource[] = [];
            resourceGroups(env).forEach((g, index) => {
                const gates = o.gates;
                const waits =
                    Boolean(env.soakTimeMs) || (env.windows ?? []).length > 0 || env.approval !== undefined;
                const needsPre = gates && (env.preAction || (index === 0 && env.hooks?.onStart) || waits);
                const pre = needsPre
                    ? new pulumi.ResourceHook(`pre-${g.name}`, () =>
                          gates.beforePromotion(env, g, index === 0),
                      )
                    : undefined;
                const inputs = o.policySubjects
                    ? { ...promotionInputs(o, env, g), subject: policySubject(o, env, g) }
                    : promotionInputs(o, env, g);
                const promotion = new EnvironmentPromotion(g.name, inputs as EnvironmentPromotionInputs, {
                    dependsOn: deps,
                    ...(pre ? { hooks: { beforeCreate: [pre], beforeUpdate: [pre] } } : {}),
                });
                resources.push(promotion);
                if (targeted.has(env.name)) {
                    promoted.push(
                        pulumi
                            .all([
                                promotion.releaseId,
                                promotion.status,
                                promotion.commitSha,
                                promotion.pullRequest,
                            ])
                            .apply(([releaseId, status, commitSha, pullRequest]) => ({
                                environment: env.name,
                                group: g.name,
                                applications: g.applications.map((a) => a.name),
                                // A group this release did not write keeps another release's outputs.
                                status: releaseId === o.releaseId ? status : "Unchanged",
                                ...(releaseId === o.releaseId && commitSha ? { commitSha } : {}),
                                ...(releaseId === o.releaseId && pullRequest ? { pullRequest } : {}),
                            })),
                    );
                }
                const added =
                    gates && actionFor(env.action).resources
                        ? actionFor(env.action).resources!({
                              releaseId: o.releaseId,
                              environment: env.name,
                              groupName: g.name,
                              repoURL: g.repoURL,
                              promotion,
                              awaitPullRequest: (n) => gates.awaitPullRequest(env, g.repoURL, n),
                          })
                        : undefined;
                if (added) {
                    resources.push(added.resource);
                }
                if (!gates) {
                    return;
                }
                for (const app of g.applications.filter((a) => gated(env, a))) {
                    const post = new pulumi.ResourceHook(`post-${env.name}.${app.name}`, async (args) => {
                        const i = args.newInputs as {
                            promotedBy?: string;
                            commitSha?: string;
                            branch?: string;
                        };
                        if (i?.promotedBy !== o.releaseId) {
                            return; // the environment was not promoted by this release: nothing to check
                        }
                        await gates.afterPromotion(
                            env,
                            app,
                            i.commitSha ?? "",
                            i.branch ?? app.targetRevision,
                        );
                    });
                    resources.push(
                        new PostActionGate(
                            `${env.name}.${app.name}.post`,
                            {
                                releaseId: o.releaseId,
                                environment: env.name,
                                application: app.name,
                                workflow: env.postAction ?? "",
                                commitSha: added?.commitSha ?? promotion.commitSha.apply((c) => c ?? ""),
                                branch: promotion.branch.apply((b) => b ?? app.targetRevision),
                                promotedBy:
                                    added?.completedBy ??
                                    pulumi
                                        .all([promotion.releaseId, promotion.status])
                                        .apply(([id, status]) => (status === "Succeeded" ? id : "")),
                            },
                            {
                                dependsOn: [added?.resource ?? promotion],
                                hooks: { beforeCreate: [post], beforeUpdate: [post] },
                            },
                        ),
                    );
                }
            });
            created.set(env.name, resources);
        }
        return {
            releaseId: o.releaseId,
            flow: o.flow,
            sourceCommit: o.candidate.sourceCommit,
            version: o.candidate.version,
            // The release's record as this update leaves it: what it wrote where (the whole record, its gates,
            // waits and audit, is in the release store: `promote releases`).
            release: pulumi.all(promoted).apply((groups) => ({
                id: o.releaseId,
                product: o.product,
                flow: o.flow,
                version: o.candidate.version,
                sourceCommit: o.candidate.sourceCommit,
                promoted: groups,
            })),
        };
    };
}
