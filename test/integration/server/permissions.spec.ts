import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium } from "playwright-core";
import type { Catalog } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import type { ReleaseOptions } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import type { PermissionAction } from "../../../model/permissions";
import { InvalidInputError } from "../../../model/errors";
import type { Subject } from "../../../model/subject";
import type { ServerEngine } from "../../../server/api";
import { PromotionsServer } from "../../../server/server";
import type { OpenApiDoc } from "../../support/apiSchema";
import { ApiSchema } from "../../support/apiSchema";
import {
    admin,
    developer,
    permissionDefinitions,
    releaseManager,
    stranger,
} from "../../support/permissionRules";

/** A release of "shop" through the given environments (Failed: it may be retried or terminated). */
function record(id: string, flow: string, environments: string[]): ReleaseRecord {
    return {
        id,
        product: "shop",
        flow,
        status: "Failed",
        createdAt: "2026-11-23T12:00:00Z",
        sourceApplication: "shop-dev",
        sourceCommit: "a".repeat(40),
        environments: environments.map((name, i) => ({
            name,
            status: "Failed",
            dependsOn: [i === 0 ? "dev" : environments[i - 1]],
            applications: [],
        })),
        candidate: {
            sourceApplication: "shop-dev",
            sourceRepoURL: "file:///nowhere",
            sourcePath: "apps/shop/dev",
            sourceCommit: "a".repeat(40),
            files: [],
        },
        plan: { trigger: "dev", timeoutMs: 60_000, concurrency: "queue", environments: [] },
        attempts: 1,
    };
}

/** The engine behind the server: records what it was asked, answers at once (the matrix is about who may). */
class FakeEngine implements ServerEngine {
    readonly calls: string[] = [];
    private readonly records = new Map<string, ReleaseRecord>([
        ["r-qa", record("r-qa", "to-qa", ["qa"])],
        ["r-prod", record("r-prod", "to-prod", ["qa", "prod"])],
    ]);
    private next = 0;

    async preview() {
        this.calls.push("preview");
        return {
            product: "shop",
            flow: "to-qa",
            sourceApplication: "shop-dev",
            sourceCommit: "a",
            environments: [],
        };
    }
    async release(o: ReleaseOptions) {
        const t = o.target;
        const target = "flow" in t ? t.flow : "to" in t ? `${t.from}->${t.to}` : "rollback";
        this.calls.push(`release ${target}`);
        const r = {
            ...record(`r-new-${++this.next}`, "flow" in o.target ? o.target.flow : "manual", []),
            status: "Running" as const,
        };
        o.onCreated?.(r);
        return r;
    }
    async retry(id: string) {
        this.calls.push(`retry ${id}`);
        return { ...(await this.find(id)), status: "Running" as const };
    }
    async terminate(id: string) {
        this.calls.push(`terminate ${id}`);
        return { ...(await this.find(id)), status: "Terminated" as const };
    }
    async releases(product: string) {
        return [...this.records.values()].filter((r) => r.product === product);
    }
    async find(id: string) {
        const r = this.records.get(id);
        if (!r) {
            throw new InvalidInputError(`no release "${id}"`);
        }
        return r;
    }
}

