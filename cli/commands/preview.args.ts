import * as path from "path";
import type { ReleaseTarget } from "../../engine/record/plannedRelease";
import type { CommandSpec } from "../spec";
import { flag, json, policyPack, policyPacksOf, required, sourceCommit, target, text } from "../spec";

export interface PreviewCommandOptions {
    readonly product: string;
    readonly target: ReleaseTarget;
    readonly sourceCommit?: string;
    readonly json: boolean;
    /** Run a real `pulumi preview` on the promote stack instead of the in-process computation. */
    readonly engine: boolean;
    /** `--policy-pack DIR` (absolute): evaluated in the engine's preview (implies `engine`). */
    readonly policyPacks?: readonly string[];
    /** `--save-plan FILE`: save Pulumi's update plan of the release there (implies `engine`). */
    readonly savePlan?: string;
}

export const previewSpec = {
    summary: "show what a release would change in every environment (writes nothing)",
    usage:
        "promote preview --product P (--flow F | --from ENV --to ENV) [--source-commit SHA] [--engine] " +
        "[--policy-pack DIR]... [--save-plan FILE] [--json]",
    options: {
        product: { type: "string" },
        flow: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        engine: { type: "boolean" },
        "save-plan": { type: "string" },
        ...sourceCommit,
        ...policyPack,
        ...json,
    },
    help: {
        product: "the product to preview",
        flow: "preview every environment of this flow",
        from: "preview one promotion: the source environment (with --to)",
        to: "preview one promotion: the target environment (with --from)",
        engine: "run a real `pulumi preview` of the promote stack instead of the in-process diff",
        "save-plan":
            "save Pulumi's update plan to this file, for `promote trigger --plan` (implies --engine)",
    },
    build: (v): PreviewCommandOptions => ({
        product: required(v, "product", "the product to preview"),
        target: target(v),
        ...(text(v, "source-commit") ? { sourceCommit: text(v, "source-commit") } : {}),
        json: flag(v, "json"),
        engine:
            flag(v, "engine") || policyPacksOf(v).policyPacks !== undefined || Boolean(text(v, "save-plan")),
        ...policyPacksOf(v),
        ...(text(v, "save-plan") ? { savePlan: path.resolve(text(v, "save-plan")!) } : {}),
    }),
} satisfies CommandSpec<PreviewCommandOptions>;
