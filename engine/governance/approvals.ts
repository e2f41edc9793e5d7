/**
 * Approval gates, pure: who may decide on an environment waiting for approval, what the decisions so far
 * amount to, and which Suspended releases may be resumed. The wait itself runs in the environment's
 * pre-promotion hook (engine/release/waits.ts); decisions are written on the release record by the engine's facade
 * (PromoteEngine.approve / reject). Unit-tested in test/unit/engine/approvals.spec.ts.
 */
import type { ApprovalSettings, Approver } from "../../components/promotionPolicy";
import { parseDuration } from "../../model/duration";
import { InvalidInputError } from "../../model/errors";
import type { Subject } from "../../model/subject";
import type { EnvironmentRecord, ReleaseRecord } from "../record/releaseRecord";
import type {
    ApprovalDecision,
    ApprovalState,
    ApprovalVerdict,
    PlannedApproval,
} from "../record/approvalState";

export type { Subject } from "../../model/subject";

/** Decided: refused by the gate's rules (a 403 at the API, exit code 2 at the CLI). */
export class ApprovalRefusedError extends InvalidInputError {
    readonly forbidden = true as const;
}

/**
 * Not recorded: the gate was decided, or the record changed, before this decision could be written (another
 * decision got there first). A 409 at the API, exit code 2 at the CLI; the message says what happened.
 */
export class ApprovalConflictError extends InvalidInputError {
    readonly conflict = true as const;
}

/**
 * The names one person is known by, compared without case: the user name and the email. A user name that is
 * an email address is one; a name without `@` also stands for every email whose local part it is, so `rm2` (a
 * token's user) and `rm2@example.com` (an OIDC email, a proxy's X-Forwarded-Email) are one person. This can
 * take two people for one (never one for two), which only ever asks for one more approver.
 */
export function personKeys(p: { readonly user: string; readonly email?: string }): string[] {
    return [p.user, p.email]
        .filter((k): k is string => !!k && k.trim() !== "")
        .map((k) => k.trim().toLowerCase());
}

/** Are these two identities one person (see {@link personKeys})? */
export function samePerson(
    a: { readonly user: string; readonly email?: string },
    b: { readonly user: string; readonly email?: string },
): boolean {
    const local = (k: string) => (k.includes("@") ? k.slice(0, k.lastIndexOf("@")) : undefined);
    const bKeys = personKeys(b);
    return personKeys(a).some((x) =>
        bKeys.some(
            (y) => x === y || (!x.includes("@") && local(y) === x) || (!y.includes("@") && local(x) === y),
        ),
    );
}

/** How many distinct people these decisions come from ({@link samePerson} links them, transitively). */
export function distinctPeople(
    people: readonly { readonly user: string; readonly email?: string }[],
): number {
    const groups: { user: string; email?: string }[][] = [];
    for (const p of people) {
        const linked = groups.filter((g) => g.some((q) => samePerson(p, q)));
        const merged = [p, ...linked.flat()];
        for (const g of linked) {
            groups.splice(groups.indexOf(g), 1);
        }
        groups.push(merged);
    }
    return groups.length;
}

/** The plan's form of a policy's `approval` (defaults: one approval, no self-approval). */
export function plannedApproval(a: ApprovalSettings): PlannedApproval {
    const timeoutMs = a.timeout !== undefined ? parseDuration(a.timeout) : undefined;
    return {
        approvers: a.approvers,
        minApprovals: a.minApprovals ?? 1,
        allowSelfApproval: a.allowSelfApproval ?? false,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    };
}

/** The approval state when an environment starts waiting (or the one an earlier attempt recorded). */
export function approvalState(
    planned: PlannedApproval,
    now: number,
    before?: Pick<ApprovalState, "requestedAt" | "decisions">,
    changes?: ApprovalState["changes"],
): ApprovalState {
    const requestedAt = before?.requestedAt ?? new Date(now).toISOString();
    return {
        ...planned,
        requestedAt,
        ...(planned.timeoutMs !== undefined
            ? { expiresAt: new Date(Date.parse(requestedAt) + planned.timeoutMs).toISOString() }
            : {}),
        decisions: before?.decisions ?? [],
        ...(changes ? { changes } : {}),
    };
}

