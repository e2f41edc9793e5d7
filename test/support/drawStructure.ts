/**
 * A folder's structure as an SVG picture: one box per subfolder (its "room") listing its files by size, one
 * arrow per pair of rooms where one imports the other, labelled with the number of imports, and the arrows
 * of a folder circle in red. Laid out by dagre; plain SVG on a white ground, so it reads the same in a light
 * or dark page. `npm run structure` draws engine/ into docs/structure/engine-after.svg.
 */
import * as fs from "fs";
import * as path from "path";
import { Graph, layout } from "@dagrejs/dagre";
import type { ImportCircle } from "./importGraph";
import { folderCircles, importEdges, sourceFiles } from "./importGraph";

/** The colour of the arrows that tie a folder circle (and only of those). */
export const CIRCLE_COLOUR = "#cf222e";
const ARROW_COLOUR = "#57606a";
const TEXT_COLOUR = "#1f2328";
const MUTED_COLOUR = "#59636e";
const BOX_FILL = "#f6f8fa";
const BOX_STROKE = "#8c959f";

/** Files a box lists before it sums up the rest in one line, unless told to list them all. */
export const FILES_LISTED = 12;

export interface DrawOptions {
    /** List every file in each box (for a flat folder, whose one room is the picture), not the largest 12. */
    readonly allFiles?: boolean;
}

export interface RoomFile {
    /** Relative to the room's folder (`scm/github.ts` for a file one level further down). */
    readonly name: string;
    readonly lines: number;
}

/** A subfolder of the drawn folder with everything under it, or the files directly in the folder. */
export interface Room {
    /** `engine/release`, or `engine` for the files directly in it. */
    readonly id: string;
    readonly title: string;
    /** Largest first. */
    readonly files: readonly RoomFile[];
    readonly lines: number;
}

/** Files in `from` importing files in `to`: `imports` counts one per importing and imported file. */
export interface RoomArrow {
    readonly from: string;
    readonly to: string;
    readonly imports: number;
    /** Both rooms belong to one folder circle. */
    readonly inCircle: boolean;
}

export interface Structure {
    readonly folder: string;
    readonly rooms: readonly Room[];
    readonly arrows: readonly RoomArrow[];
    readonly circles: readonly ImportCircle[];
}

