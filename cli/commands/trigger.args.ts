import * as path from "path";
import type { CommandSpec, NoWaitOption } from "../spec";
import {
    actorOf,
    asOption,
    flag,
    json,
    message,
    messageOf,
    noWait,
    noWaitOf,
    overrideHold,
    overrideHoldOf,
    policyPack,
    policyPacksOf,
    required,
    sourceCommit,
    text,
} from "../spec";

export interface TriggerCommandOptions extends NoWaitOption {
    /** `--message TEXT`: for the body of each promotion commit. */
    readonly message?: string;
    readonly product: string;
    readonly flow: string;
    readonly sourceCommit?: string;
    readonly json: boolean;
    /** Run through held environments (recorded on the release). */
    readonly overrideHold?: boolean;
    /** Run outside the environments' promotion windows (recorded on the release). */
    readonly overrideWindow?: boolean;
    /** `--policy-pack DIR` (absolute), for every environment. */
    readonly policyPacks?: readonly string[];
    /** `--plan FILE`: apply exactly the plan `preview --save-plan` saved. */
    readonly planFile?: string;
    /** Who triggers (recorded on the release as its initiator, via `local`). */
    readonly by?: string;
}

export const triggerSpec = {
    summary: "run a flow as a release, with live progress",
    usage:
        "promote trigger --product P --flow F [--source-commit SHA] [--override-hold] [--override-window] " +
        "[--policy-pack DIR]... [--plan FILE] [--as USER] [--no-wait] [--message TEXT] [--json]",
    options: {
        product: { type: "string" },
        flow: { type: "string" },
        plan: { type: "string" },
        ...sourceCommit,
        ...overrideHold,
        ...policyPack,
        ...asOption,
        ...noWait,
        ...message,
        ...json,
    },
    help: {
        product: "the product to release",
        flow: "the flow to run",
        plan: "apply exactly the update plan `promote preview --save-plan` saved (refused if it no longer holds)",
    },
    build: (v, _p, s): TriggerCommandOptions => ({
        product: required(v, "product", "the product to release"),
        flow: required(v, "flow", "the flow to run"),
        ...(text(v, "source-commit") ? { sourceCommit: text(v, "source-commit") } : {}),
        json: flag(v, "json"),
        ...overrideHoldOf(v),
        ...policyPacksOf(v),
        ...(text(v, "plan") ? { planFile: path.resolve(text(v, "plan")!) } : {}),
        by: actorOf(v, s),
        ...noWaitOf(v),
        ...messageOf(v),
    }),
} satisfies CommandSpec<TriggerCommandOptions>;