/** Is the subject one of the approvers (by user name, or by one of its groups)? */
export function isApprover(
    approvers: readonly Approver[],
    subject: Pick<Subject, "user" | "groups">,
): boolean {
    return approvers.some((a) => ("user" in a ? a.user === subject.user : subject.groups.includes(a.group)));
}

/** Approvers for messages: `group release-managers, user alice`. */
export function describeApprovers(approvers: readonly Approver[]): string {
    return approvers.map((a) => ("user" in a ? `user ${a.user}` : `group ${a.group}`)).join(", ");
}

/**
 * Who started a release: its `initiator` (set once identities are recorded; a user name or a Subject), if
 * any. The one place self-approval is decided from (by {@link samePerson}).
 */
export function initiatorOf(record: ReleaseRecord): string | undefined {
    const i = (record as { readonly initiator?: unknown }).initiator;
    if (typeof i === "string") {
        return i;
    }
    if (i && typeof i === "object" && typeof (i as { user?: unknown }).user === "string") {
        return (i as { user: string }).user;
    }
    return undefined;
}

/** Where the decisions stand. */
export type ApprovalOutcome =
    | { readonly kind: "approved"; readonly approvals: number; readonly needed: number }
    | { readonly kind: "rejected"; readonly by: string; readonly comment?: string }
    | { readonly kind: "expired"; readonly expiresAt: string }
    | { readonly kind: "waiting"; readonly approvals: number; readonly needed: number };

/**
 * What the decisions amount to at `now`: a rejection by an approver decides at once; enough distinct approvals
 * approve; past `expiresAt` without either, the wait has expired.
 */
export function approvalOutcome(
    state: Pick<ApprovalState, "minApprovals" | "decisions" | "expiresAt">,
    now: number,
): ApprovalOutcome {
    const rejection = state.decisions.find((d) => d.decision === "rejected");
    if (rejection) {
        return {
            kind: "rejected",
            by: rejection.user,
            ...(rejection.comment ? { comment: rejection.comment } : {}),
        };
    }
    const approvals = distinctPeople(state.decisions.filter((d) => d.decision === "approved"));
    if (approvals >= state.minApprovals) {
        return { kind: "approved", approvals, needed: state.minApprovals };
    }
    if (state.expiresAt !== undefined && now >= Date.parse(state.expiresAt)) {
        return { kind: "expired", expiresAt: state.expiresAt };
    }
    return { kind: "waiting", approvals, needed: state.minApprovals };
}

/** Why an environment fails on its approval outcome (undefined: it may go on, or still waits). */
export function approvalFailure(env: string, outcome: ApprovalOutcome): string | undefined {
    switch (outcome.kind) {
        case "rejected":
            return `rejected by ${outcome.by}${outcome.comment ? `: ${outcome.comment}` : ""} (environment "${env}" left untouched)`;
        case "expired":
            return `not approved before the approval's timeout (${outcome.expiresAt}): environment "${env}" left untouched; 'promote retry' asks again`;
        default:
            return undefined;
    }
}

/** What a waiting environment waits for, one line: `approval 1/2 by group release-managers`. */
export function describeApprovalWait(state: ApprovalState, now: number): string {
    const o = approvalOutcome(state, now);
    const count = o.kind === "waiting" || o.kind === "approved" ? `${o.approvals}/${o.needed} ` : "";
    return `approval ${count}by ${describeApprovers(state.approvers)}${state.expiresAt ? ` until ${state.expiresAt}` : ""}`;
}

/** A decision someone asks to record. */
export interface DecisionRequest {
    readonly environment: string;
    readonly decision: ApprovalVerdict;
    readonly subject: Subject;
    /** The permission rules' answer for (subject, `approve`, product/environment): the refusal, if any. */
    readonly canApprove?: (
        subject: Subject,
        target: { readonly product: string; readonly environment: string },
    ) => string | undefined;
}

