import type { CommandSpec } from "../spec";
import { flag, json, required, text } from "../spec";

export interface StackCommandOptions {
    readonly product: string;
    /** The flow the shipped program previews (default: the product's first). */
    readonly flow?: string;
    readonly configPath: string;
    readonly gitCacheDir: string;
    readonly json: boolean;
}

export const stackSpec = {
    summary: "how to use the plain Pulumi CLI on a product's promote stack (backend, names, environment)",
    usage: "promote stack --product P [--flow F] [--json]",
    options: { product: { type: "string" }, flow: { type: "string" }, ...json },
    help: {
        product: "the product whose promote stack to show",
        flow: "the flow the stack's program previews (default: the product's first)",
    },
    build: (v, _p, s): StackCommandOptions => ({
        product: required(v, "product", "the product whose promote stack to show"),
        ...(text(v, "flow") ? { flow: text(v, "flow") } : {}),
        configPath: s.configPath,
        gitCacheDir: s.gitCacheDir,
        json: flag(v, "json"),
    }),
} satisfies CommandSpec<StackCommandOptions>;
