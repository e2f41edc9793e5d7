/**
 * Benchmark: the web console's first render in Chromium (from the OS packages, driven by playwright-core), at
 * the sizes the console issue names: the Environments dashboard at 50 products × 30 environments (1,500
 * cards, from 151 API requests) and the Release view of a release with 100 environments (a dagre graph and
 * a table). Each is measured from navigation start to the frame after the last of its elements is in the
 * page, against a baseline: the same markup (captured from the rendered console) served as a static HTML
 * page with the same stylesheet. Prints medians and ratios. The server runs the real API over a fake engine
 * and catalog, so no releases need to exist.
 *
 *   npm run bench            (or: node dist/bench/console.bench.js [rounds])
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BrowserContext } from "playwright-core";
import { chromium } from "playwright-core";
import type { Definitions } from "../components/catalog";
import { buildCatalog } from "../components/catalog";
import { formatIssue } from "../components/issues";
import type { EnvironmentRecord, ReleaseRecord } from "../engine/record/releaseRecord";
import type { ServerEngine } from "../server/api";
import { PromotionsServer } from "../server/server";
import { median } from "./support";

const PRODUCTS = 50;
const ENVIRONMENTS = 30;
const RELEASE_ENVIRONMENTS = 100;
const rounds = Number(process.argv[2] ?? 3);
const chromiumPath = process.env.PROMOTIONS_CHROMIUM ?? "/usr/bin/chromium";

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const envNames = Array.from({ length: ENVIRONMENTS }, (_, i) => `env${pad(i, 2)}`);
const productNames = Array.from({ length: PRODUCTS }, (_, i) => `product${pad(i + 1, 2)}`);

/** 50 products, each with an application in each of 30 environments, and one 29-step flow. */
function definitions(): Definitions {
    return {
        environments: envNames.map((name, i) => ({
            name,
            kind: i === ENVIRONMENTS - 1 ? ("production" as const) : ("non-production" as const),
        })),
        promotionFlows: [
            {
                name: "chain",
                triggerEnvironment: envNames[0],
                steps: envNames.slice(1).map((environment, i) => ({ environment, dependsOn: [envNames[i]] })),
            },
        ],
        products: productNames.map((name, p) => ({
            name,
            tags: [`team-${p % 5}`],
            promotionTemplate: {
                versionSource: { file: "Chart.yaml", jsonPath: "$.appVersion" },
                promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } },
            },
            promotionFlows: [{ name: "chain" }],
            applications: envNames.map((environment) => ({
                name: `${name}-${environment}`,
                environment,
                repoURL: "https://git.example.com/gitops.git",
                path: `apps/${name}/${environment}`,
                targetRevision: "main",
            })),
        })),
    };
}

const sha = (n: number) => n.toString(16).padStart(40, "a");

function environment(name: string, dependsOn: string[], i: number): EnvironmentRecord {
    const at = new Date(Date.UTC(2026, 10, 23, 12, 0, i)).toISOString();
    return {
        name,
        status: "Succeeded",
        dependsOn,
        startedAt: at,
        finishedAt: at,
        applications: [
            {
                name: `app-${name}`,
                status: "Succeeded",
                action: "commit",
                repoURL: "https://git.example.com/gitops.git",
                commitSha: sha(i + 1),
                changes: [],
                preAction: {
                    workflow: "check",
                    status: "Succeeded",
                    runId: `local-${i}`,
                    startedAt: at,
                    finishedAt: at,
                },
            },
        ],
    } as unknown as EnvironmentRecord;
}

function record(id: string, product: string, environments: EnvironmentRecord[]): ReleaseRecord {
    return {
        id,
        product,
        flow: "chain",
        status: "Succeeded",
        createdAt: "2026-11-23T12:00:00Z",
        startedAt: "2026-11-23T12:00:00Z",
        finishedAt: "2026-11-23T12:10:00Z",
        sourceApplication: `${product}-env00`,
        sourceCommit: sha(0),
        version: "2.4.1",
        environments,
        candidate: {
            sourceApplication: `${product}-env00`,
            sourceRepoURL: "",
            sourcePath: "",
            sourceCommit: sha(0),
            files: [],
        },
        plan: { trigger: "env00", timeoutMs: 1000, concurrency: "queue", environments: [] },
        attempts: 1,
    } as unknown as ReleaseRecord;
}

/** Each product's last release reached every environment; the big release fans out into 10 chains of 10. */
function fakeEngine(): ServerEngine {
    const byProduct = new Map(
        productNames.map((p) => [
            p,
            [
                record(
                    `r-${p}`,
                    p,
                    envNames.slice(1).map((e, i) => environment(e, [envNames[i]], i)),
                ),
            ],
        ]),
    );
    const big = record(
        "r-big",
        productNames[0],
        Array.from({ length: RELEASE_ENVIRONMENTS }, (_, i) =>
            environment(`target${pad(i, 3)}`, [i % 10 === 0 ? "env00" : `target${pad(i - 1, 3)}`], i),
        ),
    );
    const refuse = () => Promise.reject(new Error("the benchmark's engine runs nothing"));
    return {
        preview: refuse,
        release: refuse,
        retry: refuse,
        terminate: refuse,
        releases: async (product) => byProduct.get(product) ?? [],
        find: async (id) => {
            if (id === big.id) {
                return big;
            }
            throw new Error(`no release ${id}`);
        },
    };
}

