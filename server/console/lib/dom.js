// Building DOM: h() makes elements from text nodes, never innerHTML, so nothing from a record is ever parsed as
// HTML. Formatting helpers for what the views show.

const svgTags = ["svg", "g", "rect", "path", "text", "tspan", "title", "marker", "defs"];

/** @typedef {import("../types").Child} Child */

/**
 * An element's attributes; `onX` ones are event listeners.
 * @typedef {{ [name: string]: unknown, onclick?: (ev: MouseEvent) => unknown, onchange?: (ev: Event) => unknown }} Attrs
 */

/**
 * An element: h("div", {class: "x", onclick: f}, "text", child, [children]).
 * @template {string} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement}
 */
export function h(tag, attrs, ...children) {
    const svg = svgTags.includes(tag);
    const el = svg
        ? document.createElementNS("http://www.w3.org/2000/svg", tag)
        : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) {
        if (v === undefined || v === false || v === null) {
            continue;
        }
        if (k.startsWith("on")) {
            el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
        } else if (k === "value" && !svg) {
            /** @type {HTMLInputElement} */ (el).value = String(v);
        } else {
            el.setAttribute(k, v === true ? "" : String(v));
        }
    }
    /** @param {Child} c */
    const add = (c) => {
        if (Array.isArray(c)) {
            c.forEach(add);
        } else if (c !== undefined && c !== null && c !== false) {
            el.append(c instanceof Node ? c : document.createTextNode(String(c)));
        }
    };
    children.forEach(add);
    // An SVG element is not an HTMLElement, but the views use only what both have (attributes, children).
    return /** @type {any} */ (el);
}

/**
 * A status badge, in the one status vocabulary (DESIGN.md).
 * @param {string} s
 */
export const status = (s) => h("span", { class: `st st-${s}`, "data-status": s }, s);

/** @param {unknown} e */
export function errorBox(e) {
    return h("div", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e));
}

/**
 * `?k=v&…` of the params that have a value; "" when none has.
 * @param {Record<string, string | undefined>} params
 */
export function q(params) {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== "") {
            s.set(k, v);
        }
    }
    const t = s.toString();
    return t ? `?${t}` : "";
}

export const enc = encodeURIComponent;

/** @param {string | undefined} sha */
export const short = (sha) => (sha ? sha.slice(0, 7) : "");

/** @param {string | undefined} iso */
export function when(iso) {
    if (!iso) {
        return "";
    }
    const d = new Date(iso);
    return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/**
 * @param {string | undefined} from
 * @param {string} [to] now when absent
 */
export function duration(from, to) {
    if (!from) {
        return "";
    }
    const ms = (to ? new Date(to) : new Date()).getTime() - new Date(from).getTime();
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 60
        ? `${s}s`
        : s < 3600
          ? `${Math.floor(s / 60)}m${s % 60}s`
          : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/**
 * The form control (or button) an event came from.
 * @param {Event} ev
 */
export const controlOf = (ev) =>
    /** @type {HTMLInputElement | HTMLSelectElement | HTMLButtonElement} */ (ev.target);

/**
 * The value of the form control an event came from (a select's choice, an input's text).
 * @param {Event} ev
 */
export const valueOf = (ev) => controlOf(ev).value;
