import { InvalidInputError } from "../../model/errors";
import type { CommandSpec } from "../spec";
import { holdTarget, json, text } from "../spec";

export interface RollbackCommandOptions {
    readonly product: string;
    readonly environment: string;
    readonly toRelease?: string;
    readonly toVersion?: string;
    readonly by: string;
    readonly json: boolean;
}

export const rollbackSpec = {
    summary: "put an earlier release's candidate back in one environment, then hold it",
    usage: "promote rollback --product P --environment E [--to RELEASE_ID | --to-version V] [--as USER] [--json]",
    options: {
        product: { type: "string" },
        environment: { type: "string" },
        to: { type: "string" },
        "to-version": { type: "string" },
        as: { type: "string" },
        ...json,
    },
    help: {
        product: "the product whose environment to roll back",
        environment: "the environment to roll back",
        to: "the release whose candidate to put back (default: the one before the environment's last)",
        "to-version": "the version to put back (the newest release that shipped it)",
    },
    build: (v, _p, s): RollbackCommandOptions => {
        const to = text(v, "to");
        const toVersion = text(v, "to-version");
        if (to && toVersion) {
            throw new InvalidInputError("give either --to RELEASE_ID or --to-version V, not both", {
                path: "--to",
            });
        }
        return {
            ...holdTarget(v, s, "roll back"),
            ...(to ? { toRelease: to } : {}),
            ...(toVersion ? { toVersion } : {}),
        };
    },
} satisfies CommandSpec<RollbackCommandOptions>;