/**
 * Why a decision is refused (undefined: it may be recorded). Refused when the environment is not waiting for
 * approval, the subject is not an approver (by user or group), approves their own release (unless
 * `allowSelfApproval`), the permission rules refuse, or the subject already decided.
 */
export function decisionRefusal(record: ReleaseRecord, req: DecisionRequest): string | undefined {
    const env = record.environments.find((e) => e.name === req.environment);
    const verb = req.decision === "approved" ? "approve" : "reject";
    const where = `environment "${req.environment}" of release ${record.id}`;
    if (!env) {
        return `release ${record.id} has no environment "${req.environment}": one of ${record.environments.map((e) => e.name).join(", ")}`;
    }
    const state = env.approval;
    if (env.status !== "Suspended" || env.waitKind !== "approval" || !state) {
        return `${where} is not waiting for approval (it is ${env.status}${env.waitKind ? `, waiting for ${env.waitKind}` : ""}): nothing to ${verb}`;
    }
    const refused = approverRefusal(record, req);
    if (refused !== undefined) {
        return refused;
    }
    const who = req.subject.user;
    const earlier = state.decisions.find((d) => samePerson(d, req.subject));
    if (earlier) {
        const as = earlier.user === who ? "" : ` (as ${earlier.user})`;
        return `${who} already ${earlier.decision} ${where}${as} at ${earlier.at}: each approver decides once`;
    }
    return undefined;
}

/**
 * The part of {@link decisionRefusal} about who decides, whatever the gate's state (undefined: they may): not an
 * approver, the release's initiator, or refused by the permission rules. Said before a decision is called too
 * late (see {@link decisionConflict}).
 */
export function approverRefusal(record: ReleaseRecord, req: DecisionRequest): string | undefined {
    const state = record.environments.find((e) => e.name === req.environment)?.approval;
    if (!state) {
        return undefined;
    }
    const verb = req.decision === "approved" ? "approve" : "reject";
    const where = `environment "${req.environment}" of release ${record.id}`;
    const who = req.subject.user;
    if (!isApprover(state.approvers, req.subject)) {
        const groups = req.subject.groups.length > 0 ? ` (groups ${req.subject.groups.join(", ")})` : "";
        return `${who}${groups} may not ${verb} ${where}: the approvers are ${describeApprovers(state.approvers)}`;
    }
    const initiator = initiatorOf(record);
    if (!state.allowSelfApproval && initiator !== undefined && samePerson({ user: initiator }, req.subject)) {
        return `${who} started release ${record.id} and may not ${verb} it (allowSelfApproval is false): another approver must decide`;
    }
    const refused = req.canApprove?.(req.subject, { product: record.product, environment: req.environment });
    return refused !== undefined ? `${who} may not ${verb} ${where}: ${refused}` : undefined;
}

/**
 * Why a decision comes too late (undefined: the gate is still open): the environment's approval was already
 * decided (rejected, approved by enough people) or expired at `now`. Checked again where the decision is
 * written, against the record as stored then, so two decisions at once cannot both be recorded on an open gate
 * and a rejection recorded is never overtaken.
 */
export function decisionConflict(
    record: ReleaseRecord,
    environment: string,
    verdict: ApprovalVerdict,
    now: number,
): string | undefined {
    const state = record.environments.find((e) => e.name === environment)?.approval;
    if (!state) {
        return undefined;
    }
    const outcome = approvalOutcome(state, now);
    const where = `environment "${environment}" of release ${record.id}`;
    const yours = `your ${verdict === "approved" ? "approval" : "rejection"} was not recorded`;
    switch (outcome.kind) {
        case "rejected":
            return `${where} was already rejected by ${outcome.by}: ${yours}; it fails, left untouched`;
        case "approved": {
            const by = state.decisions.filter((d) => d.decision === "approved").map((d) => d.user);
            return `${where} was already approved (${outcome.approvals}/${outcome.needed}: ${by.join(", ")}): ${yours}; it goes on ('promote terminate ${record.id}' stops the release)`;
        }
        case "expired":
            return `the approval of ${where} expired at ${outcome.expiresAt}: ${yours}; it fails ('promote retry ${record.id}' asks again)`;
        default:
            return undefined;
    }
}

