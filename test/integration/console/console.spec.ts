import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { buildCatalog } from "../../../components/catalog";
import type { PromoteEngine } from "../../../engine/promoteEngine";
import { PromotionsServer } from "../../../server/server";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * The web console in a real browser: Chromium from the OS packages (never downloaded), driven by
 * playwright-core, against the real server, engine and Git. Each page's screenshot goes to docs/screenshots/.
 */

const chromiumPath = process.env.PROMOTIONS_CHROMIUM ?? "/usr/bin/chromium";
const screenshots = path.resolve(__dirname, "..", "..", "..", "..", "docs", "screenshots");

function ship(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
}

describe("the web console, in Chromium", function () {
    // Deadlines, not timings: six people share two cores, and a release can take minutes under that load.
    this.timeout(300_000);

    let dir: string;
    let repo: GitopsRepo;
    let server: PromotionsServer;
    let base: string;
    let browser: BrowserContext;
    let page: Page;
    let broken: string;
    let failedId: string;
    let engine: PromoteEngine;
    const pageErrors: string[] = [];

    /** The release shown by the release view, once its status is `status`. */
    async function releaseShown(status: string): Promise<string> {
        await page.locator(`main h1 .st[data-status="${status}"]`).waitFor({ timeout: 240_000 });
        return (await page.locator("main [data-release]").first().getAttribute("data-release")) ?? "";
    }

    before(async function () {
        if (!fs.existsSync(chromiumPath)) {
            // The install step (scripts/install.sh) installs it when it can: say what is missing, loudly.
            throw new Error(
                `Chromium is not installed at ${chromiumPath}: run 'apt-get install -y chromium'`,
            );
        }
        dir = tempDir("console");
        broken = path.join(dir, "broken");
        const s = cliScenario(dir, {
            environments: [
                { name: "dev" },
                { name: "qa" },
                { name: "staging" },
                { name: "prod", kind: "production" },
            ],
            flows: [
                {
                    name: "fan",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "staging", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa", "staging"] },
                    ],
                },
            ],
            policies: [{ name: "checked", priority: 1, selector: {}, policy: { preAction: "check" } }],
            workflows: [
                {
                    kind: "local",
                    name: "check",
                    command: `test ! -f ${broken} || { echo "checked $VERSION in $ENVIRONMENT: broken"; exit 1; }`,
                },
            ],
        });
        repo = s.repo;
        const { catalog, issues } = buildCatalog(s.defs);
        assert.deepStrictEqual(issues, []);
        const feeds: PromotionsServer["progress"][] = [];
        engine = await testPromoteEngine(dir, catalog, {
            onProgress: (e) => feeds.forEach((f) => f(e)),
        });
        server = new PromotionsServer({
            catalog,
            engine,
            csrfToken: "csrf-token-of-the-console-test-0000000000",
            eventPollMs: 500,
            git: { cacheDir: path.join(dir, "git-cache") },
        });
        feeds.push(server.progress);
        base = await server.listen(0, "127.0.0.1");
        // A fresh profile for every run (Playwright passes it as --user-data-dir).
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
        // Any script error or failed request in the page fails the test it happens in.
        page.on("pageerror", (e) => pageErrors.push(String(e)));
        page.on("console", (m) => {
            if (m.type() === "error") {
                pageErrors.push(`${m.text()} ${m.location().url}`);
            }
        });
        page.setDefaultTimeout(120_000);
        fs.mkdirSync(screenshots, { recursive: true });
        ship(repo, "1.0.1");
    });

    afterEach(() => {
        assert.deepStrictEqual(pageErrors.splice(0), []);
    });

    after(async () => {
        await browser?.close();
        await server?.api.settled();
        await server?.close();
        removeTempDirs();
    });

    it("the dashboard shows each environment's version in flow order, production marked, drift and holds; compact and detailed modes", async () => {
        await engine.hold({ product: "web", environment: "staging", by: "alice", reason: "load test" });
        try {
            await page.goto(`${base}/`);
            await page.locator("#live.on").waitFor();
            const card = (env: string) =>
                page.locator(`.card[data-product="web"][data-environment="${env}"]`);
            assert.strictEqual(await card("dev").locator("[data-field=version]").textContent(), "1.0.1");
            assert.strictEqual(await card("qa").locator("[data-field=version]").textContent(), "1.0.0");
            assert.match(
                (await card("qa").locator("[data-field=drift]").textContent()) ?? "",
                /dev has 1\.0\.1/,
            );
            assert.strictEqual(await card("dev").locator("[data-field=drift]").count(), 0);
            const columns = await page
                .locator(".column")
                .evaluateAll((els) => els.map((e) => e.getAttribute("data-environment")));
            assert.strictEqual(columns[0], "dev");
            assert.strictEqual(columns[3], "prod");
            assert.match(
                (await page.locator('.column[data-environment="prod"] h2').textContent()) ?? "",
                /production/,
            );
            // The held environment's card says who holds it and why.
            assert.strictEqual(
                await card("staging").locator("[data-field=hold]").textContent(),
                "held by alice: load test",
            );
            assert.strictEqual(await card("staging").getAttribute("data-held"), "true");
            assert.strictEqual(await card("qa").locator("[data-field=hold]").count(), 0);
            await page.screenshot({ path: path.join(screenshots, "dashboard.png") });

            // Compact: the detail lines and menus go, name, version, hold and drift stay; the choice is remembered.
            const board = page.locator(".board");
            assert.strictEqual(await board.getAttribute("data-mode"), "detailed");
            assert.strictEqual(await card("staging").locator(".meta").first().isVisible(), true);
            await page.locator("#mode-toggle").click();
            assert.strictEqual(await board.getAttribute("data-mode"), "compact");
            assert.strictEqual(await page.locator("#mode-toggle").getAttribute("aria-pressed"), "true");
            assert.strictEqual(await card("staging").locator(".meta").first().isVisible(), false);
            assert.strictEqual(await card("staging").locator("select.promote-to").isVisible(), false);
            assert.strictEqual(await card("staging").locator("[data-field=hold]").isVisible(), true);
            assert.strictEqual(await card("qa").locator("[data-field=drift]").isVisible(), true);
            assert.strictEqual(
                await page.evaluate(() => localStorage.getItem("promotions.console.dashboardMode")),
                "compact",
            );
            await page.screenshot({ path: path.join(screenshots, "dashboard-compact.png") });
            await page.locator("#mode-toggle").click();
            assert.strictEqual(await board.getAttribute("data-mode"), "detailed");
        } finally {
            await engine.releaseHold({ product: "web", environment: "staging", by: "alice" });
        }
    });

    it("dragging a card from dev to qa opens the dialog with the policy and diff; Promote runs it live", async () => {
        await page
            .locator('.card[data-product="web"][data-environment="dev"]')
            .dragTo(page.locator('.column[data-environment="qa"]'));
        const dialog = page.locator("dialog[open]");
        await dialog.locator("table.diff").waitFor();
        assert.match((await dialog.locator("h1").textContent()) ?? "", /web: dev → qa/);
        assert.strictEqual(await dialog.locator("select[name=action]").inputValue(), "commit");
        assert.strictEqual(await dialog.locator("input[name=preAction]").inputValue(), "check");
        const diff = (await dialog.locator("table.diff").textContent()) ?? "";
        assert.match(diff, /"1\.0\.0"/);
        assert.match(diff, /"1\.0\.1"/);
        await dialog.locator("textarea[name=message]").fill("QA sign-off for ticket OPS-42");
        await page.screenshot({ path: path.join(screenshots, "dialog.png") });
        await dialog.getByRole("button", { name: "Promote" }).click();
        await page.waitForURL(/#\/releases\/[^/]+$/);
        // It finishes without a reload: the event stream refreshes the view.
        const id = await releaseShown("Succeeded");
        assert.ok(id);
        // The dialog's commit message is in the promotion commit's body, under its usual subject.
        const commit = repo.log()[0];
        assert.match(commit.subject, /^promote web 1\.0\.1 to qa$/);
        assert.match(commit.body, /\n\nQA sign-off for ticket OPS-42\n\nRelease /);
        assert.strictEqual(
            await page.locator('tr[data-environment="qa"] .st').first().getAttribute("data-status"),
            "Succeeded",
        );
        await page.goto(`${base}/#/`);
        await page.locator('.card[data-environment="qa"] [data-field=version]').waitFor();
        assert.strictEqual(
            await page.locator('.card[data-environment="qa"] [data-field=version]').textContent(),
            "1.0.1",
        );
    });

    it("the release view draws the fan-in flow with dagre: prod has two edges in, from qa and staging", async () => {
        ship(repo, "1.2.0");
        await page.goto(`${base}/#/`);
        // The menu path for a flow: "Trigger flow…" on the trigger environment's card, with every step's diff.
        await page
            .locator('.card[data-product="web"][data-environment="dev"] select.trigger-flow')
            .selectOption("fan");
        const dialog = page.locator("dialog[open]");
        await dialog.locator('table.diff tr[data-environment="prod"]').waitFor();
        assert.match(
            (await dialog.locator('tr[data-environment="prod"]').textContent()) ?? "",
            /"1\.0\.0" → "1\.2\.0"/,
        );
        await dialog.getByRole("button", { name: "Trigger" }).click();
        await page.waitForURL(/#\/releases\/[^/]+$/);
        await releaseShown("Succeeded");
        const into = await page
            .locator('.graph path.edge[data-to="prod"]')
            .evaluateAll((els) => els.map((e) => e.getAttribute("data-from")).sort());
        assert.deepStrictEqual(into, ["qa", "staging"]);
        assert.strictEqual(await page.locator(".graph g.node").count(), 4);
        assert.strictEqual(
            await page.locator('.graph g.node[data-environment="prod"]').getAttribute("data-status"),
            "Succeeded",
        );
        // Laid out left to right: prod is to the right of both its dependencies. Read in one go: the view
        // redraws the graph as the release's events arrive, so a node found a moment earlier may be gone.
        const x = await page
            .locator(".graph g.node")
            .evaluateAll((els) =>
                Object.fromEntries(
                    els.map((e) => [e.getAttribute("data-environment"), e.getBoundingClientRect().x]),
                ),
            );
        assert.ok(x.prod > x.qa && x.prod > x.staging, JSON.stringify(x));
        await page.screenshot({ path: path.join(screenshots, "release-view.png") });
    });

    it("a failed release shows its issue; the releases list filters by status", async () => {
        fs.writeFileSync(broken, "");
        ship(repo, "1.3.0");
        await page.goto(`${base}/#/`);
        // The keyboard and menu path: "Promote to…" on the card.
        await page
            .locator('.card[data-product="web"][data-environment="dev"] select.promote-to')
            .selectOption("qa");
        await page.locator("dialog[open] table.diff").waitFor();
        await page.locator("dialog[open]").getByRole("button", { name: "Promote" }).click();
        failedId = await releaseShown("Failed");
        assert.match((await page.locator("#issues").textContent()) ?? "", /pre-action|check|broken/i);
        assert.strictEqual(await page.locator("#retry").isEnabled(), true);
        // The gate's log, from its run's link.
        await page.locator('tr[data-environment="qa"] a.log-link').first().click();
        await page.locator("pre.log").waitFor();
        assert.match((await page.locator("pre.log").textContent()) ?? "", /checked 1\.3\.0 in qa: broken/);

        await page.goto(`${base}/#/releases?product=web`);
        await page.locator("#releases tr[data-release]").first().waitFor();
        assert.strictEqual(await page.locator("#releases tr[data-release]").count(), 3);
        // One status column per environment; a failed one's reason on hover.
        const headers = await page
            .locator("#releases th")
            .evaluateAll((els) => els.map((e) => e.textContent));
        assert.deepStrictEqual(headers.slice(5), ["qa", "staging", "prod"]);
        const failedQa = page.locator(`#releases tr[data-release="${failedId}"] td:nth-child(6)`);
        assert.strictEqual(await failedQa.locator(".st").getAttribute("data-status"), "Failed");
        assert.match((await failedQa.getAttribute("title")) ?? "", /check|broken/i);
        await page.locator("#status-filter").selectOption("Failed");
        await page.locator('[data-filter="?product=web&status=Failed"] #releases').waitFor();
        const failed = await page
            .locator("#releases tr[data-release]")
            .evaluateAll((els) => els.map((e) => e.getAttribute("data-release")));
        assert.deepStrictEqual(failed, [failedId]);
        await page.locator("#status-filter").selectOption("Succeeded");
        await page.locator('[data-filter="?product=web&status=Succeeded"] #releases').waitFor();
        const succeeded = await page
            .locator("#releases tr[data-release] td:nth-child(5) .st")
            .evaluateAll((els) => els.map((e) => e.textContent));
        assert.deepStrictEqual(succeeded, ["Succeeded", "Succeeded"]);
        await page.locator("#status-filter").selectOption("");
        await page.locator('[data-filter="?product=web"] #releases').waitFor();
        await page.screenshot({ path: path.join(screenshots, "releases.png") });
    });

    it("Retry in the release view resumes the failed release, which then succeeds live", async () => {
        fs.rmSync(broken);
        await page.goto(`${base}/#/releases/${failedId}`);
        await releaseShown("Failed");
        await page.locator("#retry").click();
        assert.strictEqual(await releaseShown("Succeeded"), failedId);
        assert.strictEqual(await page.locator("#issues").count(), 0);
        // Who started it and who retried it: the console's user (loopback: `local`).
        assert.match((await page.locator("#initiator").textContent()) ?? "", /^local \(loopback\)$/);
        const audit = (await page.locator("#audit li").allTextContents()).join("\n");
        assert.match(audit, /local \(loopback\): (trigger|promote)/);
        assert.match(audit, /local \(loopback\): retry/);
    });
});
