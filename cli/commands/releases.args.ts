import { InvalidInputError } from "../../model/errors";
import type { CommandSpec } from "../spec";
import { flag, json, required, text } from "../spec";

export interface ReleasesCommandOptions {
    readonly product: string;
    readonly json: boolean;
    /** At most this many (newest first); every release when absent. */
    readonly limit?: number;
    /** Only releases older than this id (the last id of the previous page). */
    readonly before?: string;
}

export const releasesSpec = {
    summary: "list a product's releases, newest first",
    usage: "promote releases --product P [--limit N] [--before ID] [--json]",
    options: {
        product: { type: "string" },
        limit: { type: "string" },
        before: { type: "string" },
        ...json,
    },
    help: {
        product: "the product whose releases to list",
        limit: "at most this many releases (newest first)",
        before: "only releases older than this id (the last id of the previous page)",
    },
    build: (v): ReleasesCommandOptions => {
        const limit = text(v, "limit");
        if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) {
            throw new InvalidInputError(`--limit "${limit}": a whole number of releases, 1 or more`, {
                path: "--limit",
            });
        }
        const before = text(v, "before");
        return {
            product: required(v, "product", "the product whose releases to list"),
            json: flag(v, "json"),
            ...(limit !== undefined ? { limit: Number(limit) } : {}),
            ...(before !== undefined ? { before } : {}),
        };
    },
} satisfies CommandSpec<ReleasesCommandOptions>;
