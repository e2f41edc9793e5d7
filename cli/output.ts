import { describeOverrides } from "../components/promotionPolicy.merge";
import type { Hold } from "../engine/governance/holds";
import type { PreviewResult } from "../engine/promoteEngine";
import { describeApprovers, distinctPeople } from "../engine/governance/approvals";
import type {
    EnvironmentRecord,
    ReleaseRecord,
    ReleaseStatus,
    WorkflowRunRecord,
} from "../engine/record/releaseRecord";
import { publicRecord } from "../engine/record/releaseRecord";
import type { Style, Terminal } from "./context";
import { displayText, displayValue, paintStatus } from "./display";

/** How long from `from` to `to` (or to `now`, ms since the epoch), as `12.3s`; empty when it has not started. */
export function seconds(from?: string, to?: string, now: number = Date.now()): string {
    if (!from) {
        return "";
    }
    const ms = (to ? Date.parse(to) : now) - Date.parse(from);
    return `${(ms / 1000).toFixed(1)}s`;
}

/** Multi-line text from outside (an error, a log), each line escaped, joined with `indent`. */
const multiline = (text: string, indent: string) => text.split("\n").map(displayText).join(`\n${indent}`);

/** A release for people: header, then one line per environment and its applications' changes. */
export function formatRelease(r: ReleaseRecord, style: Style, now: number = Date.now()): string[] {
    const out = [
        `${style.bold(`release ${r.id}`)}  ${r.product}  flow ${r.flow}${r.flowVersion ? ` (version ${displayValue(r.flowVersion)})` : ""}  ` +
            `${paintStatus(style, r.status)}${r.startedAt ? `  ${seconds(r.startedAt, r.finishedAt, now)}` : ""}`,
        `source ${r.sourceApplication} at ${r.sourceCommit.slice(0, 12)}${r.version ? `  version ${displayValue(r.version)}` : ""}`,
    ];
    if (waitText(r)) {
        out.push(style.yellow(waitText(r)));
    }
    for (const o of r.overriddenWindows ?? []) {
        out.push(
            style.yellow(
                `window overridden: ${displayText(o.environment)} (${o.windows.map(displayText).join(", ")})`,
            ),
        );
    }
    for (const p of r.policyOverrides ?? []) {
        const by = r.audit?.find((a) => a.action === "override-policy" && a.environment === p.environment);
        out.push(
            style.yellow(
                `policy overridden: ${displayText(p.environment)} ${displayText(describeOverrides(p.overrides))}` +
                    (by ? ` by ${displayText(by.user)}` : ""),
            ),
        );
    }
    if (r.rollbackOf) {
        out.push(style.yellow(`rollback of release ${displayText(r.rollbackOf)}`));
    }
    if (r.heldEnvironments && r.heldEnvironments.length > 0) {
        out.push(
            style.yellow(
                `held (skipped with what follows them): ${r.heldEnvironments.map(displayText).join(", ")}`,
            ),
        );
    }
    for (const h of r.overriddenHolds ?? []) {
        out.push(style.yellow(`hold overridden: ${displayText(h.environment)} ${holdText(h)}`));
    }
    if (r.stale) {
        out.push(style.yellow(`stale: ${displayText(r.stale)}`));
    }
    if (r.error) {
        out.push(style.red(`error: ${multiline(r.error, "       ")}`));
    }
    for (const w of r.warnings ?? []) {
        out.push(style.yellow(`warning: ${displayText(w)}`));
    }
    const width = Math.max(...r.environments.map((e) => e.name.length), 4);
    for (const e of r.environments) {
        out.push(
            `  ${e.name.padEnd(width)}  ${paintStatus(style, e.status).padEnd(9 + (style.bold("x").length - 1))}  ${seconds(e.startedAt, e.finishedAt, now).padStart(6)}` +
                (e.dependsOn.length ? style.dim(`  after ${e.dependsOn.join(", ")}`) : ""),
        );
        if (waitText(e)) {
            out.push(style.yellow(`      ${waitText(e)}`));
        }
        out.push(...approvalLines(e, style));
        if (e.reason === "held" && e.hold) {
            out.push(style.yellow(`      ${holdText(e.hold)}`));
        } else if (e.reason === "upstream held") {
            out.push(style.dim("      upstream held"));
        }
        if (e.error && e.status === "Failed") {
            out.push(style.red(`      ${multiline(e.error, "      ")}`));
        }
        for (const a of e.applications) {
            const commit = a.commitSha
                ? `  commit ${a.commitSha.slice(0, 12)}${a.adopted ? " (pushed by an earlier attempt, adopted)" : ""}`
                : "";
            out.push(`      ${a.name}  ${a.action}  ${paintStatus(style, a.status)}${commit}`);
            if (a.replanned) {
                out.push(style.dim(`        planned again: ${displayText(a.replanned)}`));
            }
            if (a.pullRequest) {
                out.push(
                    `        pull request #${a.pullRequest.number} ${displayText(a.pullRequest.state)}  ${displayText(a.pullRequest.url)}`,
                );
                if (a.pullRequest.mergeRefused) {
                    out.push(
                        style.dim(`          not merged yet: ${displayText(a.pullRequest.mergeRefused)}`),
                    );
                }
            }
            for (const c of a.changes) {
                out.push(
                    style.dim(
                        `        ${displayText(c.file)} ${displayText(c.path)}: ${displayValue(c.from)} → ${displayValue(c.to)}`,
                    ),
                );
            }
            for (const [label, run] of [
                ["pre-action", a.preAction],
                ["post-action", a.postAction],
            ] as const) {
                if (run) {
                    out.push(...formatRun(label, run, style, "        ", now));
                }
            }
        }
        for (const run of e.hooks ?? []) {
            out.push(...formatRun("hook", run, style, "      ", now));
        }
    }
    for (const run of r.hooks ?? []) {
        out.push(...formatRun("release hook", run, style, "  ", now));
    }
    // Who did what to it (trigger, promote, rollback, retry, terminate), oldest first.
    for (const a of r.audit ?? []) {
        out.push(
            style.dim(
                `  ${a.at.replace("T", " ").slice(0, 19)}  ${displayText(a.user)} (${a.via}): ${a.action}` +
                    `${a.environment ? ` ${displayText(a.environment)}` : ""}${a.comment ? ` — ${displayText(a.comment)}` : ""}`,
            ),
        );
    }
    return out;
}

