import * as pulumi from "@pulumi/pulumi";
import { dynamicModule } from "../../model/tokens";
import type * as impl from "./environmentPromotion.impl";
import type { EnvironmentPromotionInputs, EnvironmentPromotionOutputs } from "./environmentPromotion.impl";

/** Resolved here, in the program; the provider process loads the implementation from this path. */
const implementation = require.resolve("./environmentPromotion.impl");

type Impl = typeof impl;

/**
 * The serialized provider: a few lines that load the real implementation at run time (so the closure stays
 * tiny and heavy modules are never serialized). One instance serves every resource.
 */
const provider: pulumi.dynamic.ResourceProvider<EnvironmentPromotionInputs, EnvironmentPromotionOutputs> = {
    check: (olds, news) => (require(implementation) as Impl).check(olds, news),
    diff: (id, olds, news) => (require(implementation) as Impl).diff(id, olds, news),
    create: (inputs) => (require(implementation) as Impl).create(inputs),
    update: (id, olds, news) => (require(implementation) as Impl).update(id, olds, news),
    // Deleting the resource (a product or environment removed) leaves the promoted commits in place.
    delete: async () => undefined,
};

/**
 * One environment's applications in one repository branch, brought to the release candidate's values by the
 * policy's action. Its `diff` reads the live branch, so previews are truthful after hand edits.
 */
export class EnvironmentPromotion extends pulumi.dynamic.Resource {
    declare readonly releaseId: pulumi.Output<string>;
    declare readonly commitSha: pulumi.Output<string | undefined>;
    declare readonly status: pulumi.Output<"Succeeded" | "Skipped">;
    declare readonly branch: pulumi.Output<string>;
    declare readonly results: pulumi.Output<EnvironmentPromotionOutputs["results"]>;
    declare readonly pullRequest: pulumi.Output<EnvironmentPromotionOutputs["pullRequest"]>;

    constructor(name: string, args: EnvironmentPromotionInputs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                ...args,
                commitSha: undefined,
                status: undefined,
                branch: undefined,
                results: undefined,
                attempts: undefined,
                adopted: undefined,
                pullRequest: undefined,
            },
            opts,
            dynamicModule,
            "EnvironmentPromotion",
        );
    }
}
