import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium } from "playwright-core";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Catalog } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import type { AccessToken, TokenStore } from "../../../engine/governance/accessTokens";
import { AccessTokens } from "../../../engine/governance/accessTokens";
import type { ReleaseOptions } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { InvalidInputError } from "../../../model/errors";
import type { ServerEngine } from "../../../server/api";
import { apiBase, createApi } from "../../../server/api";
import { Identity } from "../../../server/auth/identify";
import { matchRoute, routePermissions } from "../../../server/permissions";
import { PromotionsServer } from "../../../server/server";
import { webhookPath } from "../../../engine/triggers/webhookReceiver";
import { permissionDefinitions } from "../../support/permissionRules";

/**
 * Every route of `promote serve`, every method, every kind of caller, and the status each must get (issue 23).
 * The server is the real one (identity middleware, API tokens hashed and revoked by AccessTokens, the catalog's
 * PromotionPermission rules); only the engine behind it is a hand-written fake that records what it was asked,
 * so a refused call can be shown to have reached nothing.
 */

const identities = ["none", "unknown token", "revoked token", "rules forbid", "rules allow"] as const;
type Statuses = readonly [number, number, number, number, number];

/** Anyone with a valid token may; the rest need credentials. */
const open: Statuses = [401, 401, 401, 200, 200];
/** A view of product "shop", which the forbidden caller has no rule in. */
const viewShop: Statuses = [401, 401, 401, 403, 200];
/** A view of shop, on a route this server does not serve (no metrics given): 404 once allowed. */
const viewShopNone: Statuses = [401, 401, 401, 403, 404];
const started: Statuses = [401, 401, 401, 403, 202];
const acted: Statuses = [401, 401, 401, 403, 200];
/** A method the path has no route for: credentials first, then 404 for anyone. */
const unrouted: Statuses = [401, 401, 401, 404, 404];
/** The console's files: outside the API, no credentials needed. */
const page: Statuses = [200, 200, 200, 200, 200];
const noPage: Statuses = [404, 404, 404, 404, 404];

const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
type Method = (typeof methods)[number];

interface Row {
    /** The path asked (the route's parameters filled in). */
    readonly url: string;
    /** JSON bodies by method (POST). */
    readonly body?: unknown;
    /** Each method's statuses; a method not listed is {@link unrouted} (or {@link noPage} outside the API). */
    readonly expect: Partial<Record<Method, Statuses>>;
}

/** The table: one row per route the app registers (Hono's pattern), HEAD beside each GET. */
const table: Record<string, Row> = {
    "/": { url: "/", expect: { GET: page, HEAD: page } },
    "/console/app.js": { url: "/console/app.js", expect: { GET: page, HEAD: page } },
    "/console/style.css": { url: "/console/style.css", expect: { GET: page, HEAD: page } },
    "/console/vendor/dagre.js": { url: "/console/vendor/dagre.js", expect: { GET: page, HEAD: page } },
    "/console/:folder/:module": {
        url: "/console/views/release.js",
        expect: { GET: page, HEAD: page },
    },
    "/api/v1/session": { url: "/api/v1/session", expect: { GET: open, HEAD: open } },
    "/api/v1/openapi.json": { url: "/api/v1/openapi.json", expect: { GET: open, HEAD: open } },
    "/api/v1/me": { url: "/api/v1/me", expect: { GET: open, HEAD: open } },
    "/api/v1/permissions": { url: "/api/v1/permissions", expect: { GET: open, HEAD: open } },
    "/api/v1/events": { url: "/api/v1/events", expect: { GET: open, HEAD: open } },
    "/api/v1/products": { url: "/api/v1/products", expect: { GET: open, HEAD: open } },
    // A view of every product (here only shop); this server keeps no metrics, so the route answers 404.
    "/api/v1/metrics": { url: "/api/v1/metrics", expect: { GET: viewShopNone, HEAD: viewShopNone } },
    "/api/v1/products/:product": { url: "/api/v1/products/shop", expect: { GET: viewShop, HEAD: viewShop } },
    "/api/v1/products/:product/environments": {
        url: "/api/v1/products/shop/environments",
        expect: { GET: viewShop, HEAD: viewShop },
    },
    "/api/v1/products/:product/holds": {
        url: "/api/v1/products/shop/holds",
        expect: { GET: viewShop, HEAD: viewShop },
    },
    "/api/v1/products/:product/preview": {
        url: "/api/v1/products/shop/preview?from=dev&to=qa",
        expect: { GET: viewShop, HEAD: viewShop },
    },
    "/api/v1/releases": {
        url: "/api/v1/releases",
        body: { product: "shop", from: "dev", to: "qa" },
        // The list shows only what the caller may view; starting one needs promote.
        expect: { GET: open, HEAD: open, POST: started },
    },
    "/api/v1/releases/:id": { url: "/api/v1/releases/r-qa", expect: { GET: viewShop, HEAD: viewShop } },
    "/api/v1/releases/:id/runs/:runId/log": {
        url: "/api/v1/releases/r-qa/runs/run-1/log",
        expect: { GET: viewShop, HEAD: viewShop },
    },
    "/api/v1/releases/:id/retry": { url: "/api/v1/releases/r-qa/retry", body: {}, expect: { POST: started } },
    "/api/v1/releases/:id/terminate": { url: "/api/v1/releases/r-qa/terminate", expect: { POST: acted } },
    "/api/v1/releases/:id/approve": {
        url: "/api/v1/releases/r-qa/approve",
        body: { environment: "qa" },
        expect: { POST: acted },
    },
    "/api/v1/releases/:id/reject": {
        url: "/api/v1/releases/r-qa/reject",
        body: { environment: "qa" },
        expect: { POST: acted },
    },
    "/api/v1/releases/:id/resume": {
        url: "/api/v1/releases/r-qa/resume",
        body: {},
        expect: { POST: started },
    },
};

