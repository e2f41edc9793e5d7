// The Environments dashboard: one column per environment in flow order, one card per product there (version,
// commit, the release that put it there, health, holds and drift), with promote and trigger menus, and drag and
// drop of a card onto another environment.
import { api, get } from "../lib/api.js";
import { flowOrder, permissionsOf, productOf, refused } from "../lib/catalog.js";
import { controlOf, enc, h, q, short, valueOf, when } from "../lib/dom.js";
import { go } from "../lib/page.js";
import { promoteDialog } from "./promoteDialog.js";
import { triggerDialog } from "./triggerDialog.js";

/** @typedef {import("../types").Product} Product */
/** @typedef {import("../types").ProductEnvironments} ProductEnvironments */
/** @typedef {import("../types").ProductEnvironment} ProductEnvironment */
/** @typedef {import("../types").Permissions} Permissions */
/** @typedef {import("../types").Hold} Hold */

/**
 * The product being dragged (dataTransfer cannot be read during dragover).
 * @type {{ product: string, from: string } | undefined}
 */
let dragging;

/**
 * @param {URLSearchParams} params
 */
export async function dashboard(params) {
    const products = /** @type {import("../types").ProductSummary[]} */ (await get(`${api}/products`));
    const filter = params.get("product") ?? "";
    const tag = params.get("tag") ?? "";
    const tags = [...new Set(products.flatMap((p) => p.tags))].sort();
    const shown = products.filter((p) => (!filter || p.name === filter) && (!tag || p.tags.includes(tag)));
    const [details, envs, perms, holds] = await Promise.all([
        Promise.all(shown.map((p) => productOf(p.name))),
        Promise.all(
            shown.map(
                (p) =>
                    /** @type {Promise<ProductEnvironments>} */ (
                        get(`${api}/products/${enc(p.name)}/environments`)
                    ),
            ),
        ),
        Promise.all(shown.map((p) => permissionsOf(p.name))),
        // Holds are shown when the server has them; a failure to read them leaves the cards unmarked.
        Promise.all(
            shown.map(
                (p) =>
                    /** @type {Promise<{ holds: Hold[] }>} */ (
                        get(`${api}/products/${enc(p.name)}/holds`).catch(() => ({ holds: [] }))
                    ),
            ),
        ),
    ]);
    const permsOf = new Map(shown.map((p, i) => [p.name, perms[i]]));
    const compact = viewMode() === "compact";
    /** @type {Map<string, string>} */
    const kinds = new Map();
    /** @type {string[]} */
    const catalogOrder = [];
    for (const pe of envs) {
        for (const e of pe.environments) {
            kinds.set(e.name, e.kind);
            if (!catalogOrder.includes(e.name)) {
                catalogOrder.push(e.name);
            }
        }
    }
    const columns = flowOrder(details, catalogOrder).filter((e) => kinds.has(e));
    const select = h(
        "select",
        {
            id: "product-filter",
            "aria-label": "Product",
            onchange: (ev) => go(`#/${q({ product: valueOf(ev), tag })}`),
        },
        h("option", { value: "" }, "All products"),
        products.map((p) => h("option", { value: p.name, selected: p.name === filter }, p.name)),
    );
    const tagSelect = h(
        "select",
        {
            id: "tag-filter",
            "aria-label": "Tag",
            onchange: (ev) => go(`#/${q({ product: filter, tag: valueOf(ev) })}`),
        },
        h("option", { value: "" }, "All tags"),
        tags.map((t) => h("option", { value: t, selected: t === tag }, t)),
    );
    const board = h(
        "div",
        { class: compact ? "board compact" : "board", "data-mode": compact ? "compact" : "detailed" },
        columns.map((env) => {
            const col = h(
                "section",
                { class: "column", "data-environment": env, "aria-label": `Environment ${env}` },
                h(
                    "h2",
                    {},
                    env,
                    kinds.get(env) === "production" ? h("span", { class: "badge prod" }, "production") : null,
                ),
            );
            col.addEventListener("dragover", (ev) => {
                const dt = ev.dataTransfer;
                if (dt?.types.includes("application/x-promotion")) {
                    // A column the user may not promote to is no drop target; its title says why.
                    const why =
                        dragging && refused(permsOf.get(dragging.product), "environments", env, "promote");
                    if (why) {
                        col.title = why;
                        col.classList.add("refused");
                        dt.dropEffect = "none";
                        return;
                    }
                    ev.preventDefault();
                    dt.dropEffect = "move";
                    col.classList.add("over");
                }
            });
            col.addEventListener("dragleave", () => {
                col.classList.remove("over", "refused");
                col.removeAttribute("title");
            });
            col.addEventListener("drop", (ev) => {
                ev.preventDefault();
                col.classList.remove("over");
                const data = JSON.parse(ev.dataTransfer?.getData("application/x-promotion") || "{}");
                const why =
                    data.product && refused(permsOf.get(data.product), "environments", env, "promote");
                if (data.product && data.from && data.from !== env && !why) {
                    void promoteDialog(data.product, data.from, env);
                }
            });
            shown.forEach((_, i) => {
                const e = envs[i].environments.find((x) => x.name === env);
                if (e) {
                    const hold = holds[i].holds.find((x) => x.environment === env);
                    col.append(card(details[i], envs[i], e, columns, perms[i], hold));
                }
            });
            return col;
        }),
    );
    return h(
        "div",
        {},
        h("h1", {}, "Environments"),
        h(
            "div",
            { class: "toolbar" },
            h("label", {}, "Product ", select),
            h("label", {}, "Tag ", tagSelect),
            modeToggle(board),
        ),
        shown.length === 0 ? h("p", { class: "muted" }, "No products.") : board,
    );
}