/**
 * Why a Suspended release or environment waits, for people: `waiting for window until <time>`, `soaking until
 * <time>`, `waiting for pull request`; empty when it does not wait.
 */
export function waitText(w: {
    readonly status: string;
    readonly waitKind?: string;
    readonly resumesAt?: string;
    /** An environment's applications: a pull request the host refuses to merge says why. */
    readonly applications?: readonly { readonly pullRequest?: { readonly mergeRefused?: string } }[];
}): string {
    if (w.status !== "Suspended" || !w.waitKind) {
        return "";
    }
    const until = w.resumesAt ? ` until ${displayText(w.resumesAt)}` : "";
    switch (w.waitKind) {
        case "window":
            return `waiting for window${until}`;
        case "soak":
            return `soaking${until}`;
        case "pullRequest": {
            const refused = w.applications?.map((a) => a.pullRequest?.mergeRefused).find((r) => r);
            return refused
                ? `waiting for pull request (${displayText(refused)})`
                : "waiting for pull request";
        }
        case "approval":
            return `waiting for approval${w.resumesAt ? ` (expires ${displayText(w.resumesAt)})` : ""}`;
        default:
            return `waiting (${displayText(w.waitKind)})${until}`;
    }
}

/**
 * An environment's approval gate for people: who may approve, how many are needed, each decision; while it
 * waits, the changes to be written once approved.
 */
