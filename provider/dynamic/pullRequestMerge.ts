import * as pulumi from "@pulumi/pulumi";
import { dynamicModule } from "../../model/tokens";
import type * as impl from "./pullRequestMerge.impl";
import type { PullRequestMergeInputs, PullRequestMergeOutputs } from "./pullRequestMerge.impl";

const implementation = require.resolve("./pullRequestMerge.impl");
type Impl = typeof impl;

const provider: pulumi.dynamic.ResourceProvider<PullRequestMergeInputs, PullRequestMergeOutputs> = {
    // Done once per pull request: a retry of the same release finds it recorded and goes on.
    diff: async (_id, olds, news) => ({
        changes: olds.releaseId !== news.releaseId || olds.number !== news.number,
    }),
    create: (inputs) => (require(implementation) as Impl).create(inputs),
    update: (id, olds, news) => (require(implementation) as Impl).update(id, olds, news),
    delete: async () => undefined,
};

/**
 * The merge of the pull request an environment's `pr` action opened. Its `beforeCreate`/`beforeUpdate` hook
 * waits (the environment is Suspended meanwhile); the resource records the merge commit, which the
 * environment's health waits and post-actions then use. A pull request closed without merge fails it.
 */
export class PullRequestMerge extends pulumi.dynamic.Resource {
    declare readonly releaseId: pulumi.Output<string>;
    declare readonly mergeCommitSha: pulumi.Output<string | undefined>;
    declare readonly state: pulumi.Output<"merged" | "none">;
    declare readonly url: pulumi.Output<string | undefined>;

    constructor(
        name: string,
        args: { [K in keyof PullRequestMergeInputs]: pulumi.Input<PullRequestMergeInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            provider,
            name,
            { ...args, state: undefined, url: undefined, mergeCommitSha: undefined },
            opts,
            dynamicModule,
            "PullRequestMerge",
        );
    }
}
