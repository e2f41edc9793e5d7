// The web console of `promote serve`: plain ES modules served as they are (no bundling; `tsc` checks their
// JSDoc types in the build, server/console/tsconfig.json). Every value shown comes from the JSON API under
// /api/v1 (the same answers the CLI's --json prints) and the event stream at /api/v1/events, under the path
// prefix the console was served from (lib/api.js). Views live in views/, shared parts in lib/.
import { api } from "./lib/api.js";
import { resetCaches } from "./lib/catalog.js";
import { errorBox } from "./lib/dom.js";
import { dialog, main, setRenderer } from "./lib/page.js";
import { dashboard } from "./views/dashboard.js";
import { releaseView } from "./views/release.js";
import { releases } from "./views/releases.js";

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
        resetCaches();
        const [path, query] = location.hash.replace(/^#/, "").split("?");
        const params = new URLSearchParams(query ?? "");
        const parts = path.split("/").filter(Boolean);
        document
            .querySelectorAll("[data-nav]")
            .forEach((a) =>
                a.classList.toggle("active", a.getAttribute("data-nav") === (parts[0] ?? "dashboard")),
            );
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
    const live = /** @type {HTMLElement} */ (document.getElementById("live"));
    const source = new EventSource(`${api}/events`);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
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

setRenderer(render);
window.addEventListener("hashchange", () => void render());
connect();
void render();
