import * as assert from "assert";
import fc from "fast-check";
import { buildCatalog } from "../../../components/catalog";
import { AccessTokens } from "../../../engine/governance/accessTokens";
import { secrets } from "../../../model/redact";
import type { Api } from "../../../server/api";
import { createApi } from "../../../server/api";
import { Identity } from "../../../server/auth/identify";
import { apiFetch, PromotionsServer, refuseRequest } from "../../../server/server";
import type { OpenApiDoc } from "../../support/apiSchema";
import { FakeTokenStore } from "../../support/fakeTokenStore";
import { MemoryEngine } from "../../support/memoryEngine";
import { permissionDefinitions } from "../../support/permissionRules";
import { RawConnection } from "../../support/rawClient";

/**
 * Property-based fuzz of every route of the API (issue 23): path segments, query strings, bodies, content
 * types, credentials and origins drawn at random, partly from the names the catalog knows so that requests
 * also get past validation. Whatever the request: no 5xx, no stack trace, no secret the server holds (and no
 * API token the request did not carry itself) in the answer. In process through the app's fetch handler
 * (API_FUZZ_RUNS cases per route, default 10,000), then over real HTTP with raw request targets through
 * `serve`'s server (API_FUZZ_HTTP_RUNS per route, default 200).
 */
const runs = Number(process.env.API_FUZZ_RUNS ?? 10_000);
const httpRuns = Number(process.env.API_FUZZ_HTTP_RUNS ?? 200);
const seed = process.env.API_FUZZ_SEED !== undefined ? Number(process.env.API_FUZZ_SEED) : undefined;

const random = (n: number) => Array.from({ length: n }, () => Math.random().toString(36).slice(2)).join("");
/** What the server holds and must never answer with (registered as `serve` registers its environment's). */
const held = {
    gitToken: `ghp_${random(3)}`,
    passphrase: `passphrase-${random(2)}`,
    webhookSecret: `whsec-${random(2)}`,
};

const catalog = buildCatalog(permissionDefinitions()).catalog;

interface Route {
    readonly method: string;
    /** Hono's form: `/api/v1/releases/:id`. */
    readonly path: string;
    readonly query: readonly string[];
    /** Each shape the body schema allows (a union has several): its required and its other fields. */
    readonly body: readonly BodyShape[];
}

interface BodyShape {
    readonly required: readonly string[];
    readonly optional: readonly string[];
}