/** What the benchmark reads in the page (this project compiles without the DOM library). */
interface InPage {
    __readyAt?: number;
    document: { documentElement: { outerHTML: string }; querySelectorAll(s: string): { length: number } };
}

/**
 * Milliseconds from navigation start to the frame after `count` elements matching `selector` are in the
 * page, measured in the page (performance.now()); also returns the page's markup then.
 */
async function firstRender(
    context: BrowserContext,
    url: string,
    selector: string,
    count: number,
): Promise<{ ms: number; html: string; elements: number }> {
    const page = await context.newPage();
    try {
        // Page scripts as text: this project compiles without the DOM library.
        await page.addInitScript({
            content: `(() => {
                const selector = ${JSON.stringify(selector)};
                let seen = false;
                const check = () => {
                    if (!seen && document.querySelectorAll(selector).length >= ${count}) {
                        seen = true;
                        observer.disconnect();
                        requestAnimationFrame(() => setTimeout(() => (window.__readyAt = performance.now()), 0));
                    }
                };
                const observer = new MutationObserver(check);
                observer.observe(document, { childList: true, subtree: true });
                document.addEventListener("DOMContentLoaded", check);
            })();`,
        });
        await page.goto(url);
        // Functions, not strings: the console's Content-Security-Policy forbids eval.
        await page.waitForFunction(() => (globalThis as unknown as InPage).__readyAt !== undefined, null, {
            timeout: 300_000,
        });
        const { ms, html, elements } = await page.evaluate(() => {
            const g = globalThis as unknown as InPage;
            return {
                ms: g.__readyAt!,
                html: g.document.documentElement.outerHTML,
                elements: g.document.querySelectorAll("*").length,
            };
        });
        return { ms, html, elements };
    } finally {
        await page.close();
    }
}

/** The rendered page as a static one: the same markup and stylesheet, no script. */
function staticCopy(html: string): string {
    return `<!doctype html>\n${html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, "")}`;
}

async function main(): Promise<void> {
    if (!fs.existsSync(chromiumPath)) {
        console.log(
            `console bench skipped: Chromium is not installed at ${chromiumPath} (apt-get install -y chromium)`,
        );
        return;
    }
    const { catalog, issues } = buildCatalog(definitions());
    if (issues.length > 0) {
        throw new Error(issues.map(formatIssue).join("\n"));
    }
    const server = new PromotionsServer({
        catalog,
        engine: fakeEngine(),
        csrfToken: "console-bench-csrf-token-000000000000",
        eventPollMs: 600_000,
    });
    const baselines = new Map<string, string>();
    server.api.app.get("/bench/:name", (c) => c.html(baselines.get(c.req.param("name")) ?? "missing"));
    const base = await server.listen(0, "127.0.0.1");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "console-bench-"));
    const context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
        executablePath: chromiumPath,
        viewport: { width: 1280, height: 800 },
        headless: true,
        args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
        ],
    });
    try {
        const cases = [
            {
                name: "dashboard",
                what: `Environments dashboard, ${PRODUCTS} products × ${ENVIRONMENTS} environments`,
                url: `${base}/#/`,
                selector: ".card",
                count: PRODUCTS * ENVIRONMENTS,
            },
            {
                name: "release",
                what: `Release view, ${RELEASE_ENVIRONMENTS} environments`,
                url: `${base}/#/releases/r-big`,
                selector: ".graph g.node",
                // Every environment and the trigger environment as the graph's root.
                count: RELEASE_ENVIRONMENTS + 1,
            },
        ];
        console.log(`console first render in Chromium, median of ${rounds} (after one warm-up each)`);
        for (const c of cases) {
            const warm = await firstRender(context, c.url, c.selector, c.count);
            baselines.set(c.name, staticCopy(warm.html));
            const consoleMs: number[] = [];
            const staticMs: number[] = [];
            for (let i = 0; i < rounds; i++) {
                consoleMs.push((await firstRender(context, c.url, c.selector, c.count)).ms);
                staticMs.push(
                    (await firstRender(context, `${base}/bench/${c.name}`, c.selector, c.count)).ms,
                );
            }
            const [m, s] = [median(consoleMs), median(staticMs)];
            console.log(
                `  ${c.what} (${warm.elements} elements): console ${m.toFixed(0)} ms, static page ${s.toFixed(0)} ms: ${(m / s).toFixed(1)}×`,
            );
        }
    } finally {
        await context.close();
        await server.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
});
