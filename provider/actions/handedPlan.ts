/**
 * A release's plan for one environment, computed once and handed on.
 *
 * Pulumi runs an environment's promotion as: the provider's `diff` (in the dynamic-provider process), the
 * engine's pre-action hook (in the engine process: it needs `pending` and the changes for approval and window
 * waits), then `create`/`update` (back in the provider process, which writes). Each used to plan the change
 * against the branch tip itself: three plans in two processes. Now whoever plans first (the diff; the hook when
 * there is no diff, a resource's first release) hands its plan on, and the next step takes it:
 *
 * - within the provider process, from memory (the diff's plan, with the new files' contents, for the write);
 * - between processes, through a file beside the clone cache (`<cacheDir>/plans/<key>.json`), never through
 *   Pulumi's state: the plan holds file contents (state grows with every byte of a resource's inputs and
 *   outputs, rewritten at every step) and the state should hold nothing it need not.
 *
 * A handed plan is good for the write only while what it read is unchanged: the write takes it when the branch
 * head it commits onto is the tip the plan read, or is reached from it only through commits this process made
 * (environments of one release stacked into one push) that touch none of the plan's files. Otherwise (another
 * writer pushed, a long wait let the branch move) the write plans again against the new tip: the documented
 * exception, counted in the result (`replanned`) and traced.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import type { ApplicationPlan } from "../promotion";
import { targetFiles } from "../promotion";
import type { ActionPlan, ActionRequest } from "./action";

/** A plan as handed on: the action's plan with the inputs it answers. */
export interface HeldPlan extends ActionPlan {
    /** Which request (release, environment, repository branch, applications, candidate) it answers. */
    readonly key: string;
}

/** JSON with every object's keys sorted: the same request gives the same text in either process. */
function canonical(value: unknown): string {
    return JSON.stringify(value, (_k, v: unknown) =>
        v && typeof v === "object" && !Array.isArray(v) && !Buffer.isBuffer(v)
            ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            : v,
    );
}

/**
 * The identity of a request's plan: everything planning reads besides the branch. The provider gets its inputs
 * back from Pulumi's wire format (which need not keep key order), the hook builds them itself: hence canonical.
 */
export function planKey(req: ActionRequest): string {
    return createHash("sha256")
        .update(
            canonical([
                req.releaseId,
                req.environment,
                req.repoURL,
                req.targetRevision,
                req.applications.map((a) => [a.name, a.path]),
                req.candidate.sourceCommit,
                req.candidate.files,
            ]),
        )
        .digest("hex")
        .slice(0, 32);
}

const held = new Map<string, HeldPlan>();

const planDir = (cacheDir: string) => path.join(cacheDir, "plans");
const planFile = (cacheDir: string, key: string) => path.join(planDir(cacheDir), `${key}.json`);

interface StoredPlan {
    readonly key: string;
    readonly branch: string;
    readonly tip?: string;
    readonly pending: boolean;
    readonly plans: readonly {
        readonly application: string;
        readonly changes: ApplicationPlan["changes"];
        readonly missing: readonly string[];
        /** Repository path to base64 content. */
        readonly files: Readonly<Record<string, string>>;
    }[];
}

/**
 * Hands `plan` on to the steps after this one: through the file, and (`inProcess`: the provider process, which
 * lives for one update) in memory. The engine process outlives updates and keeps nothing.
 */
export function handOn(req: ActionRequest, plan: ActionPlan, inProcess = true): HeldPlan {
    const key = planKey(req);
    const h: HeldPlan = { key, branch: plan.branch, tip: plan.tip, plans: plan.plans, pending: plan.pending };
    if (inProcess) {
        held.set(key, h);
    }
    sweepOnce(req.cacheDir);
    const stored: StoredPlan = {
        key,
        branch: plan.branch,
        ...(plan.tip ? { tip: plan.tip } : {}),
        pending: plan.pending,
        plans: plan.plans.map((p) => ({
            application: p.application,
            changes: p.changes,
            missing: p.missing,
            files: Object.fromEntries([...p.files].map(([f, b]) => [f, b.toString("base64")])),
        })),
    };
    // Written aside and renamed: the other process reads all of it or none.
    const file = planFile(req.cacheDir, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(stored));
    fs.renameSync(tmp, file);
    return h;
}

/**
 * The plan handed on for this request by a step of this update, if any: from memory, or a file written since
 * `sinceMs` (when this update started; an older file is a preview's, or an update's that died before writing).
 */
