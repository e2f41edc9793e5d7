/** What people decide on a product: approvals and rejections of a waiting environment, and holds. */
import { InvalidInputError } from "../../model/errors";
import type { ApprovalDecision, ApprovalVerdict } from "../record/approvalState";
import {
    ApprovalConflictError,
    ApprovalRefusedError,
    approverRefusal,
    decisionConflict,
    decisionRefusal,
} from "../governance/approvals";
import type { Hold } from "../governance/holds";
import type { DecisionOptions, HoldOptions } from "./options";
import type { ReleaseRecord } from "../record/releaseRecord";
import type { EngineRuntime } from "./runtime";

/**
 * Records a decision on an environment waiting for approval (who, groups, how identified, when, comment).
 * Refused ({@link ApprovalRefusedError}, exit code 2, 403 at the API) when the environment is not waiting for
 * approval, the subject is not an approver, approves their own release, the permission rules (`canApprove`)
 * refuse, or the subject already decided. Not recorded ({@link ApprovalConflictError}, exit code 2, 409 at the
 * API) when the gate was already decided or expired, found so again where the decision is written (see
 * ReleaseStore.decide): of two decisions at once, one is recorded and the other is told why not, and a rejection
 * recorded is never overtaken. The process holding the release sees the decision on its next look at the
 * record; a release nobody holds goes on with `resume` (or a running `serve`).
 */
export async function decide(
    rt: EngineRuntime,
    id: string,
    environment: string,
    verdict: ApprovalVerdict,
    o: DecisionOptions,
): Promise<ReleaseRecord> {
    const record = await rt.stored(id);
    const request = {
        environment,
        decision: verdict,
        subject: o.subject,
        ...(rt.opts.canApprove ? { canApprove: rt.opts.canApprove } : {}),
    };
    const context = { entity: `release ${id}`, path: `environments.${environment}.approval` };
    const now = rt.now();
    // Who may not decide is told so first; then a gate already decided; then the other refusals.
    const notYours = approverRefusal(record, request);
    if (notYours !== undefined) {
        throw new ApprovalRefusedError(notYours, context);
    }
    const late = decisionConflict(record, environment, verdict, now);
    if (late !== undefined) {
        throw new ApprovalConflictError(late, context);
    }
    const refusal = decisionRefusal(record, request);
    if (refusal !== undefined) {
        throw new ApprovalRefusedError(refusal, context);
    }
    const decision: ApprovalDecision = {
        decision: verdict,
        user: o.subject.user,
        ...(o.subject.email ? { email: o.subject.email } : {}),
        groups: o.subject.groups,
        via: o.subject.via,
        at: new Date(now).toISOString(),
        ...(o.comment ? { comment: o.comment } : {}),
    };
    const written = await rt.store(record.product).decide(record, environment, decision);
    if (written.conflict !== undefined) {
        throw new ApprovalConflictError(written.conflict, context);
    }
    return written.record;
}

/**
 * Holds an environment of a product: flows and automatic triggers skip it (and what depends on it) until the
 * hold is released; a manual promotion to it needs `overrideHold`. Holding it again replaces the hold.
 */
export async function hold(rt: EngineRuntime, o: HoldOptions): Promise<Hold> {
    rt.environmentOf(o.product, o.environment);
    const held: Hold = {
        product: o.product,
        environment: o.environment,
        by: o.by,
        at: new Date().toISOString(),
        ...(o.reason ? { reason: o.reason } : {}),
        active: true,
    };
    await rt.store(o.product).putHold(held);
    return held;
}

/** Releases the hold on an environment; refused (nothing written) when it is not held. */
export async function releaseHold(rt: EngineRuntime, o: Omit<HoldOptions, "reason">): Promise<Hold> {
    rt.environmentOf(o.product, o.environment);
    const held = (await rt.holds(o.product)).find((h) => h.environment === o.environment);
    if (!held) {
        throw new InvalidInputError(
            `environment "${o.environment}" of product "${o.product}" is not held (see 'promote holds --product ${o.product}')`,
            { entity: `Hold "${o.product}/${o.environment}"` },
        );
    }
    const released: Hold = { ...held, active: false, releasedBy: o.by, releasedAt: new Date().toISOString() };
    await rt.store(o.product).putHold(released);
    return released;
}
