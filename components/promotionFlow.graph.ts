import type { PromotionFlowDefinition } from "./promotionFlow";

/** A flow as a graph: the trigger environment, the target environments and their dependencies. */
export interface FlowGraph {
    readonly flow: string;
    readonly trigger: string;
    /** Target environments in a stable topological order (by layer, then name). */
    readonly order: readonly string[];
    /** `layers[0]` is the trigger environment; each later layer can start when the previous ones succeeded. */
    readonly layers: readonly (readonly string[])[];
    /** Each target environment's dependencies. */
    readonly dependsOn: Readonly<Record<string, readonly string[]>>;
    /** The longest chain from the trigger environment to a final environment. */
    readonly criticalPath: readonly string[];
}

/** The environments on a cycle, or undefined if the flow has none. */
export function findCycle(deps: Readonly<Record<string, readonly string[]>>): string[] | undefined {
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (node: string): string[] | undefined => {
        if (state.get(node) === "done") {
            return undefined;
        }
        if (state.get(node) === "visiting") {
            return [...stack.slice(stack.indexOf(node)), node];
        }
        state.set(node, "visiting");
        stack.push(node);
        for (const d of deps[node] ?? []) {
            const cycle = visit(d);
            if (cycle) {
                return cycle;
            }
        }
        stack.pop();
        state.set(node, "done");
        return undefined;
    };
    for (const node of Object.keys(deps).sort()) {
        const cycle = visit(node);
        if (cycle) {
            return cycle;
        }
    }
    return undefined;
}

/** Builds the graph of a valid flow (see the catalog's validation for the checks). */
export function flowGraph(flow: PromotionFlowDefinition): FlowGraph {
    const dependsOn: Record<string, string[]> = {};
    for (const step of flow.steps) {
        dependsOn[step.environment] = [...new Set(step.dependsOn)].sort();
    }
    const depth = new Map<string, number>([[flow.triggerEnvironment, 0]]);
    const depthOf = (env: string, seen: Set<string>): number => {
        const known = depth.get(env);
        if (known !== undefined) {
            return known;
        }
        if (seen.has(env)) {
            throw new Error(`PromotionFlow "${flow.name}": cycle through "${env}"`);
        }
        seen.add(env);
        const d = 1 + Math.max(...(dependsOn[env] ?? [flow.triggerEnvironment]).map((x) => depthOf(x, seen)));
        depth.set(env, d);
        return d;
    };
    for (const env of Object.keys(dependsOn)) {
        depthOf(env, new Set());
    }
    const layers: string[][] = [];
    for (const [env, d] of depth) {
        (layers[d] ??= []).push(env);
    }
    layers.forEach((l) => l.sort());
    const order = layers.slice(1).flat();

    // Critical path: walk back from the deepest environment along its deepest dependency.
    const deepest = order.reduce((a, b) => ((depth.get(b) ?? 0) > (depth.get(a) ?? 0) ? b : a), order[0]);
    const path = [deepest];
    let cur = deepest;
    while (cur !== flow.triggerEnvironment) {
        cur = (dependsOn[cur] ?? [flow.triggerEnvironment]).reduce((a, b) =>
            (depth.get(b) ?? 0) > (depth.get(a) ?? 0) ? b : a,
        );
        path.unshift(cur);
    }
    return {
        flow: flow.name,
        trigger: flow.triggerEnvironment,
        order,
        layers,
        dependsOn,
        criticalPath: path,
    };
}

const id = (env: string) => env.replace(/[^A-Za-z0-9_]/g, "_");

/** The flow as a Mermaid flowchart (renders on GitHub). */
export function toMermaid(graph: FlowGraph, label: (env: string) => string = (e) => e): string {
    const lines = ["flowchart LR"];
    lines.push(`    ${id(graph.trigger)}(["${label(graph.trigger)}"])`);
    for (const env of graph.order) {
        lines.push(`    ${id(env)}["${label(env)}"]`);
    }
    for (const env of graph.order) {
        for (const d of graph.dependsOn[env]) {
            lines.push(`    ${id(d)} --> ${id(env)}`);
        }
    }
    return lines.join("\n");
}

/** The flow as Graphviz DOT. */
export function toDot(graph: FlowGraph, label: (env: string) => string = (e) => e): string {
    const lines = [`digraph "${graph.flow}" {`, "    rankdir=LR;", "    node [shape=box, style=rounded];"];
    lines.push(`    "${graph.trigger}" [label="${label(graph.trigger)}", shape=oval];`);
    for (const env of graph.order) {
        lines.push(`    "${env}" [label="${label(env)}"];`);
    }
    for (const env of graph.order) {
        for (const d of graph.dependsOn[env]) {
            lines.push(`    "${d}" -> "${env}";`);
        }
    }
    lines.push("}");
    return lines.join("\n");
}
