// The flow dialog: every step's policy and changes (preview?flow=F); Trigger runs the flow.
import { api, call, get } from "../lib/api.js";
import { permissionsOf, refused } from "../lib/catalog.js";
import { enc, errorBox, h, q, short } from "../lib/dom.js";
import { dialog, go } from "../lib/page.js";

/** @typedef {import("../types").Preview} Preview */
/** @typedef {import("../types").Permissions} Permissions */

/**
 * @param {string} productName
 * @param {string} flow
 */
export async function triggerDialog(productName, flow) {
    const title = h("h1", { id: "promote-title" }, `Trigger ${flow} of ${productName}`);
    dialog.replaceChildren(title, h("p", { class: "muted" }, "Loading the diff…"));
    if (!dialog.open) {
        dialog.showModal();
    }
    /** @type {Preview} */
    let preview;
    /** @type {Permissions} */
    let perms;
    try {
        [preview, perms] = await Promise.all([
            /** @type {Promise<Preview>} */ (
                get(`${api}/products/${enc(productName)}/preview${q({ flow })}`)
            ),
            permissionsOf(productName),
        ]);
    } catch (e) {
        dialog.replaceChildren(
            title,
            errorBox(e),
            h("div", { class: "buttons" }, h("button", { onclick: () => dialog.close() }, "Close")),
        );
        return;
    }
    const message = h("div");
    const triggerRefused = refused(perms, "flows", flow, "trigger");
    const trigger = h(
        "button",
        { class: "primary", type: "button", disabled: triggerRefused !== undefined, title: triggerRefused },
        "Trigger",
    );
    trigger.addEventListener("click", async () => {
        trigger.disabled = true;
        try {
            const record = await call("POST", `${api}/releases`, { product: productName, flow });
            dialog.close();
            go(`#/releases/${enc(record.id)}`);
        } catch (e) {
            message.replaceChildren(errorBox(e));
            trigger.disabled = false;
        }
    });
    dialog.replaceChildren(
        title,
        h(
            "p",
            { class: "muted" },
            `Version ${preview.version ?? "?"} from ${preview.sourceApplication} at `,
            h("span", { class: "mono" }, short(preview.sourceCommit)),
        ),
        h(
            "table",
            { class: "diff" },
            h(
                "tr",
                {},
                ["Environment", "Policy", "Changes"].map((t) => h("th", {}, t)),
            ),
            preview.environments.map((e) =>
                h(
                    "tr",
                    { "data-environment": e.name },
                    h("td", {}, e.name),
                    h(
                        "td",
                        {},
                        [
                            e.action,
                            e.preAction && `pre ${e.preAction}`,
                            e.postAction && `post ${e.postAction}`,
                        ]
                            .filter(Boolean)
                            .join(", "),
                    ),
                    h(
                        "td",
                        { class: "mono" },
                        e.wouldChange
                            ? e.applications.flatMap((a) =>
                                  a.changes.map((c) =>
                                      h(
                                          "div",
                                          {},
                                          `${a.name} ${c.file} ${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`,
                                      ),
                                  ),
                              )
                            : "no change",
                    ),
                ),
            ),
        ),
        message,
        h(
            "div",
            { class: "buttons" },
            h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
            trigger,
        ),
    );
    trigger.focus();
}
