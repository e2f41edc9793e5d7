import type { CommandSpec } from "../spec";
import { duration, flag, products } from "../spec";

export interface WatchCommandOptions {
    readonly products?: readonly string[];
    readonly intervalMs: number;
    readonly once: boolean;
    /** How often Suspended releases are checked for a wait that is over (ms; default 30 s). */
    readonly resumeIntervalMs?: number;
}

export const watchSpec = {
    summary: "follow the trigger branches and release what new commits call for",
    usage: "promote watch [--product P[,Q]] [--interval D] [--once]",
    options: { product: { type: "string" }, interval: { type: "string" }, once: { type: "boolean" } },
    help: {
        product: "only these products (comma-separated; default: every product)",
        interval: "how often to read the trigger branches (default 1m)",
        once: "read once, release what is due, and exit",
    },
    build: (v): WatchCommandOptions => ({
        ...(products(v) ? { products: products(v) } : {}),
        intervalMs: duration(v, "interval", "1m")!,
        once: flag(v, "once"),
    }),
} satisfies CommandSpec<WatchCommandOptions>;