/**
 * Routes `promote serve` answers before the API app (server/server.ts): the GitHub webhook, whose HMAC signature
 * is its only credential (a bearer token means nothing there).
 */
const rawTable: Record<string, Row> = {
    [webhookPath]: {
        url: webhookPath,
        body: { ref: "refs/heads/main" },
        expect: { POST: [401, 401, 401, 401, 401] },
    },
};

/** Each `METHOD pattern` the app answers (HEAD beside each GET, as Hono answers it) that the table lacks. */
export function missingRows(app: OpenAPIHono, rows: Record<string, Row>): string[] {
    const registered = new Set<string>();
    for (const r of app.routes) {
        if (r.method === "ALL") {
            continue;
        }
        registered.add(`${r.method} ${r.path}`);
        if (r.method === "GET") {
            registered.add(`HEAD ${r.path}`);
        }
    }
    return [...registered].filter((k) => {
        const [method, path] = k.split(" ") as [Method, string];
        return rows[path]?.expect[method] === undefined;
    });
}

/** Each `METHOD pattern` of the table the app does not answer (a row left behind by a removed route). */
function staleRows(app: OpenAPIHono, rows: Record<string, Row>): string[] {
    const registered = new Set(app.routes.map((r) => `${r.method} ${r.path}`));
    return Object.entries(rows).flatMap(([path, row]) =>
        Object.keys(row.expect)
            .map((m) => `${m} ${path}`)
            .filter((k) => !registered.has(k.replace(/^HEAD /, "GET "))),
    );
}