function lineCount(text: string): number {
    if (text.length === 0) {
        return 0;
    }
    return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** The room a file under `folder` belongs to, as {@link folderCircles} counts it. */
function roomOf(folder: string, file: string): string | undefined {
    if (!file.startsWith(`${folder}/`)) {
        return undefined;
    }
    const rest = file.slice(folder.length + 1).split("/");
    return rest.length === 1 ? folder : `${folder}/${rest[0]}`;
}

/** `release/` for `engine/release`, `engine/ (own files)` for `engine`. */
function roomTitle(folder: string, room: string): string {
    return room === folder
        ? `${path.posix.basename(folder)}/ (own files)`
        : `${room.slice(folder.length + 1)}/`;
}

/** `folder`'s rooms, the imports between them and its folder circles, read from the sources under `root`. */
export function readStructure(repoRoot: string, folder: string): Structure {
    // importEdges resolves specifiers to absolute paths, so it needs an absolute root to match them.
    const root = path.resolve(repoRoot);
    const dir = folder.replace(/\/+$/, "");
    const files = sourceFiles(root, [dir]);
    if (files.length === 0) {
        throw new Error(
            `no TypeScript files under "${dir}" in ${root}: pass the repository root, then a folder in it (e.g. . engine)`,
        );
    }
    const byRoom = new Map<string, RoomFile[]>();
    for (const file of files) {
        const room = roomOf(dir, file)!;
        const name = room === dir ? file.slice(dir.length + 1) : file.slice(room.length + 1);
        const lines = lineCount(fs.readFileSync(path.join(root, file), "utf8"));
        byRoom.set(room, [...(byRoom.get(room) ?? []), { name, lines }]);
    }
    const rooms = [...byRoom.entries()]
        .sort(([a], [b]) => (a === dir ? -1 : b === dir ? 1 : a.localeCompare(b)))
        .map(([id, roomFiles]) => ({
            id,
            title: roomTitle(dir, id),
            files: [...roomFiles].sort((a, b) => b.lines - a.lines || a.name.localeCompare(b.name)),
            lines: roomFiles.reduce((sum, f) => sum + f.lines, 0),
        }));

    const edges = importEdges(root, [dir]);
    const circles = folderCircles(edges, dir);
    const circleOf = new Map(circles.flatMap((c, i) => c.members.map((m) => [m, i] as const)));
    const counts = new Map<string, RoomArrow>();
    for (const e of edges) {
        const from = roomOf(dir, e.from);
        const to = roomOf(dir, e.to);
        if (!from || !to || from === to) {
            continue;
        }
        const key = `${from}\0${to}`;
        const inCircle = circleOf.has(from) && circleOf.get(from) === circleOf.get(to);
        counts.set(key, { from, to, inCircle, imports: (counts.get(key)?.imports ?? 0) + 1 });
    }
    const arrows = [...counts.values()].sort(
        (a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
    );
    return { folder: dir, rooms, arrows, circles };
}

// Sizes in SVG units. Text widths are estimated (no font is measured): 0.62 of the font size per character
// is wider than any generic sans-serif's average, so names fit whichever font the viewer picks.
const TITLE_SIZE = 14;
const TEXT_SIZE = 12;
const CHAR = 0.62;
const PAD = 10;
const LINE = 16;
const MARGIN = 20;

function textWidth(text: string, size: number): number {
    return text.length * size * CHAR;
}

function escape(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function count(n: number): string {
    return n.toLocaleString("en-US");
}

function plural(n: number, one: string, many = `${one}s`): string {
    return `${count(n)} ${n === 1 ? one : many}`;
}

/** What a box shows: its title, its summary line, and its file rows (name, lines). */
function boxRows(
    room: Room,
    options: DrawOptions,
): { summary: string; rows: { name: string; lines: string }[] } {
    const listed =
        room.files.length > FILES_LISTED && !options.allFiles
            ? room.files.slice(0, FILES_LISTED)
            : room.files;
    const rest = room.files.slice(listed.length);
    const rows = listed.map((f) => ({ name: f.name, lines: count(f.lines) }));
    if (rest.length > 0) {
        rows.push({
            name: `… ${count(rest.length)} more`,
            lines: count(rest.reduce((s, f) => s + f.lines, 0)),
        });
    }
    return { summary: `${plural(room.files.length, "file")} · ${plural(room.lines, "line")}`, rows };
}

function boxSize(room: Room, options: DrawOptions): { width: number; height: number } {
    const { summary, rows } = boxRows(room, options);
    const rowWidth = Math.max(
        0,
        ...rows.map((r) => textWidth(r.name, TEXT_SIZE) + 16 + textWidth(r.lines, TEXT_SIZE)),
    );
    const width =
        Math.max(160, textWidth(room.title, TITLE_SIZE), textWidth(summary, TEXT_SIZE), rowWidth) + 2 * PAD;
    const height = PAD + 18 + LINE + 6 + rows.length * LINE + PAD;
    return { width: Math.ceil(width), height };
}

function round(n: number): string {
    return String(Math.round(n * 10) / 10);
}

/**
 * A path through every one of dagre's points, straight lines with their corners rounded, so it passes by the
 * label dagre placed on it and never swings wide of the route dagre kept clear.
 */
function pathThrough(points: readonly { x: number; y: number }[]): string {
    const parts = [`M${round(points[0].x)},${round(points[0].y)}`];
    for (let i = 1; i < points.length - 1; i++) {
        const [a, p, b] = [points[i - 1], points[i], points[i + 1]];
        const toA = Math.hypot(a.x - p.x, a.y - p.y);
        const toB = Math.hypot(b.x - p.x, b.y - p.y);
        const r = Math.min(14, toA / 2, toB / 2);
        const enter = toA === 0 ? p : { x: p.x + ((a.x - p.x) * r) / toA, y: p.y + ((a.y - p.y) * r) / toA };
        const leave = toB === 0 ? p : { x: p.x + ((b.x - p.x) * r) / toB, y: p.y + ((b.y - p.y) * r) / toB };
        parts.push(
            `L${round(enter.x)},${round(enter.y)} Q${round(p.x)},${round(p.y)} ${round(leave.x)},${round(leave.y)}`,
        );
    }
    const last = points[points.length - 1];
    parts.push(`L${round(last.x)},${round(last.y)}`);
    return parts.join(" ");
}

function listed(names: readonly string[]): string {
    return names.length < 2
        ? names.join("")
        : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function legendLines(s: Structure): { text: string; colour: string }[] {
    const lines = [
        {
            text: `A box is a subfolder of ${s.folder}/ with everything under it (its files largest first, with their lines); "(own files)" holds the files directly in ${s.folder}/.`,
            colour: MUTED_COLOUR,
        },
        {
            text: "An arrow A → B: files in A import files in B; its number counts the imports, one per importing and imported file.",
            colour: MUTED_COLOUR,
        },
    ];
    if (s.circles.length === 0) {
        lines.push({
            text: "No folder circle: no two folders reach each other through imports.",
            colour: MUTED_COLOUR,
        });
    }
    for (const c of s.circles) {
        lines.push({
            text: `Red arrows tie a folder circle: ${listed(c.members.map((m) => roomTitle(s.folder, m)))} reach each other through imports.`,
            colour: CIRCLE_COLOUR,
        });
    }
    return lines;
}

/** `s` as an SVG document. */
export function renderStructure(s: Structure, options: DrawOptions = {}): string {
    const g = new Graph({ multigraph: false });
    g.setGraph({ rankdir: "TB", nodesep: 40, edgesep: 24, ranksep: 46, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const room of s.rooms) {
        g.setNode(room.id, boxSize(room, options));
    }
    for (const a of s.arrows) {
        g.setEdge(a.from, a.to, {
            width: textWidth(String(a.imports), TEXT_SIZE) + 8,
            height: LINE,
            labelpos: "c",
        });
    }
    layout(g);

    const totalFiles = s.rooms.reduce((n, r) => n + r.files.length, 0);
    const totalLines = s.rooms.reduce((n, r) => n + r.lines, 0);
    const subfolders = s.rooms.filter((r) => r.id !== s.folder).length;
    const own = s.rooms.some((r) => r.id === s.folder) ? " and its own files" : "";
    const heading = `${s.folder}/: ${plural(totalFiles, "file")}, ${plural(totalLines, "line")}, in ${plural(subfolders, "subfolder")}${own}`;
    const legend = legendLines(s);
    const graphWidth = g.graph().width ?? 0;
    const graphHeight = g.graph().height ?? 0;
    const width = Math.ceil(
        Math.max(graphWidth, textWidth(heading, 16), ...legend.map((l) => textWidth(l.text, TEXT_SIZE))) +
            2 * MARGIN,
    );
    const top = MARGIN + 30;
    const left = MARGIN + (width - 2 * MARGIN - graphWidth) / 2;
    const legendTop = top + graphHeight + 30;
    const height = Math.ceil(legendTop + legend.length * LINE + MARGIN);

    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${TEXT_SIZE}" role="img">`,
        `<title>${escape(heading)}</title>`,
        "<defs>",
        ...[
            ["arrow", ARROW_COLOUR],
            ...(s.arrows.some((a) => a.inCircle) ? [["arrow-circle", CIRCLE_COLOUR]] : []),
        ].map(
            ([id, colour]) =>
                `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${colour}"/></marker>`,
        ),
        "</defs>",
        `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
        `<text x="${MARGIN}" y="${MARGIN + 12}" font-size="16" font-weight="bold" fill="${TEXT_COLOUR}">${escape(heading)}</text>`,
        `<g transform="translate(${round(left)},${top})">`,
    ];
    for (const room of s.rooms) {
        const n = g.node(room.id);
        const x = n.x! - n.width / 2;
        const y = n.y! - n.height / 2;
        const { summary, rows } = boxRows(room, options);
        out.push(
            `<g class="room" data-room="${escape(room.id)}" transform="translate(${round(x)},${round(y)})">`,
            `<rect width="${n.width}" height="${n.height}" rx="4" fill="${BOX_FILL}" stroke="${BOX_STROKE}"/>`,
            `<text x="${PAD}" y="${PAD + 13}" font-size="${TITLE_SIZE}" font-weight="bold" fill="${TEXT_COLOUR}">${escape(room.title)}</text>`,
            `<text x="${PAD}" y="${PAD + 18 + 12}" fill="${MUTED_COLOUR}">${escape(summary)}</text>`,
            `<line x1="${PAD}" x2="${n.width - PAD}" y1="${PAD + 18 + LINE}" y2="${PAD + 18 + LINE}" stroke="${BOX_STROKE}" stroke-width="0.5"/>`,
            ...rows.flatMap((r, i) => {
                const baseline = PAD + 18 + LINE + 6 + i * LINE + 12;
                return [
                    `<text x="${PAD}" y="${baseline}" fill="${TEXT_COLOUR}">${escape(r.name)}</text>`,
                    `<text x="${n.width - PAD}" y="${baseline}" text-anchor="end" fill="${MUTED_COLOUR}">${escape(r.lines)}</text>`,
                ];
            }),
            "</g>",
        );
    }
    for (const a of s.arrows) {
        const e = g.edge(a.from, a.to);
        const colour = a.inCircle ? CIRCLE_COLOUR : ARROW_COLOUR;
        const label = String(a.imports);
        const w = textWidth(label, TEXT_SIZE) + 8;
        out.push(
            `<g class="arrow${a.inCircle ? " in-circle" : ""}" data-from="${escape(a.from)}" data-to="${escape(a.to)}" data-imports="${a.imports}">`,
            `<path d="${pathThrough(e.points ?? [])}" fill="none" stroke="${colour}" stroke-width="${a.inCircle ? 1.8 : 1.3}" marker-end="url(#${a.inCircle ? "arrow-circle" : "arrow"})"/>`,
            `<rect x="${round(e.x! - w / 2)}" y="${round(e.y! - LINE / 2)}" width="${round(w)}" height="${LINE}" rx="3" fill="#ffffff" stroke="${colour}" stroke-width="0.8"/>`,
            `<text x="${round(e.x!)}" y="${round(e.y! + 4)}" text-anchor="middle" fill="${colour}">${label}</text>`,
            "</g>",
        );
    }
    out.push("</g>");
    legend.forEach((l, i) => {
        out.push(
            `<text class="legend" x="${MARGIN}" y="${round(legendTop + i * LINE + 12)}" fill="${l.colour}">${escape(l.text)}</text>`,
        );
    });
    out.push("</svg>");
    return `${out.join("\n")}\n`;
}

/** `folder` under the repository `root`, drawn. */
export function drawStructure(root: string, folder: string, options: DrawOptions = {}): string {
    return renderStructure(readStructure(root, folder), options);
}

if (require.main === module) {
    // `node dist/test/support/drawStructure.js <repoRoot> <folder> [--all-files] > out.svg` (`npm run structure`).
    const args = process.argv.slice(2);
    const allFiles = args.includes("--all-files");
    const [root, folder, ...extra] = args.filter((a) => a !== "--all-files");
    if (!root || !folder || extra.length > 0) {
        process.stderr.write(
            "usage: node dist/test/support/drawStructure.js <repoRoot> <folder> [--all-files] > out.svg\n",
        );
        process.exit(2);
    }
    try {
        process.stdout.write(drawStructure(root, folder, { allFiles }));
    } catch (err) {
        process.stderr.write(`drawStructure: ${(err as Error).message}\n`);
        process.exit(1);
    }
}
