// The Release view: header, actions (retry, terminate, resume), issues, approvals, the flow graph, a run's log,
// each environment's applications and runs, and the audit trail.
import { api, call, get } from "../lib/api.js";
import { controlOf, duration, enc, errorBox, h, q, short, status, when } from "../lib/dom.js";
import { rerender } from "../lib/page.js";
import { approvalBox } from "./approval.js";
import { graph } from "./graph.js";

/** @typedef {import("../types").Release} Release */
/** @typedef {import("../types").WorkflowRun} WorkflowRun */
/** @typedef {import("../types").RunLog} RunLog */
/** @typedef {import("../types").Permissions} Permissions */

/**
 * One workflow run in the environments table, with a link to its log.
 * @param {WorkflowRun | undefined} r
 * @param {string} releaseId
 * @param {string} label
 */
function runLine(r, releaseId, label) {
    if (!r) {
        return null;
    }
    return h(
        "li",
        {},
        `${label} ${r.workflow} `,
        status(r.status),
        ` ${duration(r.startedAt, r.finishedAt)} `,
        r.runId
            ? h("a", { href: `#/releases/${enc(releaseId)}/runs/${enc(r.runId)}`, class: "log-link" }, "log")
            : null,
    );
}

/**
 * @param {string} id
 * @param {string} [runId] a run whose log to show
 */
