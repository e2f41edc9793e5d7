import { InvalidInputError } from "../../model/errors";
import type { CommandSpec } from "../spec";
import { flag, json, required } from "../spec";

export interface PruneCommandOptions {
    readonly product: string;
    /** The newest this many releases, or every release newer than this many ms. */
    readonly keep: { readonly count: number } | { readonly maxAgeMs: number };
    readonly dryRun: boolean;
    readonly json: boolean;
}

/** `--keep`: a count of releases (`500`), or an age: days (`270d`), weeks (`40w`), months (`9m`, `9mo`), years. */
function keepOf(raw: string): PruneCommandOptions["keep"] {
    if (/^[1-9]\d*$/.test(raw)) {
        return { count: Number(raw) };
    }
    const m = /^([1-9]\d*)(d|w|m|mo|y)$/.exec(raw);
    if (!m) {
        throw new InvalidInputError(
            `--keep "${raw}": a number of releases (500) or an age in days, weeks, months or years (270d, 40w, 9m, 1y)`,
            { path: "--keep" },
        );
    }
    const day = 86_400_000;
    const unit = { d: day, w: 7 * day, m: 30 * day, mo: 30 * day, y: 365 * day }[
        m[2] as "d" | "w" | "m" | "mo" | "y"
    ];
    return { maxAgeMs: Number(m[1]) * unit };
}

export const pruneSpec = {
    summary: "remove a product's oldest release records beyond --keep (a count, or an age such as 9m)",
    usage: "promote prune --product P --keep N|AGE [--dry-run] [--json]",
    options: {
        product: { type: "string" },
        keep: { type: "string" },
        "dry-run": { type: "boolean" },
        ...json,
    },
    help: {
        product: "the product whose records to prune",
        keep: "how many releases to keep (500) or for how long (270d, 40w, 9m, 1y)",
        "dry-run": "say what would be removed, remove nothing",
    },
    build: (v): PruneCommandOptions => {
        const raw = required(
            v,
            "keep",
            "how many releases to keep (e.g. 500) or for how long (e.g. 9mo, 270d)",
        );
        return {
            product: required(v, "product", "the product whose records to prune"),
            keep: keepOf(raw),
            dryRun: flag(v, "dry-run"),
            json: flag(v, "json"),
        };
    },
} satisfies CommandSpec<PruneCommandOptions>;
