import * as pulumi from "@pulumi/pulumi";
import { dynamicModule } from "../../model/tokens";

export interface PostActionGateInputs {
    readonly releaseId: string;
    readonly environment: string;
    readonly application: string;
    readonly workflow: string;
    /** The environment's commit (empty when the action made none). */
    readonly commitSha: string;
    readonly branch: string;
    /** The release whose promotion the environment holds now: the gate only runs after this release's. */
    readonly promotedBy: string;
}

/** Records that a post-action passed. Holds no logic: the workflow runs in the resource's hooks. */
const provider: pulumi.dynamic.ResourceProvider<PostActionGateInputs, PostActionGateInputs> = {
    async diff(_id, olds, news) {
        return {
            changes:
                olds.releaseId !== news.releaseId ||
                olds.commitSha !== news.commitSha ||
                olds.promotedBy !== news.promotedBy ||
                olds.workflow !== news.workflow,
        };
    },
    async create(inputs) {
        return { id: `${inputs.environment}/${inputs.application}`, outs: inputs };
    },
    async update(_id, _olds, news) {
        return { outs: news };
    },
    async delete() {
        return undefined;
    },
};

/**
 * The post-action of one application, as a resource of its own after the environment's promotion: its
 * `beforeCreate`/`beforeUpdate` hook runs the workflow, so a failure leaves the gate unrecorded and the
 * next attempt of the release runs it again (an after-hook failure would be recorded as done).
 */
export class PostActionGate extends pulumi.dynamic.Resource {
    constructor(
        name: string,
        args: { [K in keyof PostActionGateInputs]: pulumi.Input<PostActionGateInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(provider, name, args, opts, dynamicModule, "PostActionGate");
    }
}
