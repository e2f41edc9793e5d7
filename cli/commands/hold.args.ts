import type { CommandSpec } from "../spec";
import { flag, holdTarget, json, required, text } from "../spec";

/** `hold` and `release-hold`: one environment of a product, and who acts. */
export interface HoldCommandOptions {
    readonly product: string;
    readonly environment: string;
    readonly by: string;
    readonly reason?: string;
    readonly json: boolean;
}
export interface HoldsCommandOptions {
    readonly product: string;
    readonly json: boolean;
}

export const holdSpec = {
    summary: "hold an environment: flows and triggers skip it (and what follows it) until released",
    usage: "promote hold --product P --environment E [--reason R] [--as USER] [--json]",
    options: {
        product: { type: "string" },
        environment: { type: "string" },
        reason: { type: "string" },
        as: { type: "string" },
        ...json,
    },
    help: {
        product: "the product whose environment to hold",
        environment: "the environment to hold",
        reason: "why, shown with the hold",
    },
    build: (v, _p, s): HoldCommandOptions => ({
        ...holdTarget(v, s, "hold"),
        ...(text(v, "reason") ? { reason: text(v, "reason") } : {}),
    }),
} satisfies CommandSpec<HoldCommandOptions>;

export const releaseHoldSpec = {
    summary: "release the hold on an environment",
    usage: "promote release-hold --product P --environment E [--as USER] [--json]",
    options: {
        product: { type: "string" },
        environment: { type: "string" },
        as: { type: "string" },
        ...json,
    },
    help: {
        product: "the product whose environment to release",
        environment: "the held environment",
    },
    build: (v, _p, s): HoldCommandOptions => holdTarget(v, s, "release"),
} satisfies CommandSpec<HoldCommandOptions>;

export const holdsSpec = {
    summary: "list a product's held environments: who, when, why",
    usage: "promote holds --product P [--json]",
    options: { product: { type: "string" }, ...json },
    help: { product: "the product whose holds to list" },
    build: (v): HoldsCommandOptions => ({
        product: required(v, "product", "the product whose holds to list"),
        json: flag(v, "json"),
    }),
} satisfies CommandSpec<HoldsCommandOptions>;
