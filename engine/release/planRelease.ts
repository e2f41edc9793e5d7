import * as path from "path";
import { plannedApproval } from "../governance/approvals";
import type { Catalog, CatalogApplication, CatalogFlow, CatalogProduct } from "../../components/catalog";
import { defaultFlowTimeoutMs } from "../../components/defaults";
import { parseDuration } from "../../model/duration";
import {
    applicationInEveryFlowEnvironment,
    noneNeedsPreAction,
    singleTriggerApplication,
} from "../../components/catalog.rules";
import type { Issue } from "../../components/issues";
import { formatIssue } from "../../components/issues";
import type { PolicyFields } from "../../components/promotionPolicy";
import { flowGraph } from "../../components/promotionFlow.graph";
import { resolvePolicy } from "../../components/promotionPolicy.merge";
import { selectTemplate } from "../../components/promotionTemplate.select";
import { actionFor, actions } from "../../provider/actions/registry";
import type { WorkflowServices } from "../../provider/workflows/registry";
import { cannotRun } from "../../provider/workflows/registry";
import type { GitCredentials } from "../../provider/git/git";
import { GitError } from "../../provider/git/git";
import { Repository } from "../../provider/git/repository";
import type { ReleaseCandidate } from "../../provider/promotion";
import { readCandidate } from "../../provider/promotion";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import type { PlannedRelease, ReleaseTarget } from "../record/plannedRelease";
import type { PlannedApplication, ReleasePlan } from "../record/releaseRecord";

export interface PlanReleaseOptions {
    readonly catalog: Catalog;
    readonly product: string;
    readonly target: ReleaseTarget;
    /** Defaults to the tip of the source application's targetRevision. */
    readonly sourceCommit?: string;
    readonly cacheDir: string;
    readonly credentials?: GitCredentials;
    /** What workflows can reach (an Argo Server); a release needing more is refused up front. */
    readonly services?: WorkflowServices;
    /**
     * A preview: nothing will run, so the servers the workflows and health waits need (an Argo Server, Argo
     * CD) are not demanded; every workflow must still exist.
     */
    readonly runsNothing?: boolean;
    /** The candidate to release as it is (a rollback): the source is not read again. */
    readonly candidate?: ReleaseCandidate;
    /** A message for the promotion commits (see ReleaseCandidate.note). */
    readonly note?: string;
}

/** Every workflow a release would run must exist and be of a kind this version can run. */
function checkRunnable(
    catalog: Catalog,
    name: string,
    where: string,
    services: WorkflowServices | undefined | "not needed",
): void {
    const wf = catalog.promotionWorkflows.find((w) => w.name === name);
    if (!wf) {
        throw new InvalidInputError(`${where}: unknown workflow "${name}": define it as a PromotionWorkflow`);
    }
    const why = services === "not needed" ? undefined : cannotRun(wf, services);
    if (why) {
        throw new InvalidInputError(`${where}: ${why}`);
    }
}

/** How long to wait for Argo CD after the action: the application's setting, else its environment's. */
function healthWait(
    app: CatalogApplication,
    environment: Catalog["environments"][number],
    services: WorkflowServices | undefined | "not needed",
): { healthWaitMs?: number } {
    const setting = app.healthWait === false ? undefined : (app.healthWait ?? environment.healthWait);
    if (!setting) {
        return {};
    }
    if (services !== "not needed" && !services?.argocd) {
        throw new InvalidInputError(
            `application "${app.name}" in "${environment.name}" waits for Argo CD health and no Argo CD is configured: set PROMOTIONS_ARGOCD_URL (and PROMOTIONS_ARGOCD_TOKEN)`,
        );
    }
    return {
        healthWaitMs: setting.timeout !== undefined ? (parseDuration(setting.timeout) ?? 600_000) : 600_000,
    };
}

/** The flow named `manual`: one target environment, depending on the source environment. */
export function manualFlow(from: string, to: string, overrides: PolicyFields = {}): CatalogFlow {
    return {
        name: "manual",
        triggerEnvironment: from,
        steps: [{ environment: to, dependsOn: [from], policy: overrides }],
        timeoutMs: defaultFlowTimeoutMs,
    };
}