export function approvalLines(e: EnvironmentRecord, style: Style): string[] {
    const a = e.approval;
    if (!a) {
        return [];
    }
    // Counted as the gate counts them: people, not names (see approvals.ts samePerson).
    const approvals = distinctPeople(a.decisions.filter((d) => d.decision === "approved"));
    const out = [
        `      approval ${approvals}/${a.minApprovals} by ${displayText(describeApprovers(a.approvers))}`,
        ...a.decisions.map(
            (d) =>
                `        ${d.decision === "approved" ? style.green(d.decision) : style.red(d.decision)} by ${displayText(d.user)} (${d.via}) at ${displayText(d.at)}${d.comment ? `: ${displayText(d.comment)}` : ""}`,
        ),
    ];
    if (e.status === "Suspended" && e.waitKind === "approval") {
        for (const p of a.changes ?? []) {
            for (const c of p.changes) {
                out.push(
                    style.dim(
                        `        to write: ${displayText(p.application)} ${displayText(c.file)} ${displayText(c.path)}: ${displayValue(c.from)} → ${displayValue(c.to)}`,
                    ),
                );
            }
        }
    }
    return out;
}

/** `held by alice at 2026-… : why`. */
function holdText(h: { readonly by: string; readonly at: string; readonly reason?: string }): string {
    return `held by ${displayText(h.by)} at ${displayText(h.at)}${h.reason ? `: ${displayText(h.reason)}` : ""}`;
}

/** One hold for people: `prod  held by alice at …: why`. */
export function formatHold(h: Hold): string {
    return `${displayText(h.environment)}  ${holdText(h)}`;
}

/** One workflow run: name, status, run id and time; for a run that did not succeed, the tail of its log. */
export function formatRun(
    label: string,
    run: WorkflowRunRecord,
    style: Style,
    indent: string,
    now: number = Date.now(),
): string[] {
    const out = [
        `${indent}${label} ${run.workflow}  ${paintStatus(style, run.status)}` +
            `${run.runId ? style.dim(`  ${displayText(run.runId)}`) : ""}  ${seconds(run.startedAt, run.finishedAt, now)}`,
    ];
    if (run.status !== "Succeeded" && run.log) {
        out.push(
            ...run.log
                .split("\n")
                .slice(-10)
                .map((l) => style.dim(`${indent}  | ${displayText(l)}`)),
        );
    }
    return out;
}

export function formatPreview(p: PreviewResult, style: Style): string[] {
    const lines = [
        `${style.bold("preview")}  ${p.product}  flow ${p.flow}${p.flowVersion ? ` (version ${displayValue(p.flowVersion)})` : ""}`,
        `source ${p.sourceApplication} at ${p.sourceCommit.slice(0, 12)}${p.version ? `  version ${displayValue(p.version)}` : ""}`,
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
            lines.push(`      ${a.name}  ${displayText(a.repoURL)} ${displayText(a.branch)}`);
            for (const c of a.changes) {
                lines.push(
                    `        ${displayText(c.file)} ${displayText(c.path)}: ${displayValue(c.from)} → ${displayValue(c.to)}`,
                );
            }
            for (const m of a.missing) {
                lines.push(style.dim(`        ${displayText(m)}: not in this application (left alone)`));
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
        r.flow + (r.flowVersion ? `@${displayValue(r.flowVersion)}` : ""),
        r.version ? displayValue(r.version) : "",
        r.stale ? `${r.status} (stale)` : r.status,
        (r.startedAt ?? r.createdAt).replace("T", " ").slice(0, 19),
        ...envNames.map((n) => r.environments.find((e) => e.name === n)?.status ?? ""),
    ]);
    const header = ["ID", "FLOW", "VERSION", "STATUS", "STARTED", ...envNames.map((n) => n.toUpperCase())];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (cells: string[], colour = false) =>
        cells
            .map((c, i) => {
                const padded = c.padEnd(widths[i]);
                const status = c.replace(" (stale)", "");
                return colour && (i === 3 || i >= 5) && c
                    ? padded.replace(status, paintStatus(style, status as ReleaseStatus))
                    : padded;
            })
            .join("  ")
            .trimEnd();
    return [style.bold(fmt(header)), ...rows.map((r) => fmt(r, true))];
}

/** A release as the commands print it: its public record as JSON, or formatted for people. */
export function printRelease(io: Terminal, record: ReleaseRecord, json: boolean, now: number): void {
    if (json) {
        io.out(JSON.stringify(publicRecord(record), null, 2));
    } else {
        formatRelease(record, io.style, now).forEach((l) => io.out(l));
    }
}