// Compact (name, version, hold and drift marks) or detailed cards; remembered in this browser.
const modeKey = "promotions.console.dashboardMode";
function viewMode() {
    try {
        return localStorage.getItem(modeKey) === "compact" ? "compact" : "detailed";
    } catch {
        return "detailed";
    }
}

/** @param {HTMLElement} board */
function modeToggle(board) {
    const button = h(
        "button",
        { type: "button", id: "mode-toggle", "aria-pressed": viewMode() === "compact" ? "true" : "false" },
        "Compact",
    );
    button.addEventListener("click", () => {
        const compact = viewMode() !== "compact";
        try {
            localStorage.setItem(modeKey, compact ? "compact" : "detailed");
        } catch {
            // storage refused (a private window): the mode still changes for this page
        }
        board.classList.toggle("compact", compact);
        board.dataset.mode = compact ? "compact" : "detailed";
        button.setAttribute("aria-pressed", compact ? "true" : "false");
    });
    return button;
}

/**
 * A product's card in an environment's column.
 * @param {Product} product
 * @param {ProductEnvironments} productEnvs
 * @param {ProductEnvironment} e
 * @param {string[]} columns
 * @param {Permissions} perms
 * @param {Hold | undefined} hold
 */
function card(product, productEnvs, e, columns, perms, hold) {
    const trigger = product.flows[0]?.triggerEnvironment;
    const source = productEnvs.environments.find((x) => x.name === trigger);
    const drift =
        trigger && trigger !== e.name && source?.version !== undefined && source.version !== e.version
            ? `${trigger} has ${source.version}`
            : undefined;
    const targets = columns.filter((c) => c !== e.name && productEnvs.environments.some((x) => x.name === c));
    const flows = product.flows.filter((f) => f.triggerEnvironment === e.name);
    const el = h(
        "article",
        {
            class: hold ? "card held" : "card",
            draggable: "true",
            "data-product": product.name,
            "data-environment": e.name,
            "data-held": hold ? "true" : undefined,
            "aria-label": `${product.name} in ${e.name}${hold ? ` (held by ${hold.by})` : ""}`,
        },
        h("div", { class: "name" }, product.name),
        hold
            ? h(
                  "div",
                  { class: "hold", "data-field": "hold", title: `held since ${when(hold.at)}` },
                  `held by ${hold.by}`,
                  hold.reason ? `: ${hold.reason}` : "",
              )
            : null,
        h("div", { class: "version", "data-field": "version" }, e.version ?? "—"),
        e.commit || e.applications.some((a) => a.gitCommit)
            ? h("div", { class: "meta mono" }, "commit ", short(e.commit ?? e.applications[0]?.gitCommit))
            : null,
        e.at ? h("div", { class: "meta" }, when(e.at)) : null,
        e.release
            ? h("div", { class: "meta" }, "by ", h("a", { href: `#/releases/${enc(e.release)}` }, e.release))
            : null,
        e.applications
            .filter((a) => a.health || a.sync)
            .map((a) => h("div", { class: "meta" }, `${a.name}: ${a.health ?? ""} ${a.sync ?? ""}`)),
        e.applications
            .filter((a) => a.gitError)
            .map((a) => h("div", { class: "drift" }, `${a.name}: ${a.gitError}`)),
        drift ? h("div", { class: "drift", "data-field": "drift" }, `drift: ${drift}`) : null,
        h(
            "select",
            {
                "aria-label": `Promote ${product.name} from ${e.name} to…`,
                class: "promote-to",
                onchange: (ev) => {
                    const to = valueOf(ev);
                    controlOf(ev).value = "";
                    if (to) {
                        void promoteDialog(product.name, e.name, to);
                    }
                },
            },
            h("option", { value: "" }, "Promote to…"),
            targets.map((t) => {
                const why = refused(perms, "environments", t, "promote");
                return h("option", { value: t, disabled: why !== undefined, title: why }, t);
            }),
        ),
        flows.length > 0
            ? h(
                  "select",
                  {
                      "aria-label": `Trigger a flow of ${product.name} from ${e.name}…`,
                      class: "trigger-flow",
                      onchange: (ev) => {
                          const flow = valueOf(ev);
                          controlOf(ev).value = "";
                          if (flow) {
                              void triggerDialog(product.name, flow);
                          }
                      },
                  },
                  h("option", { value: "" }, "Trigger flow…"),
                  flows.map((f) => {
                      const why = refused(perms, "flows", f.name, "trigger");
                      return h("option", { value: f.name, disabled: why !== undefined, title: why }, f.name);
                  }),
              )
            : null,
    );
    el.addEventListener("dragend", () => (dragging = undefined));
    el.addEventListener("dragstart", (ev) => {
        dragging = { product: product.name, from: e.name };
        ev.dataTransfer?.setData(
            "application/x-promotion",
            JSON.stringify({ product: product.name, from: e.name }),
        );
        if (ev.dataTransfer) {
            ev.dataTransfer.effectAllowed = "move";
        }
    });
    return el;
}