/**
 * The flow named `rollback`: one environment, run through its usual policy, depending on nothing that must run
 * (`trigger` is the source environment of the release restored).
 */
export function rollbackFlow(environment: string, trigger: string): CatalogFlow {
    return {
        name: "rollback",
        triggerEnvironment: trigger,
        steps: [{ environment, dependsOn: [trigger], policy: {} }],
        timeoutMs: defaultFlowTimeoutMs,
    };
}

/** Flows made up on the spot (not in the catalog). */
const adHoc = (flow: CatalogFlow) => flow.name === "manual" || flow.name === "rollback";

function findProduct(catalog: Catalog, name: string): CatalogProduct {
    const product = catalog.products.find((p) => p.name === name);
    if (!product) {
        throw new InvalidInputError(
            `unknown product "${name}": one of ${catalog.products.map((p) => p.name).join(", ") || "(none defined)"}`,
        );
    }
    return product;
}

function findFlow(catalog: Catalog, product: CatalogProduct, target: ReleaseTarget): CatalogFlow {
    if ("rollback" in target) {
        for (const env of [target.rollback, target.trigger]) {
            if (!catalog.environments.some((e) => e.name === env)) {
                throw new InvalidInputError(`unknown environment "${env}"`);
            }
        }
        if (target.rollback === target.trigger) {
            throw new InvalidInputError(
                `"${target.rollback}" is the trigger environment of the release restored: nothing to roll back`,
            );
        }
        return rollbackFlow(target.rollback, target.trigger);
    }
    if ("from" in target) {
        for (const env of [target.from, target.to]) {
            if (!catalog.environments.some((e) => e.name === env)) {
                throw new InvalidInputError(`unknown environment "${env}"`);
            }
        }
        if (target.from === target.to) {
            throw new InvalidInputError(
                `--from and --to are both "${target.from}": promote to another environment`,
            );
        }
        return manualFlow(target.from, target.to, target.overrides);
    }
    const flow = catalog.promotionFlows.find((f) => f.name === target.flow);
    if (!flow) {
        throw new InvalidInputError(
            `unknown flow "${target.flow}": one of ${catalog.promotionFlows.map((f) => f.name).join(", ") || "(none defined)"}`,
        );
    }
    if (!product.promotionFlows.some((f) => f.name === flow.name)) {
        // Like Codefresh's manual trigger, any flow may be run by hand; the product just needs its applications.
        refuse(applicationInEveryFlowEnvironment(product, flow));
    }
    return flow;
}

/**
 * Resolves product, flow and source application, reads the release candidate at the source commit, and
 * plans every target environment (DAG order, resolved policy, applications).
 */
/** The catalog's rules, applied to what this release plans (a manual flow is not in the catalog). */
function refuse(issues: readonly Issue[], hint = ""): void {
    if (issues.length > 0) {
        throw new InvalidInputError(issues.map((i) => formatIssue(i) + hint).join("\n"), {
            entity: issues[0].entity,
            path: issues[0].path,
        });
    }
}

