// The web console of `promote serve`: plain ES modules, no build step. Every value shown comes from the JSON
// API under /api/v1 (the same answers the CLI's --json prints) and the event stream at /api/v1/events.
// DOM is built with h() (text nodes, never innerHTML), so nothing from a record is ever parsed as HTML.
import dagre from "/console/vendor/dagre.js";

const api = "/api/v1";
const releaseStatuses = [
    "Queued",
    "Running",
    "Suspended",
    "Terminating",
    "Terminated",
    "Succeeded",
    "Failed",
];
const actionKinds = ["commit", "pr", "none"];
const main = document.getElementById("main");
const dialog = document.getElementById("promote-dialog");

/** An element: h("div", {class: "x", onclick: f}, "text", child, [children]). */
function h(tag, attrs, ...children) {
    const svg = ["svg", "g", "rect", "path", "text", "tspan", "title", "marker", "defs"].includes(tag);
    const el = svg
        ? document.createElementNS("http://www.w3.org/2000/svg", tag)
        : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) {
        if (v === undefined || v === false || v === null) {
            continue;
        }
        if (k.startsWith("on")) {
            el.addEventListener(k.slice(2), v);
        } else if (k === "value" && !svg) {
            el.value = v;
        } else {
            el.setAttribute(k, v === true ? "" : String(v));
        }
    }
    const add = (c) => {
        if (Array.isArray(c)) {
            c.forEach(add);
        } else if (c !== undefined && c !== null && c !== false) {
            el.append(c instanceof Node ? c : document.createTextNode(String(c)));
        }
    };
    children.forEach(add);
    return el;
}

let csrfToken;
async function call(method, path, body) {
    const headers = {};
    if (method !== "GET") {
        csrfToken ??= (await call("GET", `${api}/session`)).csrfToken;
        headers["X-CSRF-Token"] = csrfToken;
    }
    if (body !== undefined) {
        headers["Content-Type"] = "application/json";
    }
    const res = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const data = await res.json().catch(() => undefined);
    if (!res.ok) {
        const err = new Error(data?.error?.message ?? `${method} ${path}: HTTP ${res.status}`);
        err.status = res.status;
        throw err;
    }
    return data;
}
const get = (path) => call("GET", path);
const q = (params) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== "") {
            s.set(k, v);
        }
    }
    const t = s.toString();
    return t ? `?${t}` : "";
};
const enc = encodeURIComponent;
const short = (sha) => (sha ? sha.slice(0, 7) : "");
const status = (s) => h("span", { class: `st st-${s}`, "data-status": s }, s);