/** Every route the app serves, with the query and body fields its description names. */
function routesOf(api: Api, doc: OpenApiDoc): Route[] {
    const seen = new Set<string>();
    const out: Route[] = [];
    for (const r of api.app.routes) {
        const key = `${r.method} ${r.path}`;
        if (r.method === "ALL" || seen.has(key)) {
            continue;
        }
        seen.add(key);
        const op = (doc.paths[r.path.replace(/:(\w+)/g, "{$1}")] as Record<string, unknown> | undefined)?.[
            r.method.toLowerCase()
        ] as
            | {
                  parameters?: { in: string; name: string }[];
                  requestBody?: { content?: Record<string, { schema?: Schema }> };
              }
            | undefined;
        out.push({
            method: r.method,
            path: r.path,
            query: (op?.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
            body: fieldsOf(op?.requestBody?.content?.["application/json"]?.schema, doc),
        });
    }
    return out;
}

interface Schema {
    readonly $ref?: string;
    readonly properties?: object;
    readonly anyOf?: readonly Schema[];
    readonly oneOf?: readonly Schema[];
    readonly required?: readonly string[];
}

/** The shapes a body schema allows, through `$ref`s and unions. */
function fieldsOf(schema: Schema | undefined, doc: OpenApiDoc): BodyShape[] {
    if (!schema) {
        return [];
    }
    if (schema.$ref) {
        const name = schema.$ref.replace("#/components/schemas/", "");
        const schemas = (doc as { components?: { schemas?: Record<string, Schema> } }).components?.schemas;
        return fieldsOf(schemas?.[name], doc);
    }
    const branches = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
    if (branches.length > 0) {
        return branches.flatMap((b) => fieldsOf(b, doc));
    }
    const required = schema.required ?? [];
    const all = Object.keys(schema.properties ?? {});
    return all.length > 0 ? [{ required, optional: all.filter((f) => !required.includes(f)) }] : [];
}

interface Credentials {
    readonly developer: string;
    readonly manager: string;
    readonly admin: string;
    readonly revoked: string;
}

async function credentials(store: FakeTokenStore): Promise<Credentials> {
    const tokens = new AccessTokens(store);
    const make = async (user: string, groups: string[]) =>
        (await tokens.create({ user, groups, createdBy: "fuzz" })).token;
    const revoked = await tokens.create({ user: "gone", groups: ["release-managers"], createdBy: "fuzz" });
    await tokens.revoke(revoked.info.id, "fuzz");
    return {
        developer: await make("dev1", ["developers"]),
        manager: await make("rm1", ["release-managers"]),
        admin: await make("root", []),
        revoked: revoked.token,
    };
}

/** One drawn request: a method, a request target (already encoded), headers, and a body. */
interface Drawn {
    readonly method: string;
    readonly target: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
}

function arbitraries(known: { ids: readonly string[] }, creds: Credentials) {
    const names = [
        "shop",
        "dev",
        "qa",
        "prod",
        "to-qa",
        "to-prod",
        "manual",
        "local-1",
        "local-2",
        ...known.ids,
    ];
    const nasty = [
        "%ZZ",
        "%E0%A4%A",
        "%00",
        "%2F",
        "%2e%2e",
        "..",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "%",
        "%%",
        "%C3%BC",
        "%F0%9F%92%A9",
        "%ED%A0%80",
        "__proto__",
        "constructor",
        "toString",
        "null",
        "-1",
        "0",
        "1e309",
        "NaN",
        "%5B%5D",
        "%7B%7D",
        "a".repeat(3000),
        encodeURIComponent(held.gitToken),
        encodeURIComponent(held.passphrase),
        encodeURIComponent(held.webhookSecret),
    ];
    /** A path segment or query value, as sent (encoded or deliberately broken). */
    const segment = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...names) },
        { weight: 3, arbitrary: fc.constantFrom(...nasty) },
        { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponent) },
        {
            weight: 1,
            arbitrary: fc
                .string({ unit: "grapheme-ascii", maxLength: 30 })
                .map((s) => s.replace(/[/?#\s]/g, "")),
        },
    );
    /** A JSON value a field may get: a known name, a secret, or anything JSON holds. */
    const value = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom<unknown>(...names, "commit", "pr", "none", true, false) },
        {
            weight: 1,
            arbitrary: fc.constantFrom<unknown>(held.gitToken, held.passphrase, held.webhookSecret),
        },
        { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
    );
    /** Mostly a value that fits the field (a known product for `product`), so that some requests are valid. */
    const fitting: Record<string, readonly unknown[]> = {
        product: ["shop"],
        flow: ["to-qa", "to-prod"],
        from: ["dev", "qa"],
        to: ["qa", "prod"],
        environment: ["qa", "prod"],
        action: ["commit", "pr", "none"],
    };
    const plausible = (field: string) =>
        fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...(fitting[field] ?? [...names, true, false])) },
            { weight: 1, arbitrary: value },
        );
    const body = (shapes: readonly BodyShape[]) =>
        fc.oneof(
            { weight: 2, arbitrary: fc.constant(undefined) },
            {
                weight: 6,
                arbitrary: fc
                    .dictionary(
                        fc.oneof(
                            fc.constantFrom(
                                ...shapes.flatMap((b) => [...b.required, ...b.optional]),
                                "x",
                                "__proto__",
                                "constructor",
                            ),
                            fc.string({ maxLength: 8 }),
                        ),
                        value,
                        { maxKeys: 6 },
                    )
                    .map((o) => JSON.stringify(o)),
            },
            ...shapes.map((shape) => ({
                // One shape the description allows, its required fields and some others, with values that mostly
                // fit: requests that pass validation and reach the permission checks and the engine.
                weight: 6,
                arbitrary: fc
                    .tuple(
                        fc.tuple(...shape.required.map(plausible)),
                        fc.tuple(...shape.optional.map((f) => fc.option(plausible(f), { nil: undefined }))),
                    )
                    .map(([required, optional]) =>
                        JSON.stringify({
                            ...Object.fromEntries(shape.required.map((f, i) => [f, required[i]])),
                            ...Object.fromEntries(
                                shape.optional
                                    .map((f, i) => [f, optional[i]])
                                    .filter(([, v]) => v !== undefined),
                            ),
                        }),
                    ),
            })),
            { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
            {
                weight: 2,
                arbitrary: fc.constantFrom(
                    "",
                    "{",
                    '{"product":',
                    "null",
                    "[]",
                    '"x"',
                    "\u0000",
                    '{"a":1}{"b":2}',
                    `{"product":"shop","flow":"to-qa","a":${"[".repeat(5000)}`,
                ),
            },
            { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
        );
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const identity = fc.oneof(
        { weight: 3, arbitrary: fc.constant<Record<string, string>>({}) },
        {
            weight: 6,
            arbitrary: fc.constantFrom(bearer(creds.admin), bearer(creds.manager), bearer(creds.developer)),
        },
        {
            weight: 3,
            arbitrary: fc.constantFrom<Record<string, string>>(
                bearer(creds.revoked),
                bearer(`pp_${"A".repeat(43)}`),
                bearer("a.b.c"),
                { authorization: "Basic dXNlcjpwYXNz" },
                { authorization: "Bearer" },
                { "x-forwarded-user": "mallory", "x-forwarded-groups": "release-managers" },
            ),
        },
    );
    const origin = fc.oneof(
        { weight: 6, arbitrary: fc.constant<Record<string, string>>({}) },
        {
            weight: 3,
            arbitrary: fc.constantFrom<Record<string, string>>(
                { origin: "http://127.0.0.1:8080" },
                { origin: "http://evil.example" },
                { origin: "null" },
                { cookie: "session=1" },
                { cookie: "session=1", "x-csrf-token": "c".repeat(32) },
                { cookie: "session=1", "x-csrf-token": "wrong" },
            ),
        },
    );
    const contentType = fc.oneof(
        { weight: 6, arbitrary: fc.constant("application/json") },
        {
            weight: 4,
            arbitrary: fc.constantFrom(
                "application/json; charset=utf-8",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                undefined,
            ),
        },
    );
    const request = (route: Route): fc.Arbitrary<Drawn> =>
        fc
            .record({
                params: fc.array(segment, { minLength: 4, maxLength: 4 }),
                query: fc.array(
                    fc.tuple(
                        fc.oneof(fc.constantFrom(...(route.query.length > 0 ? route.query : ["q"])), segment),
                        segment,
                    ),
                    { maxLength: 5 },
                ),
                // Mostly the route's own method; any other one now and then (HEAD, OPTIONS included).
                method: fc.oneof(
                    { weight: 8, arbitrary: fc.constant(route.method) },
                    {
                        weight: 2,
                        arbitrary: fc.constantFrom(
                            "GET",
                            "HEAD",
                            "POST",
                            "PUT",
                            "PATCH",
                            "DELETE",
                            "OPTIONS",
                        ),
                    },
                ),
                body: body(route.body),
                contentType,
                identity,
                origin,
            })
            .map(({ method, params, query, body: b, contentType: type, identity: id, origin: o }) => {
                let i = 0;
                const path = route.path.replace(/:\w+/g, () => params[i++]);
                const qs = query.map(([k, v]) => `${k}=${v}`).join("&");
                return {
                    method,
                    target: qs ? `${path}?${qs}` : path,
                    headers: { ...id, ...o, ...(type && b !== undefined ? { "content-type": type } : {}) },
                    ...(b !== undefined ? { body: b } : {}),
                };
            });
    return { request };
}

const stackTrace = /^\s+at .*(:\d+:\d+\)?|\(native\))$|node:internal|\bdist\/(server|engine|model)\//m;

