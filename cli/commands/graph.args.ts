import type { CommandSpec } from "../spec";
import { oneOf, required, text } from "../spec";

export interface GraphCommandOptions {
    readonly flow: string;
    readonly format: "text" | "mermaid" | "dot";
    readonly product?: string;
}

export const graphSpec = {
    summary: "draw a flow: layers and critical path, or Mermaid / Graphviz DOT",
    usage: "promote graph --flow F [--format text|mermaid|dot] [--product P]",
    options: { flow: { type: "string" }, format: { type: "string" }, product: { type: "string" } },
    help: {
        flow: "the flow to draw",
        format: "text (layers and critical path), mermaid or dot",
        product: "also show what the product's templates promote, and its applications per environment",
    },
    build: (v): GraphCommandOptions => ({
        flow: required(v, "flow", "the flow to draw"),
        format: oneOf(v, "format", ["text", "mermaid", "dot"] as const) ?? "text",
        ...(text(v, "product") ? { product: text(v, "product") } : {}),
    }),
} satisfies CommandSpec<GraphCommandOptions>;