function when(iso) {
    if (!iso) {
        return "";
    }
    const d = new Date(iso);
    return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function duration(from, to) {
    if (!from) {
        return "";
    }
    const ms = (to ? new Date(to) : new Date()) - new Date(from);
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 60
        ? `${s}s`
        : s < 3600
          ? `${Math.floor(s / 60)}m${s % 60}s`
          : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

function errorBox(e) {
    return h("div", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e));
}

// ---- products, cached for a view ----

let productCache = new Map();
async function productOf(name) {
    if (!productCache.has(name)) {
        productCache.set(name, get(`${api}/products/${enc(name)}`));
    }
    return productCache.get(name);
}

// ---- permissions: what the user may do, so the console disables the rest with the reason ----

let permissionCache = new Map();
/** GET /permissions?product=P: per environment and flow, allowed (with the rule) or refused (with the reason). */
async function permissionsOf(name) {
    if (!permissionCache.has(name)) {
        permissionCache.set(name, get(`${api}/permissions${q({ product: name })}`));
    }
    return permissionCache.get(name);
}
/** Why the user may not do `action` (an environment's or a flow's), or undefined when they may. */
function refused(perms, kind, name, action) {
    const d = perms?.[kind]?.find((x) => x.name === name)?.actions?.[action];
    return d && !d.allowed ? d.reason : undefined;
}
/** The product being dragged (dataTransfer cannot be read during dragover). */
let dragging;

/**
 * Environments in flow order: each after the ones it depends on (the flows' steps and trigger
 * environments), ties in catalog order.
 */
function flowOrder(details, catalogOrder) {
    const deps = new Map(catalogOrder.map((e) => [e, new Set()]));
    for (const p of details) {
        for (const f of p.flows) {
            for (const step of f.steps) {
                const set = deps.get(step.environment) ?? new Set();
                step.dependsOn.forEach((d) => set.add(d));
                deps.set(step.environment, set);
            }
        }
    }
    const depth = new Map();
    const depthOf = (e, seen = new Set()) => {
        if (depth.has(e)) {
            return depth.get(e);
        }
        if (seen.has(e)) {
            return 0;
        }
        seen.add(e);
        const d = Math.max(-1, ...[...(deps.get(e) ?? [])].map((x) => depthOf(x, seen))) + 1;
        depth.set(e, d);
        return d;
    };
    const all = [...new Set([...catalogOrder, ...deps.keys()])];
    return all.sort((a, b) => depthOf(a) - depthOf(b) || all.indexOf(a) - all.indexOf(b));
}

// ---- the Environments dashboard ----

async function dashboard(params) {
    const products = await get(`${api}/products`);
    const filter = params.get("product") ?? "";
    const tag = params.get("tag") ?? "";
    const tags = [...new Set(products.flatMap((p) => p.tags))].sort();
    const shown = products.filter((p) => (!filter || p.name === filter) && (!tag || p.tags.includes(tag)));
    const [details, envs, perms, holds] = await Promise.all([
        Promise.all(shown.map((p) => productOf(p.name))),
        Promise.all(shown.map((p) => get(`${api}/products/${enc(p.name)}/environments`))),
        Promise.all(shown.map((p) => permissionsOf(p.name))),
        // Holds are shown when the server has them; a failure to read them leaves the cards unmarked.
        Promise.all(
            shown.map((p) => get(`${api}/products/${enc(p.name)}/holds`).catch(() => ({ holds: [] }))),
        ),
    ]);
    const permsOf = new Map(shown.map((p, i) => [p.name, perms[i]]));
    const compact = viewMode() === "compact";
    const kinds = new Map();
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
            onchange: (ev) => go(`#/${q({ product: ev.target.value, tag })}`),
        },
        h("option", { value: "" }, "All products"),
        products.map((p) => h("option", { value: p.name, selected: p.name === filter }, p.name)),
    );
    const tagSelect = h(
        "select",
        {
            id: "tag-filter",
            "aria-label": "Tag",
            onchange: (ev) => go(`#/${q({ product: filter, tag: ev.target.value })}`),
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
                if (ev.dataTransfer.types.includes("application/x-promotion")) {
                    // A column the user may not promote to is no drop target; its title says why.
                    const why =
                        dragging && refused(permsOf.get(dragging.product), "environments", env, "promote");
                    if (why) {
                        col.title = why;
                        col.classList.add("refused");
                        ev.dataTransfer.dropEffect = "none";
                        return;
                    }
                    ev.preventDefault();
                    ev.dataTransfer.dropEffect = "move";
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
                const data = JSON.parse(ev.dataTransfer.getData("application/x-promotion") || "{}");
                const why =
                    data.product && refused(permsOf.get(data.product), "environments", env, "promote");
                if (data.product && data.from && data.from !== env && !why) {
                    void promoteDialog(data.product, data.from, env);
                }
            });
            shown.forEach((p, i) => {
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
                    const to = ev.target.value;
                    ev.target.value = "";
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
                          const flow = ev.target.value;
                          ev.target.value = "";
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
        ev.dataTransfer.setData(
            "application/x-promotion",
            JSON.stringify({ product: product.name, from: e.name }),
        );
        ev.dataTransfer.effectAllowed = "move";
    });
    return el;
}

// ---- the promotion dialog ----