interface Answer {
    readonly status: number;
    readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

describe("permissions: the matrix through the HTTP API", function () {
    this.timeout(60_000);

    const subjects: Record<string, Subject> = {
        developer,
        "release-manager": releaseManager,
        admin,
        stranger,
    };
    let catalog: Catalog;
    let engine: FakeEngine;
    let server: PromotionsServer;
    let base: string;
    let schema: ApiSchema;

    async function call(
        who: string | undefined,
        method: string,
        path: string,
        body?: unknown,
    ): Promise<Answer> {
        const res = await fetch(`${base}${path}`, {
            method,
            headers: {
                ...(who !== undefined ? { "x-test-subject": who } : {}),
                ...(body !== undefined ? { "content-type": "application/json" } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const answer = { status: res.status, body: (await res.json()) as Answer["body"] };
        if (schema) {
            assert.deepStrictEqual(
                schema.violations(method, path, res.status, answer.body),
                [],
                JSON.stringify(answer.body),
            );
        }
        return answer;
    }

    before(async () => {
        const built = buildCatalog(permissionDefinitions());
        assert.deepStrictEqual(built.issues, []);
        catalog = built.catalog;
        engine = new FakeEngine();
        server = new PromotionsServer({
            catalog,
            engine,
            csrfToken: "csrf-token-of-the-permissions-spec-0000",
            // The identity middleware's hook: here a test header names the subject.
            identify: (c) => subjects[c.req.header("x-test-subject") ?? ""],
        });
        base = await server.listen(0, "127.0.0.1");
        schema = new ApiSchema(
            (await call(undefined, "GET", "/api/v1/openapi.json")).body as unknown as OpenApiDoc,
        );
    });

    after(async () => {
        await server?.api.settled();
        await server?.close();
    });

    /** How each action is asked for a non-production (qa) and a production (prod) environment. */
    type Ask = (env: "qa" | "prod") => { method: string; path: string; body?: unknown; engineCall?: string };
    const routes: Partial<Record<PermissionAction, Ask>> = {
        promote: (env) => ({
            method: "POST",
            path: "/api/v1/releases",
            body: { product: "shop", from: "dev", to: env },
            engineCall: `release dev->${env}`,
        }),
        trigger: (env) => {
            const flow = env === "qa" ? "to-qa" : "to-prod";
            return {
                method: "POST",
                path: "/api/v1/releases",
                body: { product: "shop", flow },
                engineCall: `release ${flow}`,
            };
        },
        retry: (env) => ({
            method: "POST",
            path: `/api/v1/releases/r-${env}/retry`,
            body: {},
            engineCall: `retry r-${env}`,
        }),
        terminate: (env) => ({
            method: "POST",
            path: `/api/v1/releases/r-${env}/terminate`,
            engineCall: `terminate r-${env}`,
        }),
    };
    /** The actions with no route yet: answered by GET /permissions (per environment, or on the release). */
    const decided: PermissionAction[] = ["approve", "rollback", "hold", "override-window", "resume"];

    const yes = true;
    const no = false;
    // subject → action → [qa, prod]
    const matrix: Record<string, Partial<Record<PermissionAction, [boolean, boolean]>>> = {
        developer: {
            promote: [yes, no],
            trigger: [yes, no],
            retry: [yes, no],
            terminate: [no, no],
            approve: [no, no],
            rollback: [no, no],
            hold: [no, no],
            "override-window": [no, no],
            resume: [no, no],
        },
        "release-manager": {
            promote: [yes, yes],
            trigger: [no, no],
            retry: [yes, yes],
            terminate: [yes, yes],
            approve: [yes, yes],
            rollback: [yes, yes],
            hold: [yes, yes],
            "override-window": [no, no],
            resume: [no, no],
        },
        admin: {
            promote: [yes, yes],
            trigger: [yes, yes],
            retry: [yes, yes],
            terminate: [yes, yes],
            approve: [yes, yes],
            rollback: [yes, yes],
            hold: [yes, yes],
            "override-window": [yes, yes],
            resume: [yes, yes],
        },
    };
    const missingRule = (who: string, action: PermissionAction) =>
        new RegExp(
            `^no PromotionPermission allows user "${subjects[who].user}" \\(.*\\) to .*; add a rule with action ${action} covering it$`,
        );

    for (const [who, row] of Object.entries(matrix)) {
        it(`${who}: every action on a non-production and a production environment`, async () => {
            const got: string[] = [];
            const want: string[] = [];
            for (const [action, expected] of Object.entries(row) as [
                PermissionAction,
                [boolean, boolean],
            ][]) {
                for (const [i, env] of (["qa", "prod"] as const).entries()) {
                    want.push(`${action} ${env}: ${expected[i] ? "allowed" : "403"}`);
                    const ask = routes[action]?.(env);
                    if (ask) {
                        const before = engine.calls.length;
                        const a = await call(who, ask.method, ask.path, ask.body);
                        got.push(`${action} ${env}: ${a.status === 403 ? "403" : "allowed"}`);
                        if (a.status === 403) {
                            assert.strictEqual(a.body.error?.code, "forbidden");
                            assert.match(a.body.error?.message ?? "", missingRule(who, action));
                            assert.match(a.body.error?.message ?? "", new RegExp(`"${env}"`));
                            assert.strictEqual(
                                engine.calls.length,
                                before,
                                `${action} ${env}: the engine was called`,
                            );
                        } else {
                            assert.ok([200, 202].includes(a.status), JSON.stringify(a.body));
                            assert.strictEqual(engine.calls.at(-1), ask.engineCall);
                        }
                    } else {
                        assert.ok(decided.includes(action), action);
                        const p = await call(who, "GET", `/api/v1/permissions?product=shop&release=r-${env}`);
                        assert.strictEqual(p.status, 200, JSON.stringify(p.body));
                        type D = { allowed: boolean; rule?: string; reason?: string };
                        const envs = p.body.environments as { name: string; actions: Record<string, D> }[];
                        const release = p.body.release as { actions: Record<string, D> };
                        const d =
                            action === "resume"
                                ? release.actions.resume
                                : envs.find((e) => e.name === env)!.actions[action];
                        got.push(`${action} ${env}: ${d.allowed ? "allowed" : "403"}`);
                        if (!d.allowed) {
                            assert.match(d.reason ?? "", missingRule(who, action));
                        }
                    }
                }
            }
            assert.deepStrictEqual(got, want);
        });
    }

    it("reads: everyone with a rule in the product sees it; lists are filtered for those without", async () => {
        for (const who of ["developer", "release-manager", "admin"]) {
            assert.deepStrictEqual(
                ((await call(who, "GET", "/api/v1/products")).body as unknown as { name: string }[]).map(
                    (p) => p.name,
                ),
                ["shop"],
            );
            assert.strictEqual((await call(who, "GET", "/api/v1/products/shop")).status, 200);
            assert.strictEqual((await call(who, "GET", "/api/v1/releases/r-prod")).status, 200);
            const page = await call(who, "GET", "/api/v1/releases");
            assert.strictEqual((page.body.releases as unknown[]).length, 2);
        }
        assert.deepStrictEqual((await call("stranger", "GET", "/api/v1/products")).body, []);
        assert.deepStrictEqual((await call("stranger", "GET", "/api/v1/releases")).body, { releases: [] });
        for (const path of [
            "/api/v1/products/shop",
            "/api/v1/products/shop/environments",
            "/api/v1/releases/r-qa",
            "/api/v1/releases?product=shop",
            "/api/v1/permissions?product=shop",
        ]) {
            const a = await call("stranger", "GET", path);
            assert.strictEqual(a.status, 403, path);
            assert.match(
                a.body.error?.message ?? "",
                /user "guest" \(groups: visitors\) to view product "shop"; add a rule with action view covering it/,
            );
        }
        // An unknown release is still 404, for anyone.
        assert.strictEqual((await call("developer", "GET", "/api/v1/releases/r-none")).status, 404);
    });

    it("GET /permissions: per environment and flow, the rule that allows or the reason, for the console", async () => {
        const p = await call("developer", "GET", "/api/v1/permissions?product=shop");
        assert.deepStrictEqual(p.body.subject, { user: "dev1", groups: ["developers"], via: "token" });
        assert.deepStrictEqual(p.body.products, ["shop"]);
        const envs = p.body.environments as {
            name: string;
            actions: Record<string, { allowed: boolean; rule?: string; reason?: string }>;
        }[];
        assert.deepStrictEqual(
            envs.map((e) => [
                e.name,
                e.actions.promote.allowed,
                e.actions.promote.rule ?? e.actions.promote.reason,
            ]),
            [
                ["dev", true, "developers-non-production"],
                [
                    "prod",
                    false,
                    'no PromotionPermission allows user "dev1" (groups: developers) to promote to environment "prod" of product "shop"; add a rule with action promote covering it',
                ],
                ["qa", true, "developers-non-production"],
            ],
        );
        const flows = p.body.flows as { name: string; actions: { trigger: { allowed: boolean } } }[];
        assert.deepStrictEqual(
            flows.map((f) => [f.name, f.actions.trigger.allowed]),
            [
                ["to-qa", true],
                ["to-prod", false],
            ],
        );
    });

    it("the local user of a loopback server without rules may do everything", async () => {
        const open = new PromotionsServer({
            catalog: { ...catalog, permissions: [] },
            engine: new FakeEngine(),
            csrfToken: "csrf-token-of-the-permissions-spec-0001",
        });
        const url = await open.listen(0, "127.0.0.1");
        try {
            const post = await fetch(`${url}/api/v1/releases/r-prod/terminate`, { method: "POST" });
            assert.strictEqual(post.status, 200);
            const p = (await (
                await fetch(`${url}/api/v1/permissions?product=shop`)
            ).json()) as Answer["body"];
            assert.deepStrictEqual(p.subject, { user: "local", groups: [], via: "loopback" });
            assert.strictEqual(p.rules, 0);
        } finally {
            await open.close();
        }
    });

    it("the console disables what the user may not do, with the reason as the title", async () => {
        const chromiumPath = process.env.PROMOTIONS_CHROMIUM ?? "/usr/bin/chromium";
        if (!fs.existsSync(chromiumPath)) {
            throw new Error(
                `Chromium is not installed at ${chromiumPath}: run 'apt-get install -y chromium'`,
            );
        }
        const profile = fs.mkdtempSync(path.join(os.tmpdir(), "permissions-chromium-"));
        const browser = await chromium.launchPersistentContext(profile, {
            executablePath: chromiumPath,
            headless: true,
            // The developer, through the test's identify hook.
            extraHTTPHeaders: { "x-test-subject": "developer" },
            args: [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ],
        });
        try {
            const page = browser.pages()[0] ?? (await browser.newPage());
            const errors: string[] = [];
            page.on("pageerror", (e) => errors.push(String(e)));
            await page.goto(`${base}/`);
            const dev = page.locator('.card[data-product="shop"][data-environment="dev"]');
            await dev.waitFor();
            const option = (select: string, value: string) =>
                dev.locator(`select.${select} option[value="${value}"]`);
            assert.strictEqual(await option("promote-to", "qa").isDisabled(), false);
            assert.strictEqual(await option("promote-to", "prod").isDisabled(), true);
            assert.match(
                (await option("promote-to", "prod").getAttribute("title")) ?? "",
                /^no PromotionPermission allows user "dev1" \(groups: developers\) to promote to environment "prod" of product "shop"; add a rule with action promote covering it$/,
            );
            assert.strictEqual(await option("trigger-flow", "to-qa").isDisabled(), false);
            assert.strictEqual(await option("trigger-flow", "to-prod").isDisabled(), true);
            assert.match(
                (await option("trigger-flow", "to-prod").getAttribute("title")) ?? "",
                /to trigger flow "to-prod"/,
            );
            // The release view: retry is the developer's on qa only; terminate is not theirs at all.
            await page.goto(`${base}/#/releases/r-prod`);
            await page.locator("#terminate").waitFor();
            assert.strictEqual(await page.locator("#terminate").isDisabled(), true);
            assert.match(
                (await page.locator("#terminate").getAttribute("title")) ?? "",
                /to terminate releases in environments "qa", "prod"/,
            );
            assert.match(
                (await page.locator("#retry").getAttribute("title")) ?? "",
                /to retry releases in environment "prod"/,
            );
            await page.goto(`${base}/#/releases/r-qa`);
            await page.locator('main [data-release="r-qa"]').waitFor();
            assert.strictEqual(await page.locator("#retry").isDisabled(), false);
            assert.strictEqual(await page.locator("#retry").getAttribute("title"), null);
            assert.deepStrictEqual(errors, []);
        } finally {
            await browser.close();
            fs.rmSync(profile, { recursive: true, force: true });
        }
    });
});
