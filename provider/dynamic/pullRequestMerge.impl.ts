/**
 * The work behind the PullRequestMerge dynamic resource, loaded by path in the dynamic-provider process.
 * The wait itself happens in the resource's hooks (in the engine's process, where terminate and the flow
 * timeout can stop it at once); by the time create or update runs, the pull request is merged or closed, and
 * this reads which.
 */
import type * as pulumi from "@pulumi/pulumi";
import { scmFor } from "../scm/registry";
import { credentials, guarded, scmConfig } from "./processEnv";

export interface PullRequestMergeInputs {
    readonly releaseId: string;
    readonly environment: string;
    readonly repoURL: string;
    /** The pull request the environment's promotion opened; 0 when it opened none (nothing to change). */
    readonly number: number;
}

export interface PullRequestMergeOutputs extends PullRequestMergeInputs {
    readonly state: "merged" | "none";
    readonly url?: string;
    /** The commit the merge put on the base branch: what post-actions and health waits look for. */
    readonly mergeCommitSha?: string;
}

async function read(inputs: PullRequestMergeInputs): Promise<PullRequestMergeOutputs> {
    if (!inputs.number) {
        return { ...inputs, state: "none" };
    }
    return guarded(async () => {
        const { client, repo } = scmFor(inputs.repoURL, scmConfig(), credentials());
        const pr = await client.getPullRequest(repo, inputs.number);
        if (pr.state === "closed") {
            throw new Error(`pull request #${pr.number} closed without merge (${pr.url})`);
        }
        if (pr.state === "open") {
            throw new Error(
                `pull request #${pr.number} is still open (${pr.url}): the wait for its merge ended first`,
            );
        }
        return {
            ...inputs,
            state: "merged",
            url: pr.url,
            ...(pr.mergeCommitSha ? { mergeCommitSha: pr.mergeCommitSha } : {}),
        };
    });
}

export async function create(
    inputs: PullRequestMergeInputs,
): Promise<pulumi.dynamic.CreateResult<PullRequestMergeOutputs>> {
    return { id: `${inputs.environment}:${inputs.repoURL}`, outs: await read(inputs) };
}

export async function update(
    _id: string,
    _olds: PullRequestMergeOutputs,
    news: PullRequestMergeInputs,
): Promise<pulumi.dynamic.UpdateResult<PullRequestMergeOutputs>> {
    return { outs: await read(news) };
}
