// An environment's approval gate in the release view.
import { api, call } from "../lib/api.js";
import { controlOf, enc, errorBox, h, when } from "../lib/dom.js";
import { rerender } from "../lib/page.js";

/** @typedef {import("../types").Release} Release */
/** @typedef {import("../types").EnvironmentRecord} EnvironmentRecord */

/**
 * An environment's approval gate: approvers, decisions, the diff; Approve / Reject while it waits.
 * @param {Release} r
 * @param {EnvironmentRecord} e
 * @param {NonNullable<EnvironmentRecord["approval"]>} a the environment's approval
 * @param {HTMLElement} message where a failed decision is said
 */
export function approvalBox(r, e, a, message) {
    const approvals = new Set(a.decisions.filter((d) => d.decision === "approved").map((d) => d.user)).size;
    const who = a.approvers.map((x) => ("user" in x ? `user ${x.user}` : `group ${x.group}`)).join(", ");
    const waiting = e.status === "Suspended" && e.waitKind === "approval";
    const comment = h("input", { type: "text", placeholder: "comment (optional)", class: "comment" });
    /** @param {"approve" | "reject"} verb */
    const decide = (verb) => async (/** @type {Event} */ ev) => {
        controlOf(ev).disabled = true;
        try {
            const text = comment.value.trim();
            await call("POST", `${api}/releases/${enc(r.id)}/${verb}`, {
                environment: e.name,
                ...(text ? { comment: text } : {}),
            });
            await rerender();
        } catch (err) {
            message.replaceChildren(errorBox(err));
            controlOf(ev).disabled = false;
        }
    };
    return h(
        "div",
        { class: "approval", "data-approval": e.name },
        h("h3", {}, `Approval for ${e.name}: ${approvals}/${a.minApprovals} by ${who}`),
        a.expiresAt ? h("p", {}, `expires ${when(a.expiresAt)}`) : null,
        h(
            "ul",
            { class: "decisions" },
            a.decisions.map((d) =>
                h(
                    "li",
                    { "data-decision": d.user },
                    `${d.decision} by ${d.user} (${d.via}) ${when(d.at)}${d.comment ? `: ${d.comment}` : ""}`,
                ),
            ),
        ),
        waiting
            ? h(
                  "div",
                  {},
                  h(
                      "ul",
                      { class: "to-write" },
                      (a.changes ?? []).flatMap((p) =>
                          p.changes.map((c) =>
                              h(
                                  "li",
                                  { class: "mono" },
                                  `${p.application} ${c.file} ${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`,
                              ),
                          ),
                      ),
                  ),
                  comment,
                  " ",
                  h("button", { class: "approve", onclick: decide("approve") }, "Approve"),
                  " ",
                  h("button", { class: "reject", onclick: decide("reject") }, "Reject"),
              )
            : null,
    );
}
