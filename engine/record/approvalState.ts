/** The shapes an approval gate leaves on a release record (see approvals.ts for the rules over them). */
import type { Approver } from "../../components/promotionPolicy";
import type { Subject } from "../../model/subject";
import type { Change } from "../../provider/promotion";

/** An environment's approval gate as the release plan carries it (defaults filled in). */
export interface PlannedApproval {
    readonly approvers: readonly Approver[];
    readonly minApprovals: number;
    readonly allowSelfApproval: boolean;
    /** Fail the environment when not approved this long after its wait began (ms). */
    readonly timeoutMs?: number;
}

export type ApprovalVerdict = "approved" | "rejected";

/** One decision, as recorded on the environment: who, with which groups and how they were identified, when. */
export interface ApprovalDecision {
    readonly decision: ApprovalVerdict;
    readonly user: string;
    readonly email?: string;
    readonly groups: readonly string[];
    readonly via: Subject["via"];
    /** ISO time. */
    readonly at: string;
    readonly comment?: string;
}

/** What an environment waiting for approval shows on its record: the gate, the decisions so far, the diff. */
export interface ApprovalState extends PlannedApproval {
    /** When the wait began (ISO); the timeout counts from here, across resumes. */
    readonly requestedAt: string;
    /** When the wait fails unless approved (ISO), with a timeout. */
    readonly expiresAt?: string;
    readonly decisions: readonly ApprovalDecision[];
    /** The changes the environment's action will write once approved, per application. */
    readonly changes?: readonly { readonly application: string; readonly changes: readonly Change[] }[];
}
