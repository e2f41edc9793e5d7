/**
 * What a PromotionPermission rule may allow (issue 16; README "Permissions and approvals"). `view` is implied by
 * every other action on the same scope; `admin` allows everything everywhere. `override-policy` lets a promotion
 * to one environment choose an action, pre-action or post-action other than its policies resolve to. The API's
 * route table (server/permissions.ts) maps each call to one of these.
 */
export const permissionActions = [
    "view",
    "promote",
    "trigger",
    "retry",
    "resume",
    "terminate",
    "approve",
    "rollback",
    "hold",
    "override-window",
    "override-policy",
    "admin",
] as const;
export type PermissionAction = (typeof permissionActions)[number];