/** What is wrong with this answer to this request (nothing: undefined). */
function problem(d: Drawn, status: number, text: string, creds: Credentials): string | undefined {
    if (status >= 500) {
        return `status ${status}`;
    }
    if (stackTrace.test(text)) {
        return "a stack trace";
    }
    for (const [name, value] of Object.entries(held)) {
        if (text.includes(value)) {
            return `the ${name}`;
        }
    }
    const sent = `${d.target} ${JSON.stringify(d.headers)} ${d.body ?? ""}`;
    for (const [name, token] of Object.entries(creds)) {
        if (text.includes(token) && !sent.includes(token)) {
            return `the ${name}'s API token`;
        }
    }
    return undefined;
}

describe("the API under a property-based fuzz: no 5xx, no stack trace, no secret (issue 23)", function () {
    this.timeout(600_000);
    let engine: MemoryEngine;
    const store = new FakeTokenStore();
    let apis: Api[];
    let creds: Credentials;
    let routes: Route[];
    let gen: ReturnType<typeof arbitraries>;
    let doc: OpenApiDoc;

    before(async () => {
        // Small values (the nasty ones are listed above): drawing large JSON would cost more than serving it.
        fc.configureGlobal({ baseSize: "xsmall" });
        secrets.addFromEnv({
            PROMOTIONS_GIT_TOKENS: JSON.stringify({ "*": held.gitToken }),
            PULUMI_CONFIG_PASSPHRASE: held.passphrase,
            PROMOTIONS_WEBHOOK_SECRET: held.webhookSecret,
        });
        creds = await credentials(store);
        engine = new MemoryEngine(catalog, held.gitToken);
        const options = (loopback: boolean) => ({
            catalog,
            engine,
            csrfToken: "c".repeat(32),
            identity: new Identity({ loopback, tokens: () => store.list() }),
        });
        // A loopback server (no credentials: the local user) and one that needs them.
        apis = [createApi(options(true)), createApi(options(false))];
        engine.onProgress = (e) => apis.forEach((a) => a.progress(e));
        doc = (await (await apis[0].app.request("/api/v1/openapi.json")).json()) as OpenApiDoc;
        routes = routesOf(apis[0], doc);
        gen = arbitraries({ ids: [...engine.records.keys()] }, creds);
    });

    after(async () => {
        fc.resetConfigureGlobal();
        for (const a of apis ?? []) {
            await a.settled();
            await a.close();
        }
        for (const v of Object.values(held)) {
            secrets.forget(v);
        }
    });

    it("covers every route the app serves, and every operation its description names", () => {
        const fuzzed = new Set(routes.map((r) => `${r.method} ${r.path}`));
        for (const [p, ops] of Object.entries(doc.paths)) {
            for (const method of Object.keys(ops)) {
                const route = `${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`;
                assert.ok(fuzzed.has(route), `${route} is not fuzzed`);
            }
        }
        assert.ok(fuzzed.has("GET /"), "the console's page is not fuzzed");
    });

    it(`in process: ${runs} requests per route (a twentieth for routes without input)`, async () => {
        for (const route of routes) {
            // A route without path parameters, query or body fields only varies by its headers (a few dozen
            // combinations): a twentieth of the cases covers them (GET /api/v1/openapi.json costs 3-15 ms each).
            const takesInput = route.path.includes(":") || route.query.length > 0 || route.body.length > 0;
            const numRuns = takesInput ? runs : Math.ceil(runs / 20);
            const statuses: Record<number, number> = {};
            const started = Date.now();
            await fc.assert(
                fc.asyncProperty(gen.request(route), fc.boolean(), async (d, loopback) => {
                    const { status, text } = await inProcess(apis[loopback ? 0 : 1], d);
                    statuses[status] = (statuses[status] ?? 0) + 1;
                    const why = problem(d, status, text, creds);
                    assert.strictEqual(
                        why,
                        undefined,
                        `${d.method} ${d.target}: ${why}\n${text.slice(0, 600)}`,
                    );
                }),
                { numRuns, ...(seed !== undefined ? { seed } : {}) },
            );
            const seen = Object.entries(statuses).map(([status, n]) => `${status}×${n}`);
            console.log(
                `      ${route.method} ${route.path}: ${numRuns} cases, ${seen.join(" ")} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
            );
        }
    });

    it(`over HTTP through serve's server: ${httpRuns} raw requests per route`, async () => {
        const server = new PromotionsServer({
            catalog,
            engine,
            csrfToken: "c".repeat(32),
            identity: new Identity({ loopback: true, tokens: () => store.list() }),
            webhook: { secret: held.webhookSecret, onPush: () => undefined },
        });
        const port = Number(new URL(await server.listen(0, "127.0.0.1")).port);
        try {
            for (const route of [
                ...routes,
                { method: "POST", path: "/webhooks/github", query: [], body: [] },
            ]) {
                await fc.assert(
                    fc.asyncProperty(
                        gen.request(route),
                        fc.constantFrom("", "/", "//", "/."),
                        async (d, prefix) => {
                            const { status, text } = await rawExchange(port, d.method, prefix + d.target, d);
                            const why = problem(d, status, text, creds);
                            assert.strictEqual(
                                why,
                                undefined,
                                `${d.method} ${prefix}${d.target}: ${why}\n${text.slice(0, 600)}`,
                            );
                        },
                    ),
                    { numRuns: httpRuns, ...(seed !== undefined ? { seed } : {}) },
                );
            }
            assert.strictEqual(await server.openConnections(), 0);
        } finally {
            await server.close();
        }
    });
});

/**
 * One request the way `serve` handles it, without the sockets: its checks before routing (server/server.ts
 * refuseRequest), then the app's fetch handler.
 */
async function inProcess(api: Api, d: Drawn): Promise<{ status: number; text: string }> {
    const method = d.method;
    const headers = {
        host: "127.0.0.1:8080",
        ...d.headers,
        ...(d.body !== undefined ? { "content-length": String(Buffer.byteLength(d.body)) } : {}),
    };
    const refused = refuseRequest({ headers, url: d.target }, true);
    if (refused) {
        return {
            status: refused.status,
            text: JSON.stringify({ error: { code: refused.code, message: refused.message } }),
        };
    }
    const res = await apiFetch(api.app)(
        new Request(`http://127.0.0.1:8080${d.target}`, {
            method,
            headers: d.headers,
            ...(d.body !== undefined && method !== "GET" && method !== "HEAD" ? { body: d.body } : {}),
        }),
    );
    return { status: res.status, text: await answerText(res) };
}

/** The answer's text; an event stream's first event only (it stays open otherwise). */
async function answerText(res: Response): Promise<string> {
    if (!res.body) {
        return "";
    }
    if (!res.headers.get("content-type")?.startsWith("text/event-stream")) {
        return res.text();
    }
    const reader = res.body.getReader();
    const first = await reader.read();
    await reader.cancel();
    return new TextDecoder().decode(first.value);
}

/** One request over a fresh connection, as written (the target is not normalised); the status and the text. */
async function rawExchange(
    port: number,
    method: string,
    target: string,
    d: Drawn,
): Promise<{ status: number; text: string }> {
    const c = await new RawConnection(port).connected();
    const body = d.body !== undefined ? Buffer.from(d.body) : undefined;
    const headers = {
        host: "127.0.0.1",
        connection: "close",
        ...d.headers,
        ...(body ? { "content-length": String(body.length) } : {}),
    };
    const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join("\r\n")}\r\n\r\n`;
    await c.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    // An event stream never ends: its first event is the answer.
    const streaming = () =>
        /^content-type: text\/event-stream/im.test(c.received) && c.received.includes(": connected");
    await Promise.race([
        c.ended,
        new Promise<void>((resolve) => {
            const t = setInterval(() => {
                if (streaming()) {
                    clearInterval(t);
                    resolve();
                }
            }, 5);
            void c.ended.then(() => clearInterval(t));
        }),
    ]);
    c.destroy();
    const status = c.status;
    assert.ok(
        status !== undefined,
        `${method} ${target}: no answer (${JSON.stringify(c.received.slice(0, 200))})`,
    );
    return { status, text: c.received };
}