export async function planRelease(opts: PlanReleaseOptions): Promise<PlannedRelease> {
    const { catalog } = opts;
    const services = opts.runsNothing ? "not needed" : opts.services;
    const product = findProduct(catalog, opts.product);
    const flow = findFlow(catalog, product, opts.target);
    refuse([...applicationInEveryFlowEnvironment(product, flow), ...singleTriggerApplication(product, flow)]);
    const sources = product.applications.filter((a) => a.environment === flow.triggerEnvironment);
    const source = sources[0];

    const graph = flowGraph(flow);
    const environments = graph.order.map((envName) => {
        const environment = catalog.environments.find((e) => e.name === envName)!;
        const step = flow.steps.find((s) => s.environment === envName);
        const policy = resolvePolicy(catalog.promotionPolicies, { product, environment }, step?.policy);
        if (adHoc(flow)) {
            refuse(
                noneNeedsPreAction(product, flow, { [envName]: policy }),
                " (set --pre-action, or another --action)",
            );
        }
        if (!(policy.action in actions)) {
            throw new InvalidInputError(
                `environment "${envName}": action "${policy.action}" is not available in this version (available: ${Object.keys(actions).join(", ")})`,
            );
        }
        const needed = [policy.preAction, policy.postAction, ...Object.values(step?.hooks ?? {})];
        for (const name of needed.filter((n): n is string => typeof n === "string")) {
            checkRunnable(catalog, name, `environment "${envName}"`, services);
        }
        const apps = product.applications.filter((a) => a.environment === envName);
        if (apps.length === 0) {
            throw new InvalidInputError(
                `product "${product.name}" has no application in environment "${envName}"`,
            );
        }
        actionFor(policy.action).validate?.({ environment: envName, applications: apps });
        return {
            name: envName,
            dependsOn: flow.name === "rollback" ? [] : graph.dependsOn[envName],
            action: policy.action,
            ...(policy.preAction ? { preAction: policy.preAction } : {}),
            ...(policy.postAction ? { postAction: policy.postAction } : {}),
            ...(policy.action === "pr" && policy.pullRequest ? { pullRequest: policy.pullRequest } : {}),
            ...(step?.hooks && Object.keys(step.hooks).length > 0 ? { hooks: step.hooks } : {}),
            ...(policy.soakTime !== undefined ? { soakTimeMs: parseDuration(policy.soakTime) } : {}),
            ...(policy.policyPacks?.length ? { policyPacks: policy.policyPacks } : {}),
            ...(policy.approval ? { approval: plannedApproval(policy.approval) } : {}),
            applications: apps.map((a) => ({
                name: a.name,
                namespace: a.namespace,
                ...healthWait(a, environment, services),
                repoURL: a.repoURL,
                targetRevision: a.targetRevision,
                path: a.path,
            })),
        };
    });

    for (const name of [flow.triggerWorkflow, ...Object.values(flow.hooks ?? {})].filter(
        (n): n is string => typeof n === "string",
    )) {
        checkRunnable(catalog, name, `flow "${flow.name}"`, services);
    }

    const { note: _earlier, ...read } = opts.candidate ?? (await readSourceCandidate(opts, product, source));
    const candidate: ReleaseCandidate = { ...read, ...(opts.note ? { note: opts.note } : {}) };
    await checkTargets(environments, candidate, opts);
    return {
        product,
        flow,
        sourceApplication: source,
        candidate,
        plan: {
            trigger: flow.triggerEnvironment,
            ...(flow.hooks && Object.keys(flow.hooks).length > 0 ? { hooks: flow.hooks } : {}),
            ...(flow.triggerWorkflow
                ? {
                      triggerWorkflow: flow.triggerWorkflow,
                      source: {
                          name: source.name,
                          namespace: source.namespace,
                          repoURL: source.repoURL,
                          targetRevision: source.targetRevision,
                          path: source.path,
                      },
                  }
                : {}),
            timeoutMs: flow.timeoutMs,
            concurrency: product.concurrency,
            environments,
        },
    };
}

/** The release candidate at the source commit (default: the tip of the source application's branch). */
async function readSourceCandidate(
    opts: PlanReleaseOptions,
    product: CatalogProduct,
    source: CatalogApplication,
): Promise<ReleaseCandidate> {
    const { catalog } = opts;
    try {
        const repo = await Repository.open(source.repoURL, opts.cacheDir, opts.credentials);
        await repo.fetch();
        const branch = await repo.branchFor(source.targetRevision);
        const commit = opts.sourceCommit
            ? await repo.resolveCommit(opts.sourceCommit)
            : await repo.tip(branch);
        if (!commit) {
            throw new InvalidInputError(
                opts.sourceCommit
                    ? `source commit "${opts.sourceCommit}" is not in ${source.repoURL}`
                    : `${source.repoURL} has no branch "${branch}" (targetRevision of ${source.name})`,
            );
        }
        const template = selectTemplate({ product, application: source }, catalog.promotionTemplates);
        return await readCandidate(
            repo,
            commit,
            { application: source.name, path: source.path },
            template.body,
        );
    } catch (e) {
        if (e instanceof GitError) {
            throw new EnvironmentError(
                `cannot read the source application ${source.name} from ${source.repoURL}: ${e.message}`,
                { cause: e },
            );
        }
        throw e;
    }
}

