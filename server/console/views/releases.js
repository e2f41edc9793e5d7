// The Releases list: a product's releases, newest first, a page at a time, filtered by status and flow, with
// each environment's status in its own column.
import { api, get } from "../lib/api.js";
import { flowOrder, productOf } from "../lib/catalog.js";
import { enc, h, q, status, valueOf, when } from "../lib/dom.js";
import { go } from "../lib/page.js";

/** @typedef {import("../types").Release} Release */
/** @typedef {import("../types").ReleasePage} ReleasePage */

const releaseStatuses = [
    "Queued",
    "Running",
    "Suspended",
    "Terminating",
    "Terminated",
    "Succeeded",
    "Failed",
];

/**
 * @param {URLSearchParams} params
 */
export async function releases(params) {
    const products = /** @type {import("../types").ProductSummary[]} */ (await get(`${api}/products`));
    const product = params.get("product") || products[0]?.name || "";
    const statusFilter = params.get("status") ?? "";
    const flow = params.get("flow") ?? "";
    const before = params.get("before") ?? "";
    const detail = product ? await productOf(product) : undefined;
    /** @type {ReleasePage} */
    const page = product
        ? await get(`${api}/releases${q({ product, status: statusFilter, flow, limit: "20", before })}`)
        : { releases: [] };
    // The summaries carry no per-environment status: read each release of the page in full.
    const full = await Promise.all(
        page.releases.map(
            (r) =>
                /** @type {Promise<Release | undefined>} */ (
                    get(`${api}/releases/${enc(r.id)}`).catch(() => undefined)
                ),
        ),
    );
    // One column per environment a flow of the product promotes to (a trigger environment is never a target).
    const targets = new Set(detail?.flows.flatMap((f) => f.steps.map((st) => st.environment)) ?? []);
    const order = detail
        ? flowOrder(
              [detail],
              detail.environments.map((e) => e.name),
          )
        : [];
    const envs = order.filter((e) => targets.has(e));
    /** @param {Record<string, string | undefined>} change */
    const nav = (change) => go(`#/releases${q({ product, status: statusFilter, flow, ...change })}`);
    /**
     * @param {string} name
     * @param {string} label
     * @param {string[]} values
     * @param {string} current
     */
    const filterSelect = (name, label, values, current) =>
        h(
            "label",
            {},
            `${label} `,
            h(
                "select",
                {
                    id: `${name}-filter`,
                    onchange: (ev) => nav({ [name]: valueOf(ev), before: undefined }),
                },
                h("option", { value: "" }, "All"),
                values.map((v) => h("option", { value: v, selected: v === current }, v)),
            ),
        );
    const rows = page.releases.map((r, i) =>
        h(
            "tr",
            { "data-release": r.id },
            h("td", {}, h("a", { href: `#/releases/${enc(r.id)}` }, r.id)),
            h("td", {}, when(r.startedAt)),
            h("td", {}, r.flow),
            h("td", { class: "mono" }, r.version ?? ""),
            h("td", { title: full[i]?.error ?? "" }, status(r.status)),
            envs.map((env) => {
                const e = full[i]?.environments.find((x) => x.name === env);
                return h("td", { title: e?.error ?? "" }, e ? status(e.status) : "");
            }),
        ),
    );
    return h(
        "div",
        { "data-filter": q({ product, status: statusFilter, flow, before }) },
        h("h1", {}, "Releases"),
        h(
            "div",
            { class: "toolbar" },
            filterSelect(
                "product",
                "Product",
                products.map((p) => p.name),
                product,
            ),
            filterSelect("status", "Status", releaseStatuses, statusFilter),
            filterSelect("flow", "Flow", detail?.flows.map((f) => f.name) ?? [], flow),
        ),
        h(
            "table",
            { id: "releases" },
            h(
                "tr",
                {},
                ["Release", "Started", "Flow", "Version", "Status", ...envs].map((t) => h("th", {}, t)),
            ),
            rows,
        ),
        rows.length === 0 ? h("p", { class: "muted" }, "No releases.") : null,
        h(
            "div",
            { class: "toolbar" },
            before ? h("button", { onclick: () => nav({ before: undefined }) }, "Newest") : null,
            page.next
                ? h("button", { id: "older", onclick: () => nav({ before: page.next }) }, "Older →")
                : null,
        ),
    );
}
