import type { PromotionAction } from "./action";
import { branchTip, planAgainstTip, planForWrite } from "./gitPlan";

/**
 * `none`: nothing is written; the pre-action workflow is expected to perform the promotion. The plan still
 * shows what differs, and the action always has work to do (its workflows run once per release).
 */
export const noneAction = {
    kind: "none",
    async plan(req) {
        const { repo: _repo, ...plan } = await planAgainstTip(req);
        return { ...plan, pending: true };
    },
    async run(req) {
        const { repo, branch, tip } = await branchTip(req);
        const { plans } = await planForWrite(repo, tip, req);
        return {
            status: "Succeeded",
            branch,
            results: plans.map((p) => ({ name: p.application, changes: p.changes })),
            attempts: 0,
        };
    },
} satisfies PromotionAction;