export function handedPlan(req: ActionRequest, sinceMs: number): HeldPlan | undefined {
    const key = planKey(req);
    const known = held.get(key);
    if (known) {
        return known;
    }
    let stored: StoredPlan;
    try {
        const file = planFile(req.cacheDir, key);
        if (fs.statSync(file).mtimeMs < sinceMs) {
            return undefined;
        }
        stored = JSON.parse(fs.readFileSync(file, "utf8")) as StoredPlan;
    } catch {
        return undefined;
    }
    if (stored.key !== key) {
        return undefined;
    }
    return {
        key,
        branch: stored.branch,
        ...(stored.tip ? { tip: stored.tip } : {}),
        pending: stored.pending,
        plans: stored.plans.map((p) => ({
            application: p.application,
            changes: p.changes,
            missing: p.missing,
            files: new Map(Object.entries(p.files).map(([f, b]) => [f, Buffer.from(b, "base64")])),
        })),
    };
}

/** When this process started: the provider process starts with its update. */
export const processStartedMs = performance.timeOrigin;

const swept = new Set<string>();

/** Once per process and clone cache: removes plans a day old (left by previews, and updates that died). */
function sweepOnce(cacheDir: string): void {
    if (swept.has(cacheDir)) {
        return;
    }
    swept.add(cacheDir);
    const dayAgo = Date.now() - 86_400_000;
    let names: string[];
    try {
        names = fs.readdirSync(planDir(cacheDir));
    } catch {
        return;
    }
    for (const name of names.filter((n) => n.endsWith(".json"))) {
        const file = path.join(planDir(cacheDir), name);
        try {
            if (fs.statSync(file).mtimeMs < dayAgo) {
                fs.rmSync(file, { force: true });
            }
        } catch {
            // removed by another process meanwhile
        }
    }
}

/** The write is done (or failed): the plan is not handed on any further. */
export function settled(req: ActionRequest): void {
    const key = planKey(req);
    held.delete(key);
    fs.rmSync(planFile(req.cacheDir, key), { force: true });
}

/** Commits this process made, by id: their parent and the files they changed (a few hundred bytes each). */
const ours = new Map<string, { readonly parent: string; readonly files: readonly string[] }>();

/** Remembers a commit this process made on top of `parent`, changing `files`. */
export function madeCommit(sha: string, parent: string, files: Iterable<string>): void {
    ours.set(sha, { parent, files: [...files] });
}

/**
 * Whether `plan` still holds on `head`: `head` is the tip it read, or is reached from it only through commits
 * this process made that change none of the files the plan read. Returns the reason when it does not.
 */
export function stillHolds(
    plan: Pick<HeldPlan, "tip">,
    req: Pick<ActionRequest, "applications"> & {
        readonly candidate: Pick<ActionRequest["candidate"], "files">;
    },
    head: string,
): { readonly holds: true } | { readonly holds: false; readonly reason: string } {
    if (!plan.tip) {
        return { holds: false, reason: "the plan found no branch" };
    }
    const read = new Set(req.applications.flatMap((a) => targetFiles(a, req.candidate)));
    let at = head;
    for (let steps = 0; at !== plan.tip; steps++) {
        const made = ours.get(at);
        if (!made || steps > 10_000) {
            return {
                holds: false,
                reason: `the branch moved from ${plan.tip.slice(0, 12)} to ${head.slice(0, 12)} (another writer)`,
            };
        }
        const touched = made.files.find((f) => read.has(f));
        if (touched) {
            return { holds: false, reason: `${touched} changed since the plan (${at.slice(0, 12)})` };
        }
        at = made.parent;
    }
    return { holds: true };
}

/**
 * Traces one plan when `<cacheDir>/plans/trace` exists (tests and debugging create it; nothing else does): a
 * JSON line per plan, from whichever process made it (its pid and script: the engine's, or the dynamic-provider
 * host's), naming the step (`diff`, `hook`, `write`) and, for a plan the write made again, why.
 */
export function tracePlan(
    req: Pick<ActionRequest, "cacheDir" | "releaseId" | "environment" | "repoURL">,
    step: "diff" | "hook" | "write",
    detail: { readonly tip?: string; readonly reason?: string } = {},
): void {
    const trace = path.join(planDir(req.cacheDir), "trace");
    if (!fs.existsSync(trace)) {
        return;
    }
    const line = {
        step,
        release: req.releaseId,
        environment: req.environment,
        repoURL: req.repoURL,
        pid: process.pid,
        script: path.basename(process.argv[1] ?? ""),
        ...detail,
    };
    fs.appendFileSync(trace, `${JSON.stringify(line)}\n`);
}