export async function releaseView(id, runId) {
    const r = /** @type {Release} */ (await get(`${api}/releases/${enc(id)}`));
    // What the user may do to it, from the record already read (no second read of the record).
    const perms = /** @type {Permissions | undefined} */ (
        await get(
            `${api}/permissions${q({ product: r.product, flow: r.flow, environments: r.environments.map((e) => e.name).join(",") })}`,
        ).catch(() => undefined)
    );
    /** @param {string} action */
    const why = (action) => {
        const d = perms?.release?.actions?.[action];
        return d && !d.allowed ? d.reason : undefined;
    };
    /** @param {string} s */
    const count = (s) => r.environments.filter((e) => e.status === s).length;
    const message = h("div");
    /** @param {"retry" | "terminate" | "resume"} what */
    const act = (what) => async (/** @type {Event} */ ev) => {
        controlOf(ev).disabled = true;
        try {
            await call("POST", `${api}/releases/${enc(id)}/${what}`, what === "terminate" ? undefined : {});
            await rerender();
        } catch (e) {
            message.replaceChildren(errorBox(e));
            controlOf(ev).disabled = false;
        }
    };
    const final = ["Succeeded", "Failed", "Terminated"].includes(r.status);
    const issues = [
        ...(r.error ? [`Release: ${r.error}`] : []),
        ...r.environments.filter((e) => e.error).map((e) => `${e.name}: ${e.error}`),
        ...r.environments.flatMap((e) =>
            e.applications
                .filter((a) => a.health && a.health.status !== "Healthy")
                .map((a) => `${e.name}/${a.name}: ${a.health?.status} ${a.health?.message ?? ""}`),
        ),
    ];
    let log = null;
    if (runId) {
        try {
            const l = /** @type {RunLog} */ (await get(`${api}/releases/${enc(id)}/runs/${enc(runId)}/log`));
            log = h(
                "div",
                {},
                h("h2", {}, `Log of ${l.workflow} (${l.status})`),
                h("pre", { class: "log" }, l.log ?? "(no output)"),
            );
        } catch (e) {
            log = errorBox(e);
        }
    }
    return h(
        "div",
        { "data-release": r.id },
        h("h1", {}, `Release ${r.id} `, status(r.status)),
        h(
            "div",
            { class: "header-grid" },
            h("b", {}, "Product"),
            h("span", {}, r.product),
            h("b", {}, "Flow"),
            h("span", {}, `${r.flow}${r.flowVersion ? ` (${r.flowVersion})` : ""}`),
            h("b", {}, "Version"),
            h("span", { class: "mono" }, r.version ?? "?"),
            h("b", {}, "Source"),
            h("span", { class: "mono" }, `${r.sourceApplication} @ ${short(r.sourceCommit)}`),
            h("b", {}, "Started"),
            h("span", {}, when(r.startedAt)),
            h("b", {}, "Initiator"),
            h(
                "span",
                { id: "initiator" },
                r.initiator ? `${r.initiator.user} (${r.initiator.via})` : "automatic (a trigger)",
            ),
            h("b", {}, "Duration"),
            h("span", {}, duration(r.startedAt, r.finishedAt)),
            h("b", {}, "Environments"),
            h(
                "span",
                { id: "counts" },
                `${count("Succeeded")} succeeded, ${count("Running")} running, ${count("Failed")} failed, ${count("Pending")} pending`,
            ),
            h("b", {}, "Actions"),
            h(
                "span",
                {},
                h(
                    "button",
                    {
                        id: "retry",
                        disabled:
                            !(r.status === "Failed" || r.status === "Terminated") ||
                            why("retry") !== undefined,
                        title: why("retry"),
                        onclick: act("retry"),
                    },
                    "Retry",
                ),
                " ",
                h(
                    "button",
                    {
                        id: "terminate",
                        disabled: final || why("terminate") !== undefined,
                        title: why("terminate"),
                        onclick: act("terminate"),
                    },
                    "Terminate",
                ),
                " ",
                h(
                    "button",
                    {
                        id: "resume",
                        disabled: r.status !== "Suspended" || why("resume") !== undefined,
                        title: why("resume"),
                        onclick: act("resume"),
                    },
                    "Resume",
                ),
            ),
        ),
        message,
        issues.length > 0
            ? h(
                  "div",
                  { class: "issues", id: "issues" },
                  h("h2", {}, "Issues"),
                  issues.map((t) => h("div", { class: "error" }, t)),
              )
            : null,
        (r.warnings ?? []).map((w) => h("p", { class: "drift" }, w)),
        r.environments.map((e) => (e.approval ? approvalBox(r, e, e.approval, message) : null)),
        graph(r),
        log,
        h("h2", {}, "Environments"),
        h(
            "table",
            {},
            h(
                "tr",
                {},
                ["Environment", "Status", "Duration", "Applications", "Runs"].map((t) => h("th", {}, t)),
            ),
            r.environments.map((e) =>
                h(
                    "tr",
                    { "data-environment": e.name },
                    h("td", {}, e.name),
                    h("td", { title: e.error ?? "" }, status(e.status)),
                    h("td", {}, duration(e.startedAt, e.finishedAt)),
                    h(
                        "td",
                        {},
                        e.applications.map((a) =>
                            h(
                                "div",
                                {},
                                `${a.name} (${a.action}) `,
                                a.commitSha ? h("span", { class: "mono" }, short(a.commitSha)) : null,
                                a.pullRequest
                                    ? h("a", { href: a.pullRequest.url }, ` PR #${a.pullRequest.number}`)
                                    : null,
                            ),
                        ),
                    ),
                    h(
                        "td",
                        {},
                        h(
                            "ul",
                            {},
                            (e.hooks ?? []).map((x) => runLine(x, r.id, "hook")),
                            e.applications.map((a) => [
                                runLine(a.preAction, r.id, "pre"),
                                runLine(a.postAction, r.id, "post"),
                            ]),
                        ),
                    ),
                ),
            ),
        ),
        (r.audit ?? []).length > 0
            ? h(
                  "div",
                  { id: "audit" },
                  h("h2", {}, "Audit"),
                  h(
                      "ul",
                      {},
                      (r.audit ?? []).map((a) =>
                          h(
                              "li",
                              {},
                              `${when(a.at)} ${a.user} (${a.via}): ${a.action}`,
                              a.environment ? ` ${a.environment}` : "",
                              a.comment ? ` — ${a.comment}` : "",
                          ),
                      ),
                  ),
              )
            : null,
    );
}
