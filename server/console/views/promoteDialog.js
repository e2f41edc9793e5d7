// The promotion dialog: the target environment's policy (where each field comes from), the diff, and Promote.
import { api, call, get } from "../lib/api.js";
import { permissionsOf, productOf, refused } from "../lib/catalog.js";
import { enc, errorBox, h, q, short } from "../lib/dom.js";
import { dialog, go } from "../lib/page.js";

/** @typedef {import("../types").Product} Product */
/** @typedef {import("../types").Preview} Preview */
/** @typedef {import("../types").Permissions} Permissions */
/** @typedef {import("../types").ResolvedPolicy} ResolvedPolicy */
/** @typedef {import("../types").StartPromotion} StartRelease */

const actionKinds = ["commit", "pr", "none"];

/**
 * @param {string} productName
 * @param {string} from
 * @param {string} to
 */
export async function promoteDialog(productName, from, to) {
    dialog.replaceChildren(
        h("h1", { id: "promote-title" }, `Promote ${productName}: ${from} → ${to}`),
        h("p", { class: "muted" }, "Loading the policy and the diff…"),
    );
    if (!dialog.open) {
        dialog.showModal();
    }
    /** @type {Product} */
    let product;
    /** @type {Preview} */
    let preview;
    /** @type {Permissions} */
    let perms;
    try {
        [product, preview, perms] = await Promise.all([
            productOf(productName),
            /** @type {Promise<Preview>} */ (
                get(`${api}/products/${enc(productName)}/preview${q({ from, to })}`)
            ),
            permissionsOf(productName),
        ]);
    } catch (e) {
        dialog.replaceChildren(
            h("h1", { id: "promote-title" }, `Promote ${productName}: ${from} → ${to}`),
            errorBox(e),
            h("div", { class: "buttons" }, h("button", { onclick: () => dialog.close() }, "Close")),
        );
        return;
    }
    /** @type {ResolvedPolicy} */
    const policy = product.environments.find((e) => e.name === to)?.policy ?? {
        action: "commit",
        // No policy known for it: no field has a source to show.
        sources: /** @type {ResolvedPolicy["sources"]} */ ({}),
    };
    const target = preview.environments.find((e) => e.name === to);
    /** @param {"action" | "preAction" | "postAction"} field */
    const sourceOf = (field) => {
        const s = policy.sources?.[field];
        return s ? ("policy" in s ? `policy ${s.policy}` : "inline" in s ? "inline" : "default") : "";
    };
    // Choosing another gate than the policy's needs override-policy: without it the fields only show the policy.
    const overrideRefused = refused(perms, "environments", to, "override-policy");
    const locked = overrideRefused !== undefined ? { disabled: true, title: overrideRefused } : {};
    const action = h(
        "select",
        { name: "action", ...locked },
        actionKinds.map((k) => h("option", { value: k, selected: k === policy.action }, k)),
    );
    const fixed = overrideRefused !== undefined ? { readonly: true, title: overrideRefused } : {};
    const pre = h("input", {
        name: "preAction",
        value: policy.preAction ?? "",
        placeholder: "none",
        ...fixed,
    });
    const post = h("input", {
        name: "postAction",
        value: policy.postAction ?? "",
        placeholder: "none",
        ...fixed,
    });
    const changes = (target?.applications ?? []).flatMap((a) =>
        a.changes.map((c) =>
            h(
                "tr",
                {},
                h("td", {}, a.name),
                h("td", { class: "mono" }, c.file),
                h("td", { class: "mono" }, c.path),
                h("td", { class: "mono" }, JSON.stringify(c.from)),
                h("td", { class: "mono" }, JSON.stringify(c.to)),
            ),
        ),
    );
    const missing = (target?.applications ?? []).flatMap((a) => a.missing.map((m) => `${a.name}: ${m}`));
    const note = h("textarea", {
        name: "message",
        rows: "2",
        maxlength: "4000",
        placeholder: "optional: why, a ticket (written into each promotion commit)",
    });
    const message = h("div");
    const promoteRefused = refused(perms, "environments", to, "promote");
    const promote = h(
        "button",
        { class: "primary", type: "button", disabled: promoteRefused !== undefined, title: promoteRefused },
        "Promote",
    );
    promote.addEventListener("click", async () => {
        promote.disabled = true;
        /** @type {StartRelease} */
        const body = { product: productName, from, to };
        if (action.value !== policy.action) {
            body.action = /** @type {StartRelease["action"]} */ (action.value);
        }
        if (pre.value.trim() && pre.value.trim() !== (policy.preAction ?? "")) {
            body.preAction = pre.value.trim();
        }
        if (post.value.trim() && post.value.trim() !== (policy.postAction ?? "")) {
            body.postAction = post.value.trim();
        }
        if (note.value.trim()) {
            body.message = note.value.trim();
        }
        try {
            const record = await call("POST", `${api}/releases`, body);
            dialog.close();
            go(`#/releases/${enc(record.id)}`);
        } catch (e) {
            message.replaceChildren(errorBox(e));
            promote.disabled = false;
        }
    });
    const body = [
        h("h1", { id: "promote-title" }, `Promote ${productName}: ${from} → ${to}`),
        h(
            "p",
            { class: "muted" },
            `Version ${preview.version ?? "?"} from ${preview.sourceApplication} at `,
            h("span", { class: "mono" }, short(preview.sourceCommit)),
        ),
        h("h2", {}, "Policy"),
        h("label", {}, "Action ", action, " ", h("span", { class: "muted" }, sourceOf("action"))),
        h("label", {}, "Pre-action ", pre, " ", h("span", { class: "muted" }, sourceOf("preAction"))),
        h("label", {}, "Post-action ", post, " ", h("span", { class: "muted" }, sourceOf("postAction"))),
        h("h2", {}, "Changes"),
        changes.length > 0
            ? h(
                  "table",
                  { class: "diff" },
                  h(
                      "tr",
                      {},
                      ["Application", "File", "JSONPath", "From", "To"].map((t) => h("th", {}, t)),
                  ),
                  changes,
              )
            : h(
                  "p",
                  { class: "muted", "data-field": "no-change" },
                  `Nothing to change: ${to} already has this version.`,
              ),
        missing.length > 0 ? h("p", { class: "drift" }, `Missing: ${missing.join("; ")}`) : null,
        h("label", { class: "note" }, "Commit message ", note),
        message,
        h(
            "div",
            { class: "buttons" },
            h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
            promote,
        ),
    ];
    dialog.replaceChildren(...body.filter((x) => x !== null));
    promote.focus();
}
