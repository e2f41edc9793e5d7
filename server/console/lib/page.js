// The page's fixed parts (index.html) and navigation between views.

export const main = /** @type {HTMLElement} */ (document.getElementById("main"));
export const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("promote-dialog"));

/** @type {() => Promise<void>} */
let renderer = async () => undefined;

/**
 * Sets what draws the view of the current location (app.js's render).
 * @param {() => Promise<void>} render
 */
export function setRenderer(render) {
    renderer = render;
}

/** Draws the current view again (after an action changed what it shows). */
export const rerender = () => renderer();

/**
 * Goes to a view: `#/releases/ID`; the same location is drawn again.
 * @param {string} hash
 */
export function go(hash) {
    if (location.hash === hash) {
        void renderer();
    } else {
        location.hash = hash;
    }
}
