import type { PreviewResult } from "../engine/promoteEngine";
import type {
    EnvironmentStatus,
    ReleaseRecord,
    ReleaseStatus,
    WorkflowRunRecord,
} from "../engine/releaseRecord";
import type { Style } from "./context";

export function seconds(from?: string, to?: string): string {
    if (!from) {
        return "";
    }
    const ms = Date.parse(to ?? new Date().toISOString()) - Date.parse(from);
    return `${(ms / 1000).toFixed(1)}s`;
}

const value = (v: unknown) =>
    v === null || v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);

export function colourStatus(style: Style, status: ReleaseStatus | EnvironmentStatus): string {
    switch (status) {
        case "Succeeded":
            return style.green(status);
        case "Failed":
        case "Terminated":
            return style.red(status);
        case "Running":
        case "Queued":
        case "Suspended":
        case "Terminating":
            return style.yellow(status);
        default:
            return style.dim(status);
    }
}

/** A release for people: header, then one line per environment and its applications' changes. */
export function formatRelease(r: ReleaseRecord, style: Style): string[] {
    const lines = [
        `${style.bold(`release ${r.id}`)}  ${r.product}  flow ${r.flow}${r.flowVersion ? ` (version ${r.flowVersion})` : ""}  ` +
            `${colourStatus(style, r.status)}${r.startedAt ? `  ${seconds(r.startedAt, r.finishedAt)}` : ""}`,
        `source ${r.sourceApplication} at ${r.sourceCommit.slice(0, 12)}${r.version ? `  version ${r.version}` : ""}`,
    ];
    if (r.error) {
        lines.push(style.red(`error: ${r.error.split("\n").join("\n       ")}`));
    }
    for (const w of r.warnings ?? []) {
        lines.push(style.yellow(`warning: ${w}`));
    }
    const width = Math.max(...r.environments.map((e) => e.name.length), 4);
    for (const e of r.environments) {
        lines.push(
            `  ${e.name.padEnd(width)}  ${colourStatus(style, e.status).padEnd(9 + (style.bold("x").length - 1))}  ${seconds(e.startedAt, e.finishedAt).padStart(6)}` +
                (e.dependsOn.length ? style.dim(`  after ${e.dependsOn.join(", ")}`) : ""),
        );
        if (e.error && e.status === "Failed") {
            lines.push(style.red(`      ${e.error.split("\n").join("\n      ")}`));
        }
        for (const a of e.applications) {
            const commit = a.commitSha ? `  commit ${a.commitSha.slice(0, 12)}` : "";
            lines.push(`      ${a.name}  ${a.action}  ${colourStatus(style, a.status)}${commit}`);
            if (a.pullRequest) {
                lines.push(
                    `        pull request #${a.pullRequest.number} ${a.pullRequest.state}  ${a.pullRequest.url}`,
                );
            }
            for (const c of a.changes) {
                lines.push(style.dim(`        ${c.file} ${c.path}: ${value(c.from)} → ${value(c.to)}`));
            }
            for (const [label, run] of [
                ["pre-action", a.preAction],
                ["post-action", a.postAction],
            ] as const) {
                if (run) {
                    lines.push(...formatRun(label, run, style, "        "));
                }
            }
        }
        for (const run of e.hooks ?? []) {
            lines.push(...formatRun("hook", run, style, "      "));
        }
    }
    for (const run of r.hooks ?? []) {
        lines.push(...formatRun("release hook", run, style, "  "));
    }
    return lines;
}

/** One workflow run: name, status, run id and time; for a run that did not succeed, the tail of its log. */
export function formatRun(label: string, run: WorkflowRunRecord, style: Style, indent: string): string[] {
    const lines = [
        `${indent}${label} ${run.workflow}  ${colourStatus(style, run.status as EnvironmentStatus)}` +
            `${run.runId ? style.dim(`  ${run.runId}`) : ""}  ${seconds(run.startedAt, run.finishedAt)}`,
    ];
    if (run.status !== "Succeeded" && run.log) {
        lines.push(
            ...run.log
                .split("\n")
                .slice(-10)
                .map((l) => style.dim(`${indent}  | ${l}`)),
        );
    }
    return lines;
}

export function formatPreview(p: PreviewResult, style: Style): string[] {
    const lines = [
        `${style.bold("preview")}  ${p.product}  flow ${p.flow}${p.flowVersion ? ` (version ${p.flowVersion})` : ""}`,
        `source ${p.sourceApplication} at ${p.sourceCommit.slice(0, 12)}${p.version ? `  version ${p.version}` : ""}`,
    ];
    for (const e of p.environments) {
        const gates = [e.preAction && `pre: ${e.preAction}`, e.postAction && `post: ${e.postAction}`].filter(
            Boolean,
        );
        const would = e.action === "pr" ? "would open a pull request" : "would change";
        lines.push(
            `  ${e.name}  ${e.action}${gates.length ? ` (${gates.join(", ")})` : ""}  ` +
                (e.wouldChange ? style.yellow(would) : style.dim("no change")) +
                (e.dependsOn.length ? style.dim(`  after ${e.dependsOn.join(", ")}`) : ""),
        );
        for (const a of e.applications) {
            lines.push(`      ${a.name}  ${a.repoURL} ${a.branch}`);
            for (const c of a.changes) {
                lines.push(`        ${c.file} ${c.path}: ${value(c.from)} → ${value(c.to)}`);
            }
            for (const m of a.missing) {
                lines.push(style.dim(`        ${m}: not in this application (left alone)`));
            }
        }
    }
    return lines;
}

export function formatReleaseList(list: readonly ReleaseRecord[], style: Style): string[] {
    if (list.length === 0) {
        return ["no releases yet"];
    }
    const envNames = [...new Set(list.flatMap((r) => r.environments.map((e) => e.name)))];
    const rows = list.map((r) => [
        r.id,
        r.flow + (r.flowVersion ? `@${r.flowVersion}` : ""),
        r.version ?? "",
        r.status,
        (r.startedAt ?? r.createdAt).replace("T", " ").slice(0, 19),
        ...envNames.map((n) => r.environments.find((e) => e.name === n)?.status ?? ""),
    ]);
    const header = ["ID", "FLOW", "VERSION", "STATUS", "STARTED", ...envNames.map((n) => n.toUpperCase())];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (cells: string[], colour = false) =>
        cells
            .map((c, i) => {
                const padded = c.padEnd(widths[i]);
                return colour && (i === 3 || i >= 5) && c
                    ? padded.replace(c, colourStatus(style, c as ReleaseStatus))
                    : padded;
            })
            .join("  ")
            .trimEnd();
    return [style.bold(fmt(header)), ...rows.map((r) => fmt(r, true))];
}
