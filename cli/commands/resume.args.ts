import { InvalidInputError } from "../../model/errors";
import type { CommandSpec, NoWaitOption } from "../spec";
import { flag, json, noWait, noWaitOf, products, text } from "../spec";

/** `resume [ID]`: one Suspended release, or every one whose wait is over (of `--product`). */
export interface ResumeCommandOptions extends NoWaitOption {
    readonly id?: string;
    readonly products?: readonly string[];
    readonly json: boolean;
}

export const resumeSpec = {
    summary: "continue a Suspended release (or every one whose wait is over: approved, window open, soaked)",
    usage: "promote resume [ID] [--product P[,Q]] [--no-wait] [--json]",
    options: { product: { type: "string" }, ...noWait, ...json },
    help: {
        ID: "the release to continue; without it, every Suspended release whose wait is over",
        product: "only releases of these products (comma-separated)",
    },
    positionals: ["ID"],
    build: (v, positionals): ResumeCommandOptions => {
        if (positionals[0] && text(v, "product")) {
            throw new InvalidInputError("give either a release ID or --product P, not both", {
                path: "--product",
            });
        }
        return {
            ...(positionals[0] ? { id: positionals[0] } : {}),
            ...(products(v) ? { products: products(v) } : {}),
            json: flag(v, "json"),
            ...noWaitOf(v),
        };
    },
} satisfies CommandSpec<ResumeCommandOptions>;