async function promoteDialog(productName, from, to) {
    dialog.replaceChildren(
        h("h1", { id: "promote-title" }, `Promote ${productName}: ${from} → ${to}`),
        h("p", { class: "muted" }, "Loading the policy and the diff…"),
    );
    if (!dialog.open) {
        dialog.showModal();
    }
    let product;
    let preview;
    let perms;
    try {
        [product, preview, perms] = await Promise.all([
            productOf(productName),
            get(`${api}/products/${enc(productName)}/preview${q({ from, to })}`),
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
    const policy = product.environments.find((e) => e.name === to)?.policy ?? {
        action: "commit",
        sources: {},
    };
    const target = preview.environments.find((e) => e.name === to);
    const sourceOf = (field) => {
        const s = policy.sources?.[field];
        return s ? (s.policy ? `policy ${s.policy}` : s.inline ? "inline" : "default") : "";
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
        const body = { product: productName, from, to };
        if (action.value !== policy.action) {
            body.action = action.value;
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

/** The flow dialog: every step's policy and changes (preview?flow=F); Trigger runs the flow. */
async function triggerDialog(productName, flow) {
    const title = h("h1", { id: "promote-title" }, `Trigger ${flow} of ${productName}`);
    dialog.replaceChildren(title, h("p", { class: "muted" }, "Loading the diff…"));
    if (!dialog.open) {
        dialog.showModal();
    }
    let preview;
    let perms;
    try {
        [preview, perms] = await Promise.all([
            get(`${api}/products/${enc(productName)}/preview${q({ flow })}`),
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

// ---- the Releases list ----

async function releases(params) {
    const products = await get(`${api}/products`);
    const product = params.get("product") || products[0]?.name || "";
    const statusFilter = params.get("status") ?? "";
    const flow = params.get("flow") ?? "";
    const before = params.get("before") ?? "";
    const detail = product ? await productOf(product) : undefined;
    const page = product
        ? await get(`${api}/releases${q({ product, status: statusFilter, flow, limit: "20", before })}`)
        : { releases: [] };
    // The summaries carry no per-environment status: read each release of the page in full.
    const full = await Promise.all(
        page.releases.map((r) => get(`${api}/releases/${enc(r.id)}`).catch(() => undefined)),
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
    const nav = (change) => go(`#/releases${q({ product, status: statusFilter, flow, ...change })}`);
    const filterSelect = (name, label, values, current) =>
        h(
            "label",
            {},
            `${label} `,
            h(
                "select",
                {
                    id: `${name}-filter`,
                    onchange: (ev) => nav({ [name]: ev.target.value, before: undefined }),
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

// ---- the Release view ----

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

/** An environment's approval gate: approvers, decisions, the diff; Approve / Reject while it waits. */
function approvalBox(r, e, message) {
    const a = e.approval;
    const approvals = new Set(a.decisions.filter((d) => d.decision === "approved").map((d) => d.user)).size;
    const who = a.approvers.map((x) => (x.user ? `user ${x.user}` : `group ${x.group}`)).join(", ");
    const waiting = e.status === "Suspended" && e.waitKind === "approval";
    const comment = h("input", { type: "text", placeholder: "comment (optional)", class: "comment" });
    const decide = (verb) => async (ev) => {
        ev.target.disabled = true;
        try {
            const text = comment.value.trim();
            await call("POST", `${api}/releases/${enc(r.id)}/${verb}`, {
                environment: e.name,
                ...(text ? { comment: text } : {}),
            });
            await render();
        } catch (err) {
            message.replaceChildren(errorBox(err));
            ev.target.disabled = false;
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

function graph(record) {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 60, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    const names = new Set(record.environments.map((e) => e.name));
    for (const e of record.environments) {
        g.setNode(e.name, { width: 230, height: 78 });
    }
    // The trigger environment is the source of the first steps: draw it as the graph's root.
    const roots = new Set(record.environments.flatMap((e) => e.dependsOn).filter((d) => !names.has(d)));
    for (const r of roots) {
        g.setNode(r, { width: 230, height: 78, source: true });
    }
    for (const e of record.environments) {
        for (const d of e.dependsOn) {
            g.setEdge(d, e.name);
        }
    }
    dagre.layout(g);
    const size = g.graph();
    const edges = g.edges().map((ed) => {
        const pts = g.edge(ed).points;
        const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" ");
        return h("path", {
            class: "edge",
            d,
            "marker-end": "url(#arrow)",
            "data-from": ed.v,
            "data-to": ed.w,
        });
    });
    const nodes = g.nodes().map((n) => {
        const pos = g.node(n);
        const env = record.environments.find((e) => e.name === n);
        const st = env?.status ?? "Source";
        const apps = env?.applications ?? [];
        const runs = apps
            .flatMap((a) => [
                a.preAction && `pre ${a.preAction.status}`,
                a.postAction && `post ${a.postAction.status}`,
            ])
            .filter(Boolean);
        const x = pos.x - pos.width / 2;
        const y = pos.y - pos.height / 2;
        return h(
            "g",
            {
                class: `node n-${st}`,
                "data-environment": n,
                "data-status": st,
                transform: `translate(${x},${y})`,
            },
            h("rect", { width: pos.width, height: pos.height }),
            h("text", { x: 10, y: 18, class: "title" }, n),
            h(
                "text",
                { x: 10, y: 36 },
                env
                    ? `${st} ${duration(env.startedAt, env.finishedAt)}`
                    : `source: ${record.sourceApplication}`,
            ),
            h("text", { x: 10, y: 52 }, runs.join(" · ")),
            h(
                "text",
                { x: 10, y: 68 },
                apps
                    .map((a) => short(a.commitSha))
                    .filter(Boolean)
                    .join(" "),
            ),
        );
    });
    return h(
        "div",
        { class: "graph" },
        h(
            "svg",
            {
                width: size.width,
                height: size.height,
                viewBox: `0 0 ${size.width} ${size.height}`,
                role: "img",
                "aria-label": `Flow ${record.flow}`,
            },
            h(
                "defs",
                {},
                h(
                    "marker",
                    {
                        id: "arrow",
                        viewBox: "0 0 10 10",
                        refX: 10,
                        refY: 5,
                        markerWidth: 8,
                        markerHeight: 8,
                        orient: "auto",
                    },
                    h("path", { d: "M0,0 L10,5 L0,10 z", fill: "#7d879a" }),
                ),
            ),
            edges,
            nodes,
        ),
    );
}

async function releaseView(id, runId) {
    const r = await get(`${api}/releases/${enc(id)}`);
    // What the user may do to it, from the record already read (no second read of the record).
    const perms = await get(
        `${api}/permissions${q({ product: r.product, flow: r.flow, environments: r.environments.map((e) => e.name).join(",") })}`,
    ).catch(() => undefined);
    const why = (action) => {
        const d = perms?.release?.actions?.[action];
        return d && !d.allowed ? d.reason : undefined;
    };
    const count = (s) => r.environments.filter((e) => e.status === s).length;
    const message = h("div");
    const act = (what) => async (ev) => {
        ev.target.disabled = true;
        try {
            await call("POST", `${api}/releases/${enc(id)}/${what}`, what === "terminate" ? undefined : {});
            await render();
        } catch (e) {
            message.replaceChildren(errorBox(e));
            ev.target.disabled = false;
        }
    };
    const final = ["Succeeded", "Failed", "Terminated"].includes(r.status);
    const issues = [
        ...(r.error ? [`Release: ${r.error}`] : []),
        ...r.environments.filter((e) => e.error).map((e) => `${e.name}: ${e.error}`),
        ...r.environments.flatMap((e) =>
            e.applications
                .filter((a) => a.health && a.health.status !== "Healthy")
                .map((a) => `${e.name}/${a.name}: ${a.health.status} ${a.health.message ?? ""}`),
        ),
    ];
    let log = null;
    if (runId) {
        try {
            const l = await get(`${api}/releases/${enc(id)}/runs/${enc(runId)}/log`);
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
        r.environments.filter((e) => e.approval).map((e) => approvalBox(r, e, message)),
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
                      r.audit.map((a) =>
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

// ---- routing and live updates ----

function go(hash) {
    if (location.hash === hash) {
        void render();
    } else {
        location.hash = hash;
    }
}

let rendering = Promise.resolve();
let pending = false;
async function render() {
    // One render at a time; a request during one runs once after it.
    if (pending) {
        return rendering;
    }
    pending = true;
    rendering = rendering.then(async () => {
        pending = false;
        productCache = new Map();
        permissionCache = new Map();
        const [path, query] = location.hash.replace(/^#/, "").split("?");
        const params = new URLSearchParams(query ?? "");
        const parts = path.split("/").filter(Boolean);
        document
            .querySelectorAll("[data-nav]")
            .forEach((a) => a.classList.toggle("active", a.dataset.nav === (parts[0] ?? "dashboard")));
        let view;
        try {
            if (parts[0] === "releases" && parts[1]) {
                view = await releaseView(
                    decodeURIComponent(parts[1]),
                    parts[2] === "runs" ? decodeURIComponent(parts[3] ?? "") : undefined,
                );
            } else if (parts[0] === "releases") {
                view = await releases(params);
            } else {
                view = await dashboard(params);
            }
        } catch (e) {
            view = errorBox(e);
        }
        main.replaceChildren(view);
        main.dataset.view = parts[0] ?? "dashboard";
    });
    return rendering;
}

function connect() {
    const live = document.getElementById("live");
    const source = new EventSource(`${api}/events`);
    let timer;
    const refresh = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
            // The dialog keeps its own state: refresh the page behind it once it is closed.
            if (!dialog.open) {
                void render();
            }
        }, 150);
    };
    source.addEventListener("open", () => {
        live.textContent = "live";
        live.classList.add("on");
    });
    source.addEventListener("error", () => {
        live.textContent = "reconnecting";
        live.classList.remove("on");
    });
    source.addEventListener("release", refresh);
    source.addEventListener("environment", refresh);
    dialog.addEventListener("close", refresh);
}

window.addEventListener("hashchange", () => void render());
connect();
void render();