function record(id: string, environments: string[]): ReleaseRecord {
    return {
        id,
        product: "shop",
        flow: "to-qa",
        status: "Failed",
        createdAt: "2026-11-23T12:00:00Z",
        sourceApplication: "shop-dev",
        sourceCommit: "a".repeat(40),
        environments: environments.map((name) => ({
            name,
            status: "Failed",
            dependsOn: ["dev"],
            applications: [],
        })),
        hooks: [{ workflow: "notify", runId: "run-1", status: "Succeeded", log: "sent" }],
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

/** The engine behind the server: records each call it gets and answers at once. */
class RecordingEngine implements ServerEngine {
    readonly calls: string[] = [];
    readonly released: ReleaseOptions[] = [];
    private readonly records = new Map([["r-qa", record("r-qa", ["qa"])]]);

    async preview() {
        this.calls.push("preview");
        return {
            product: "shop",
            flow: "manual",
            sourceApplication: "shop-dev",
            sourceCommit: "a",
            environments: [],
        };
    }
    async release(o: ReleaseOptions) {
        this.calls.push("release");
        this.released.push(o);
        const r = { ...record(`r-new-${this.released.length}`, []), status: "Running" as const };
        o.onCreated?.(r);
        return r;
    }
    async retry(id: string) {
        this.calls.push(`retry ${id}`);
        return { ...(await this.find(id)), status: "Running" as const };
    }
    async resume(id: string) {
        this.calls.push(`resume ${id}`);
        return { ...(await this.find(id)), status: "Running" as const };
    }
    async terminate(id: string) {
        this.calls.push(`terminate ${id}`);
        return { ...(await this.find(id)), status: "Terminated" as const };
    }
    async approve(id: string) {
        this.calls.push(`approve ${id}`);
        return this.find(id);
    }
    async reject(id: string) {
        this.calls.push(`reject ${id}`);
        return this.find(id);
    }
    async holds() {
        this.calls.push("holds");
        return [];
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

/** Tokens kept in memory: the real AccessTokens rules (hashing, revocation) over a plain list. */
class MemoryTokens implements TokenStore {
    private readonly tokens = new Map<string, AccessToken>();
    async list() {
        return [...this.tokens.values()];
    }
    async put(t: AccessToken) {
        this.tokens.set(t.id, t);
    }
}

/** The permission matrix's world, with a gate on qa (a pre-action its policy sets) and one who may override it. */
function catalogWithGate(): Catalog {
    const d = permissionDefinitions();
    const built = buildCatalog({
        ...d,
        promotionWorkflows: [
            { name: "qa-checks", kind: "local", command: ["true"] },
            { name: "noop", kind: "local", command: ["true"] },
        ],
        promotionPolicies: [
            {
                name: "qa-gate",
                priority: 10,
                selector: { targetEnvironment: { names: ["qa"] } },
                policy: { preAction: "qa-checks" },
            },
        ],
        promotionPermissions: [
            ...(d.promotionPermissions ?? []),
            {
                name: "gatekeepers",
                subjects: [{ group: "gatekeepers" }],
                actions: ["promote", "override-policy"],
                environments: { kinds: ["non-production"] },
            },
        ],
    });
    assert.deepStrictEqual(built.issues, []);
    return built.catalog;
}

describe("the API's route table: every route, every method, every kind of caller", function () {
    this.timeout(60_000);

    let engine: RecordingEngine;
    const pushes: string[] = [];
    let server: PromotionsServer;
    let base: string;
    const bearer: Record<(typeof identities)[number], Record<string, string>> = {
        none: {},
        "unknown token": {},
        "revoked token": {},
        "rules forbid": {},
        "rules allow": {},
    };
    const tokenOf: Record<string, string> = {};

    before(async () => {
        const store = new MemoryTokens();
        const tokens = new AccessTokens(store);
        const make = async (user: string, ...groups: string[]) => {
            const t = await tokens.create({ user, groups, createdBy: "test" });
            tokenOf[user] = t.token;
            return t;
        };
        const revoked = await make("gone", "release-managers");
        await tokens.revoke(revoked.info.id, "test");
        bearer["revoked token"] = { Authorization: `Bearer ${revoked.token}` };
        bearer["unknown token"] = { Authorization: `Bearer pp_${"x".repeat(43)}` };
        bearer["rules forbid"] = { Authorization: `Bearer ${(await make("guest", "visitors")).token}` };
        bearer["rules allow"] = { Authorization: `Bearer ${(await make("root")).token}` };
        await make("dev1", "developers");
        await make("keeper", "gatekeepers");
        engine = new RecordingEngine();
        server = new PromotionsServer({
            catalog: catalogWithGate(),
            engine,
            csrfToken: "csrf-token-of-the-route-table-spec-00",
            // As `serve` bound beyond loopback with rules: every API call needs a credential.
            identity: new Identity({ loopback: false, tokens: () => store.list() }),
            webhook: { secret: "route-table-webhook-secret", onPush: (delivery) => pushes.push(delivery) },
        });
        base = await server.listen(0, "127.0.0.1");
    });

    after(async () => {
        await server?.api.settled();
        await server?.close();
    });

    async function ask(method: string, url: string, headers: Record<string, string>, body?: unknown) {
        const ac = new AbortController();
        const res = await fetch(`${base}${url}`, {
            method,
            signal: ac.signal,
            headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        // The event stream never ends by itself: its status is all a row states.
        const text = res.headers.get("content-type")?.startsWith("text/event-stream")
            ? (ac.abort(), "")
            : await res.text();
        return { status: res.status, text };
    }

    it("the table has a row for every route and method the app answers, and none it does not", () => {
        assert.deepStrictEqual(missingRows(server.api.app, table), []);
        assert.deepStrictEqual(staleRows(server.api.app, table), []);
    });

    it("a route added without its row is caught", () => {
        const api = createApi({ catalog: catalogWithGate(), engine, csrfToken: "x" });
        try {
            api.app.get(`${apiBase}/releases/:id/secrets`, (c) => c.json({}));
            assert.deepStrictEqual(missingRows(api.app, table), [
                "GET /api/v1/releases/:id/secrets",
                "HEAD /api/v1/releases/:id/secrets",
            ]);
        } finally {
            void api.close();
        }
    });

    it("every API route and method has a permission row (HEAD guarded as its GET)", () => {
        const unguarded = server.api.app.routes
            .filter((r) => r.method !== "ALL" && r.path.startsWith(`${apiBase}/`))
            .flatMap((r) =>
                (r.method === "GET" ? ["GET", "HEAD"] : [r.method]).map((m) => ({ m, p: r.path })),
            )
            .filter(({ m, p }) => !matchRoute(routePermissions, m, p.slice(apiBase.length)))
            .map(({ m, p }) => `${m} ${p}`);
        assert.deepStrictEqual(unguarded, []);
    });

    it("the OpenAPI document lists no route the table lacks", async () => {
        const doc = JSON.parse((await ask("GET", "/api/v1/openapi.json", bearer["rules allow"])).text) as {
            paths: Record<string, Record<string, unknown>>;
        };
        const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
            Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`),
        );
        const missing = documented.filter((k) => {
            const [m, p] = k.split(" ") as [Method, string];
            return table[p]?.expect[m] === undefined;
        });
        assert.deepStrictEqual(missing, []);
    });

    it("each row's status, for each method and each caller; a refused call reaches nothing", async () => {
        const got: string[] = [];
        const want: string[] = [];
        for (const [pattern, row] of Object.entries({ ...table, ...rawTable })) {
            const api = pattern.startsWith(`${apiBase}/`);
            for (const method of methods) {
                const expected = row.expect[method] ?? (api ? unrouted : noPage);
                for (const [i, who] of identities.entries()) {
                    const before = engine.calls.length;
                    const body = method === "POST" ? row.body : undefined;
                    const a = await ask(method, row.url, bearer[who], body);
                    await server.api.settled();
                    got.push(`${method} ${pattern} as ${who}: ${a.status}`);
                    want.push(`${method} ${pattern} as ${who}: ${expected[i]}`);
                    if (a.status >= 400) {
                        assert.deepStrictEqual(
                            engine.calls.slice(before),
                            [],
                            `${method} ${row.url} as ${who} answered ${a.status} and still reached the engine`,
                        );
                    }
                }
            }
        }
        assert.deepStrictEqual(got, want);
        assert.deepStrictEqual(pushes, [], "an unsigned webhook delivery was taken");
    });

    it("HEAD is refused as GET is: no 200, no preview run, for a caller without view", async () => {
        const before = engine.calls.length;
        const a = await ask("HEAD", "/api/v1/products/shop/preview?from=dev&to=qa", bearer["rules forbid"]);
        assert.strictEqual(a.status, 403);
        assert.deepStrictEqual(engine.calls.slice(before), []);
        const b = await ask("HEAD", "/api/v1/releases/r-qa", bearer["rules forbid"]);
        assert.strictEqual(b.status, 403);
    });

    it("a path that is not valid percent-encoding is 400 naming the segment, for every caller", async () => {
        const cases: [string, string, string][] = [
            ["GET", "/api/v1/releases/%ZZ", "%ZZ"],
            ["GET", "/api/v1/products/%E0%A4%A/environments", "%E0%A4%A"],
            ["POST", "/api/v1/releases/%ZZ/retry", "%ZZ"],
            ["HEAD", "/api/v1/releases/%C3%28", "%C3%28"],
        ];
        for (const [method, url, segment] of cases) {
            for (const who of identities) {
                const a = await ask(method, url, bearer[who], method === "POST" ? {} : undefined);
                assert.strictEqual(a.status, 400, `${method} ${url} as ${who}: ${a.text}`);
                if (method !== "HEAD") {
                    const e = (JSON.parse(a.text) as { error: { code: string; message: string } }).error;
                    assert.strictEqual(e.code, "invalid_input");
                    assert.ok(e.message.includes(JSON.stringify(segment)), e.message);
                    assert.doesNotMatch(e.message, /URI malformed/);
                }
            }
        }
    });

    describe("override-policy: choosing another gate than the environment's policy", () => {
        const promoteQa = (extra: Record<string, string>) => ({
            product: "shop",
            from: "dev",
            to: "qa",
            ...extra,
        });
        const as = (user: string) => ({ Authorization: `Bearer ${tokenOf[user]}` });

        it("promote alone may not replace qa's pre-action: 403 naming the permission, nothing started", async () => {
            const before = engine.released.length;
            const asked: Record<string, string>[] = [
                { preAction: "noop" },
                { action: "none" },
                { postAction: "noop" },
            ];
            for (const extra of asked) {
                const a = await ask("POST", "/api/v1/releases", as("dev1"), promoteQa(extra));
                assert.strictEqual(a.status, 403, a.text);
                const e = (JSON.parse(a.text) as { error: { code: string; message: string } }).error;
                assert.strictEqual(e.code, "forbidden");
                assert.match(e.message, /add a rule with action override-policy covering it/);
                assert.match(e.message, /environment "qa" of product "shop"/);
            }
            const pre = await ask("POST", "/api/v1/releases", as("dev1"), promoteQa({ preAction: "noop" }));
            assert.match(
                pre.text,
                /preAction \\"noop\\" instead of \\"qa-checks\\" \(policy \\"qa-gate\\"\)/,
            );
            assert.strictEqual(engine.released.length, before);
        });

        it("the policy's own values are no override: promote is enough", async () => {
            const a = await ask(
                "POST",
                "/api/v1/releases",
                as("dev1"),
                promoteQa({ preAction: "qa-checks", action: "commit" }),
            );
            assert.strictEqual(a.status, 202, a.text);
        });

        it("with override-policy the override goes through to the engine", async () => {
            const a = await ask("POST", "/api/v1/releases", as("keeper"), promoteQa({ preAction: "noop" }));
            assert.strictEqual(a.status, 202, a.text);
            const target = engine.released.at(-1)!.target;
            assert.deepStrictEqual(target, { from: "dev", to: "qa", overrides: { preAction: "noop" } });
            assert.deepStrictEqual(engine.released.at(-1)!.initiator, { user: "keeper", via: "token" });
        });

        it("the console's promote dialog shows the policy fields read-only to a caller without override-policy", async () => {
            const chromiumPath = process.env.PROMOTIONS_CHROMIUM ?? "/usr/bin/chromium";
            if (!fs.existsSync(chromiumPath)) {
                throw new Error(
                    `Chromium is not installed at ${chromiumPath}: run 'apt-get install -y chromium'`,
                );
            }
            const fields = async (user: string) => {
                const profile = fs.mkdtempSync(path.join(os.tmpdir(), "route-table-chromium-"));
                const browser = await chromium.launchPersistentContext(profile, {
                    executablePath: chromiumPath,
                    headless: true,
                    extraHTTPHeaders: as(user),
                    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
                });
                try {
                    const page = browser.pages()[0] ?? (await browser.newPage());
                    const errors: string[] = [];
                    page.on("pageerror", (e) => errors.push(String(e)));
                    await page.goto(`${base}/`);
                    const dev = page.locator('.card[data-product="shop"][data-environment="dev"]');
                    await dev.locator("select.promote-to").selectOption("qa");
                    const dialog = page.locator("dialog[open]");
                    await dialog.locator("select[name=action]").waitFor();
                    const action = dialog.locator("select[name=action]");
                    const pre = dialog.locator("input[name=preAction]");
                    const post = dialog.locator("input[name=postAction]");
                    const got = {
                        pre: await pre.inputValue(),
                        actionDisabled: await action.isDisabled(),
                        preEditable: await pre.isEditable(),
                        postEditable: await post.isEditable(),
                        title: (await pre.getAttribute("title")) ?? "",
                        promoteDisabled: await dialog.getByRole("button", { name: "Promote" }).isDisabled(),
                    };
                    assert.deepStrictEqual(errors, []);
                    return got;
                } finally {
                    await browser.close();
                    fs.rmSync(profile, { recursive: true, force: true });
                }
            };
            const dev = await fields("dev1");
            assert.deepStrictEqual(
                { ...dev, title: undefined },
                {
                    pre: "qa-checks",
                    actionDisabled: true,
                    preEditable: false,
                    postEditable: false,
                    title: undefined,
                    promoteDisabled: false,
                },
            );
            assert.match(dev.title, /user "dev1" .*add a rule with action override-policy covering it/);
            assert.deepStrictEqual(await fields("keeper"), {
                pre: "qa-checks",
                actionDisabled: false,
                preEditable: true,
                postEditable: true,
                title: "",
                promoteDisabled: false,
            });
        });

        it("GET /permissions tells the console who may override the policy", async () => {
            const decision = async (user: string) => {
                const a = await ask("GET", "/api/v1/permissions?product=shop", as(user));
                const body = JSON.parse(a.text) as {
                    environments: {
                        name: string;
                        actions: Record<string, { allowed: boolean; reason?: string }>;
                    }[];
                };
                return body.environments.find((e) => e.name === "qa")!.actions["override-policy"];
            };
            const dev = await decision("dev1");
            assert.strictEqual(dev.allowed, false);
            assert.match(dev.reason ?? "", /action override-policy/);
            assert.strictEqual((await decision("keeper")).allowed, true);
        });
    });
});
