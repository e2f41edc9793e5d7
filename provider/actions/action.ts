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
    /** For `pr`: the pull request that carries the change (the commit is its head until merged). */
    readonly pullRequest?: PullRequestInfo;
}

/** What an action would do, read from the live repository; nothing is written. */
export interface ActionPlan {
    readonly branch: string;
    readonly tip?: string;
    readonly plans: readonly ApplicationPlan[];
    /** True when the action has something to do for this release. */
    readonly pending: boolean;
}

/** One promotion action kind. Adding a kind is one file implementing this plus one line in the registry. */
export interface PromotionActionKind {
    readonly kind: "commit" | "pr" | "none";
    plan(req: ActionRequest): Promise<ActionPlan>;
    run(req: ActionRequest): Promise<ActionResult>;
}
