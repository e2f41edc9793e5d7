import type * as pulumi from "@pulumi/pulumi";
import type { ActionKind } from "../../model/kinds";
import type { GitCredentials } from "../git/git";
import type { ApplicationPlan, Change, ReleaseCandidate } from "../promotion";
import type { PullRequestState, ScmConfig } from "../scm/scm";

/** Everything an action needs to bring one environment's applications in one repository branch up to date. */
export interface ActionRequest {
    readonly releaseId: string;
    readonly product: string;
    readonly flow: string;
    readonly environment: string;
    readonly repoURL: string;
    /** The applications' targetRevision (a branch, or HEAD for the remote's default branch). */
    readonly targetRevision: string;
    readonly applications: readonly { readonly name: string; readonly path: string }[];
    readonly candidate: ReleaseCandidate;
    /** The clone cache directory. */
    readonly cacheDir: string;
    readonly credentials?: GitCredentials;
    /** How to reach the code host's API (pull requests). */
    readonly scm?: ScmConfig;
    /** Plan against the clone as this process fetched it within this many ms, if it did (default: fetch). */
    readonly freshWithinMs?: number;
}

/** The pull request a `pr` action opened (or adopted) for one environment. */
export interface PullRequestInfo {
    readonly url: string;
    readonly number: number;
    readonly state: PullRequestState;
    /** The branch it proposes (`promotions/<product>/<environment>/<release>`). */
    readonly head: string;
}

export interface ApplicationResult {
    readonly name: string;
    readonly changes: readonly Change[];
}

/** What an action did: Succeeded (with the pushed commit for git actions) or Skipped (nothing to change). */
export interface ActionResult {
    readonly status: "Succeeded" | "Skipped";
    readonly branch: string;
    readonly commitSha?: string;
    /** Per application: the values that changed. */
    readonly results: readonly ApplicationResult[];
    /** Push attempts (more than one when another writer got there first). */
    readonly attempts: number;
    /**
     * The commit was pushed by an earlier attempt of this release whose record never said so (a process killed,
     * a state that could not be written): this attempt adopted it rather than pushing again.
     */
    readonly adopted?: boolean;
    /** For `pr`: the pull request that carries the change (the commit is its head until merged). */
    readonly pullRequest?: PullRequestInfo;
    /**
     * Why the write planned the change again instead of taking the plan its diff handed on (the branch moved
     * between the two: another writer, a long wait). Absent in the steady state.
     */
    readonly replanned?: string;
}

/** What an action would do, read from the live repository; nothing is written. */
export interface ActionPlan {
    readonly branch: string;
    readonly tip?: string;
    readonly plans: readonly ApplicationPlan[];
    /** True when the action has something to do for this release. */
    readonly pending: boolean;
}

/** An environment as an action sees it when the release is planned. */
export interface PlannedTarget {
    readonly environment: string;
    readonly applications: readonly {
        readonly name: string;
        readonly repoURL: string;
        readonly targetRevision: string;
    }[];
}

/** What an action may add to the promote program after one group's promotion resource. */
export interface ActionResourcesContext {
    readonly releaseId: string;
    readonly environment: string;
    readonly groupName: string;
    readonly repoURL: string;
    /** The group's EnvironmentPromotion resource. */
    readonly promotion: pulumi.CustomResource & {
        readonly releaseId: pulumi.Output<string>;
        readonly status: pulumi.Output<string | undefined>;
        readonly commitSha: pulumi.Output<string | undefined>;
        readonly pullRequest: pulumi.Output<PullRequestInfo | undefined>;
    };
    /** Waits (in the engine process) for the pull request numbered `number` of this group, when the action opened one. */
    readonly awaitPullRequest: (number: number) => Promise<void>;
}

/** The resource an action added, and what post-actions read from it instead of the promotion's. */
export interface ActionResources {
    readonly resource: pulumi.Resource;
    /** The commit the environment ends up with (e.g. the merge commit of a pull request). */
    readonly commitSha: pulumi.Output<string>;
    /** The release that completed this environment's change ("" while it is not complete). */
    readonly completedBy: pulumi.Output<string>;
}

/**
 * One promotion action kind. Adding a kind is one file implementing this plus one line in the registry (and
 * its name in `model/kinds.ts`, which the definitions' schema accepts).
 */
export interface PromotionAction {
    readonly kind: ActionKind;
    plan(req: ActionRequest): Promise<ActionPlan>;
    run(req: ActionRequest): Promise<ActionResult>;
    /** Refuses, before the release starts, an environment this action cannot promote (throws InvalidInputError). */
    validate?(target: PlannedTarget): void;
    /** Resources the action adds to the promote program after a group's promotion (e.g. `pr`'s merge wait). */
    resources?(ctx: ActionResourcesContext): ActionResources;
}