/** The record with one more decision on an environment's approval. */
export function withDecision(record: ReleaseRecord, environment: string, d: ApprovalDecision): ReleaseRecord {
    return {
        ...record,
        environments: record.environments.map((e) =>
            e.name === environment && e.approval
                ? { ...e, approval: { ...e.approval, decisions: [...e.approval.decisions, d] } }
                : e,
        ),
    };
}

const decisionKey = (d: ApprovalDecision) => `${d.user} ${d.decision} ${d.at}`;

/**
 * A record about to be written by the process running the release, with the decisions recorded meanwhile on
 * the stored one kept (decisions are written by whoever decides, beside that process's own writes).
 */
export function keepDecisions(record: ReleaseRecord, stored: ReleaseRecord | undefined): ReleaseRecord {
    if (!stored) {
        return record;
    }
    const merge = (e: EnvironmentRecord): EnvironmentRecord => {
        const theirs = stored.environments.find((s) => s.name === e.name)?.approval;
        if (!theirs || theirs.decisions.length === 0) {
            return e;
        }
        const mine = e.approval ?? theirs;
        const seen = new Set(mine.decisions.map(decisionKey));
        const added = theirs.decisions.filter((d) => !seen.has(decisionKey(d)));
        return added.length === 0 && e.approval
            ? e
            : { ...e, approval: { ...mine, decisions: [...mine.decisions, ...added] } };
    };
    return { ...record, environments: record.environments.map(merge) };
}

/**
 * May a Suspended release be resumed now: every Suspended environment's wait is over (its approval decided or
 * expired, its window or soak past `resumesAt`, its pull request merged or closed, or its auto-merge due to be
 * tried again), or the flow's limit has run out (resumed, it ends Terminated)? Whether a pull request moved is
 * the caller's to ask of its host (`pullRequestMoved`); without it, a pull request wait counts as over.
 */
export function waitOver(
    record: ReleaseRecord,
    now: number,
    pullRequestMoved: (env: EnvironmentRecord) => boolean = () => true,
): boolean {
    if (record.status !== "Suspended") {
        return false;
    }
    if (record.timeoutAt !== undefined && Date.parse(record.timeoutAt) <= now) {
        return true;
    }
    const suspended = record.environments.filter((e) => e.status === "Suspended");
    return (
        suspended.length > 0 &&
        suspended.every((e) => {
            if (e.waitKind === "approval") {
                return e.approval !== undefined && approvalOutcome(e.approval, now).kind !== "waiting";
            }
            if (e.waitKind === "window" || e.waitKind === "soak") {
                return e.resumesAt === undefined || Date.parse(e.resumesAt) <= now;
            }
            if (e.waitKind === "pullRequest") {
                return (e.resumesAt !== undefined && Date.parse(e.resumesAt) <= now) || pullRequestMoved(e);
            }
            return true;
        })
    );
}

/** What a Suspended release waits for, one line per environment (for the CLI and messages). */
export function describeWaits(record: ReleaseRecord, now: number): string[] {
    return record.environments
        .filter((e) => e.status === "Suspended")
        .map((e) => {
            if (e.waitKind === "approval" && e.approval) {
                return `${e.name}: ${describeApprovalWait(e.approval, now)}`;
            }
            if (e.waitKind === "pullRequest") {
                const open = e.applications.flatMap((a) =>
                    a.pullRequest?.state === "open" ? [`#${a.pullRequest.number} ${a.pullRequest.url}`] : [],
                );
                return `${e.name}: pull request ${[...new Set(open)].join(", ") || "open"} to be merged${e.resumesAt ? ` (auto-merge tried again from ${e.resumesAt})` : ""}`;
            }
            return `${e.name}: ${e.waitKind ?? "waiting"}${e.resumesAt ? ` until ${e.resumesAt}` : ""}`;
        });
}
