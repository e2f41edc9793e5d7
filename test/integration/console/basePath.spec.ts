import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import type { RunningCli } from "../../support/cli";
import { startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { ReverseProxy } from "../../support/reverseProxy";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const chromiumPath = process.env.PROMOTIONS_CHROMIUM ?? "/usr/bin/chromium";
const prefix = "/promotions";

/**
 * The console and API behind a path prefix (issue 27): the real `promote serve` with PROMOTIONS_BASE_PATH, behind
 * a loopback reverse proxy that forwards only `/promotions/...` (path kept, as an Ingress does), driven by
 * Chromium. Every page load, module, fetch and the event stream must go under the prefix (the proxy answers 404
 * to anything else), and a promotion runs through the real engine and Git from the console.
 */
describe("the console behind a path prefix, through a reverse proxy", function () {
    // Deadlines, not timings: six people share two cores, and a release can take minutes under that load.
    this.timeout(300_000);

    let dir: string;
    let repo: GitopsRepo;
    let serve: RunningCli | undefined;
    let upstream: string;
    let proxy: ReverseProxy;
    let origin: string;
    let browser: BrowserContext;
    let page: Page;
    const pageErrors: string[] = [];
    const pageRequests: string[] = [];

    before(async function () {
        if (!fs.existsSync(chromiumPath)) {
            throw new Error(
                `Chromium is not installed at ${chromiumPath}: run 'apt-get install -y chromium'`,
            );
        }
        dir = tempDir("console-prefix");
        const s = cliScenario(dir, { environments: [{ name: "dev" }, { name: "qa" }], flows: [] });
        repo = s.repo;
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, 'tag: "1.0.1"'));
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, 'appVersion: "1.0.1"'));
        serve = startCli([...s.args, "serve", "--port", "0"], {
            env: {
                ...s.env,
                PROMOTIONS_BASE_PATH: `${prefix}/`,
                PROMOTIONS_WEBHOOK_SECRET: "base-path-spec-hook",
            },
        });
        await serve.waitFor(/listening on http:\S+/, 60_000);
        upstream = /listening on (http:\S+)/.exec(serve.output())![1];
        proxy = new ReverseProxy(new URL(upstream), prefix);
        origin = await proxy.listen();
        browser = await chromium.launchPersistentContext(path.join(dir, "chromium-profile"), {
            executablePath: chromiumPath,
            viewport: { width: 1280, height: 800 },
            headless: true,
            args: [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        });
        page = browser.pages()[0] ?? (await browser.newPage());
        page.on("pageerror", (e) => pageErrors.push(String(e)));
        page.on("console", (m) => {
            if (m.type() === "error") {
                pageErrors.push(`${m.text()} ${m.location().url}`);
            }
        });
        page.on("request", (r) => pageRequests.push(r.url()));
        page.setDefaultTimeout(120_000);
    });

    afterEach(() => {
        assert.deepStrictEqual(pageErrors.splice(0), []);
    });

    after(async () => {
        await browser?.close();
        await proxy?.close();
        serve?.child.kill("SIGTERM");
        await serve?.done;
        serve?.killGroup();
        removeTempDirs();
    });

    it("says where it listens with the prefix, answers there (API, webhooks), and only the probes and a redirect outside it", async () => {
        assert.match(upstream, /^http:\/\/127\.0\.0\.1:\d+\/promotions$/);
        const root = new URL(upstream).origin;
        const home = await fetch(`${root}/`, { redirect: "manual" });
        assert.strictEqual(home.status, 308);
        assert.strictEqual(home.headers.get("location"), `${prefix}/`);
        const outside = await fetch(`${root}/api/v1/products`);
        assert.strictEqual(outside.status, 404);
        assert.match(
            ((await outside.json()) as { error: { message: string } }).error.message,
            /this server answers under \/promotions\//,
        );
        for (const probe of [`${root}/healthz`, `${upstream}/healthz`, `${root}/readyz`]) {
            assert.strictEqual((await fetch(probe)).status, 200, probe);
        }
        const doc = (await (await fetch(`${upstream}/api/v1/openapi.json`)).json()) as {
            servers?: { url: string }[];
        };
        assert.deepStrictEqual(doc.servers, [{ url: prefix }]);
        assert.strictEqual((await fetch(`${upstream}/api/v1/products`)).status, 200);
        // GitHub's webhook is under the prefix too: there the receiver refuses an unsigned delivery, outside it
        // nothing answers for it.
        const hook = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
        assert.strictEqual((await fetch(`${upstream}/webhooks/github`, hook)).status, 401);
        assert.strictEqual((await fetch(`${root}/webhooks/github`, hook)).status, 404);
    });

    it("loads the console through the proxy: page, modules, style, API and event stream all under the prefix", async () => {
        await page.goto(`${origin}${prefix}/`);
        await page.locator("#live.on").waitFor();
        const card = (env: string) => page.locator(`.card[data-product="web"][data-environment="${env}"]`);
        assert.strictEqual(await card("dev").locator("[data-field=version]").textContent(), "1.0.1");
        assert.strictEqual(await card("qa").locator("[data-field=version]").textContent(), "1.0.0");
        assert.strictEqual(
            await page.locator('header nav a[href$="openapi.json"]').getAttribute("href"),
            `${prefix}/api/v1/openapi.json`,
        );
        // The style sheet applied (a module or sheet outside the prefix would have been a 404 from the proxy).
        assert.strictEqual(
            await page.evaluate("getComputedStyle(document.querySelector('header.top')).display"),
            "flex",
        );
        for (const wanted of [
            "/console/app.js",
            "/console/lib/api.js",
            "/console/views/dashboard.js",
            "/console/vendor/dagre.js",
            "/console/style.css",
            "/api/v1/products",
            "/api/v1/events",
        ]) {
            assert.ok(
                pageRequests.some((u) => u.startsWith(`${origin}${prefix}${wanted}`)),
                `${wanted}: ${pageRequests.join(" ")}`,
            );
        }
        assertAllUnderPrefix();
    });

    it("promotes dev to qa from the console: the dialog, the release view and its result, all under the prefix", async () => {
        await page
            .locator('.card[data-product="web"][data-environment="dev"] select.promote-to')
            .selectOption("qa");
        const dialog = page.locator("dialog[open]");
        await dialog.locator("table.diff").waitFor();
        assert.match((await dialog.locator("h1").textContent()) ?? "", /web: dev → qa/);
        await dialog.locator("button.primary").click();
        await page.locator('main h1 .st[data-status="Succeeded"]').waitFor({ timeout: 240_000 });
        const id = (await page.locator("main [data-release]").first().getAttribute("data-release")) ?? "";
        assert.match(page.url(), new RegExp(`^${origin}${prefix}/#/releases/`));
        assert.strictEqual(
            await page.locator('tr[data-environment="qa"] .st').first().getAttribute("data-status"),
            "Succeeded",
        );
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "1\.0\.1"/);
        assert.ok(
            pageRequests.some((u) => u === `${origin}${prefix}/api/v1/releases/${id}`),
            "the release view read the record under the prefix",
        );
        assert.ok(
            pageRequests.some((u) => u === `${origin}${prefix}/api/v1/session`),
            "the CSRF token",
        );
        // Back to the dashboard by the header's link: qa now has the version.
        await page.locator('header nav a[data-nav="dashboard"]').click();
        await page
            .locator('.card[data-environment="qa"] [data-field=version]', { hasText: "1.0.1" })
            .waitFor();
        assertAllUnderPrefix();
    });

    /** Nothing the page asked for left the prefix, and the proxy forwarded every request it got. */
    function assertAllUnderPrefix(): void {
        const outside = pageRequests.filter((u) => !u.startsWith(`${origin}${prefix}/`));
        assert.deepStrictEqual(outside, []);
        assert.deepStrictEqual(
            proxy.requests.filter((r) => !r.forwarded),
            [],
        );
    }
});
