import type { PlannedApplication } from "./releaseRecord";

/** One resource of the promote stack: an environment's applications that share a repository branch. */
export interface ResourceGroup {
    readonly environment: string;
    readonly name: string;
    readonly repoURL: string;
    readonly targetRevision: string;
    readonly applications: readonly PlannedApplication[];
}

/** The role a resource plays for its group: the promotion, the wait for its pull request, a post-action gate. */
export type ResourceRole = "promotion" | "merge" | "gate";
