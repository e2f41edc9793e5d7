// Products and the caller's permissions, read once per view (resetCaches() at each render), and the order the
// environments are shown in.
import { api, get } from "./api.js";
import { enc, q } from "./dom.js";

/** @typedef {import("../types").Product} Product */
/** @typedef {import("../types").Permissions} Permissions */

/** @type {Map<string, Promise<Product>>} */
let productCache = new Map();
/** @type {Map<string, Promise<Permissions>>} */
let permissionCache = new Map();

/** Forgets what was read: each view reads products and permissions afresh. */
export function resetCaches() {
    productCache = new Map();
    permissionCache = new Map();
}

/**
 * GET /products/{name}, once per view.
 * @param {string} name
 * @returns {Promise<Product>}
 */
export function productOf(name) {
    let product = productCache.get(name);
    if (!product) {
        product = get(`${api}/products/${enc(name)}`);
        productCache.set(name, product);
    }
    return product;
}

/**
 * GET /permissions?product=P: per environment and flow, allowed (with the rule) or refused (with the reason).
 * @param {string} name
 * @returns {Promise<Permissions>}
 */
export function permissionsOf(name) {
    let perms = permissionCache.get(name);
    if (!perms) {
        perms = get(`${api}/permissions${q({ product: name })}`);
        permissionCache.set(name, perms);
    }
    return perms;
}

/**
 * Why the user may not do `action` (an environment's or a flow's), or undefined when they may: the console
 * disables what is refused, with the reason as its title.
 * @param {Permissions | undefined} perms
 * @param {"environments" | "flows"} kind
 * @param {string} name
 * @param {string} action
 * @returns {string | undefined}
 */
export function refused(perms, kind, name, action) {
    const entry = perms?.[kind]?.find((x) => x.name === name);
    const d = /** @type {Record<string, {allowed: boolean, reason?: string}> | undefined} */ (
        entry?.actions
    )?.[action];
    return d && !d.allowed ? d.reason : undefined;
}

/**
 * Environments in flow order: each after the ones it depends on (the flows' steps and trigger
 * environments), ties in catalog order.
 * @param {Product[]} details
 * @param {string[]} catalogOrder
 * @returns {string[]}
 */
export function flowOrder(details, catalogOrder) {
    /** @type {Map<string, Set<string>>} */
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
    /** @type {Map<string, number>} */
    const depth = new Map();
    /**
     * @param {string} e
     * @param {Set<string>} [seen]
     * @returns {number}
     */
    const depthOf = (e, seen = new Set()) => {
        const known = depth.get(e);
        if (known !== undefined) {
            return known;
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