/**
 * Every target application's path, and every file the candidate promotes into it, must exist at the tip of its
 * branch: a typo in a path would otherwise read as "nothing to change" and skip the environment's gates. Found
 * here, before anything is written. (A whole-file template may add files; its application path must exist.)
 */
async function checkTargets(
    environments: readonly ReleasePlan["environments"][number][],
    candidate: ReleaseCandidate,
    opts: PlanReleaseOptions,
): Promise<void> {
    const byBranch = new Map<
        string,
        { repoURL: string; targetRevision: string; apps: PlannedApplication[]; environments: Set<string> }
    >();
    for (const env of environments) {
        for (const app of env.applications) {
            const key = `${app.repoURL}#${app.targetRevision}`;
            const entry = byBranch.get(key) ?? {
                repoURL: app.repoURL,
                targetRevision: app.targetRevision,
                apps: [],
                environments: new Set<string>(),
            };
            entry.apps.push(app);
            entry.environments.add(env.name);
            byBranch.set(key, entry);
        }
    }
    const fetched = new Map<string, Promise<Repository>>();
    for (const { repoURL, targetRevision, apps, environments: envs } of byBranch.values()) {
        let repo: Repository;
        let tip: string | undefined;
        let branch: string;
        try {
            if (!fetched.has(repoURL)) {
                fetched.set(
                    repoURL,
                    Repository.open(repoURL, opts.cacheDir, opts.credentials).then(async (r) => {
                        if (opts.candidate || repoURL !== candidate.sourceRepoURL) {
                            await r.fetch();
                        }
                        return r;
                    }),
                );
            }
            repo = await fetched.get(repoURL)!;
            branch = await repo.branchFor(targetRevision);
            tip = await repo.tip(branch);
        } catch (e) {
            if (e instanceof GitError) {
                throw new EnvironmentError(
                    `cannot read ${apps.map((a) => a.name).join(", ")} (environment ${[...envs].join(", ")}) from ${repoURL}: ${e.message}`,
                    { entity: `Application "${apps[0].name}"`, path: "spec.source.repoURL", cause: e },
                );
            }
            throw e;
        }
        if (!tip) {
            throw new InvalidInputError(
                `${repoURL} has no branch "${branch}" (targetRevision of ${apps.map((a) => a.name).join(", ")}): create it or fix spec.source.targetRevision`,
                { entity: `Application "${apps[0].name}"`, path: "spec.source.targetRevision" },
            );
        }
        const promoted = candidate.files.filter((f) => f.content === undefined).map((f) => f.file);
        // One git process for every application path and promoted file of this branch.
        const found = await repo.objectTypes(
            tip,
            apps.flatMap((app) => [app.path, ...promoted.map((f) => joinPath(app.path, f))]),
        );
        for (const app of apps) {
            const where = `at ${branch} ${tip.slice(0, 12)} of ${repoURL}`;
            if (found.get(app.path) !== "tree") {
                throw new InvalidInputError(
                    `application "${app.name}": path "${app.path}" does not exist ${where}: fix spec.source.path (nothing was written)`,
                    { entity: `Application "${app.name}"`, path: "spec.source.path" },
                );
            }
            const missing = promoted.filter((f) => found.get(joinPath(app.path, f)) !== "blob");
            if (missing.length > 0) {
                throw new InvalidInputError(
                    `application "${app.name}": promoted file${missing.length > 1 ? "s" : ""} ${missing.map((f) => `"${joinPath(app.path, f)}"`).join(", ")} missing ${where}: add ${missing.length > 1 ? "them" : "it"} to the application, or remove ${missing.length > 1 ? "them" : "it"} from the PromotionTemplate (nothing was written)`,
                    { entity: `Application "${app.name}"`, path: joinPath(app.path, missing[0]) },
                );
            }
        }
    }
}

const joinPath = (dir: string, file: string) =>
    path.posix.normalize(path.posix.join(dir === "." ? "" : dir, file));
