// A release's flow as a graph: environments as nodes laid out by dagre, with their status, runs and commits.
import dagre from "../vendor/dagre.js";
import { duration, h, short } from "../lib/dom.js";

/** @typedef {import("../types").Release} Release */

/**
 * @param {Release} record
 */
export function graph(record) {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 60, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    const names = new Set(record.environments.map((e) => e.name));
    for (const e of record.environments) {
        g.setNode(e.name, { width: 230, height: 78 });
    }
    // The trigger environment is the source of the first steps: draw it as the graph's root.
    const roots = new Set(record.environments.flatMap((e) => e.dependsOn).filter((d) => !names.has(d)));
    for (const r of roots) {
        g.setNode(r, { width: 230, height: 78, source: true });
    }
    for (const e of record.environments) {
        for (const d of e.dependsOn) {
            g.setEdge(d, e.name);
        }
    }
    dagre.layout(g);
    const size = g.graph();
    const edges = g.edges().map((ed) => {
        const pts = g.edge(ed).points;
        const d = pts
            .map(
                (/** @type {{ x: number, y: number }} */ p, /** @type {number} */ i) =>
                    `${i === 0 ? "M" : "L"}${p.x},${p.y}`,
            )
            .join(" ");
        return h("path", {
            class: "edge",
            d,
            "marker-end": "url(#arrow)",
            "data-from": ed.v,
            "data-to": ed.w,
        });
    });
    const nodes = g.nodes().map((n) => {
        const pos = g.node(n);
        const env = record.environments.find((e) => e.name === n);
        const st = env?.status ?? "Source";
        const apps = env?.applications ?? [];
        const runs = apps
            .flatMap((a) => [
                a.preAction && `pre ${a.preAction.status}`,
                a.postAction && `post ${a.postAction.status}`,
            ])
            .filter(Boolean);
        const x = pos.x - pos.width / 2;
        const y = pos.y - pos.height / 2;
        return h(
            "g",
            {
                class: `node n-${st}`,
                "data-environment": n,
                "data-status": st,
                transform: `translate(${x},${y})`,
            },
            h("rect", { width: pos.width, height: pos.height }),
            h("text", { x: 10, y: 18, class: "title" }, n),
            h(
                "text",
                { x: 10, y: 36 },
                env
                    ? `${st} ${duration(env.startedAt, env.finishedAt)}`
                    : `source: ${record.sourceApplication}`,
            ),
            h("text", { x: 10, y: 52 }, runs.join(" · ")),
            h(
                "text",
                { x: 10, y: 68 },
                apps
                    .map((a) => short(a.commitSha))
                    .filter(Boolean)
                    .join(" "),
            ),
        );
    });
    return h(
        "div",
        { class: "graph" },
        h(
            "svg",
            {
                width: size.width,
                height: size.height,
                viewBox: `0 0 ${size.width} ${size.height}`,
                role: "img",
                "aria-label": `Flow ${record.flow}`,
            },
            h(
                "defs",
                {},
                h(
                    "marker",
                    {
                        id: "arrow",
                        viewBox: "0 0 10 10",
                        refX: 10,
                        refY: 5,
                        markerWidth: 8,
                        markerHeight: 8,
                        orient: "auto",
                    },
                    h("path", { d: "M0,0 L10,5 L0,10 z", fill: "#7d879a" }),
                ),
            ),
            edges,
            nodes,
        ),
    );
}
