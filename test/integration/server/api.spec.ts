import * as assert from "assert";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import type { PromoteEngine } from "../../../engine/promoteEngine";
import { PromotionsServer } from "../../../server/server";
import type { OpenApiDoc } from "../../support/apiSchema";
import { ApiSchema } from "../../support/apiSchema";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A token the server knows (as a Git token) and must never answer with. */
const knownToken = "api-spec-git-token-0123456789abcdef";
const webhookSecret = "api-spec-webhook-secret";

interface Answer {
    readonly status: number;
    readonly body: unknown;
    readonly text: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ship(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
}

/** Reads a Server-Sent Events stream with fetch: every event as {event, data}, as it arrives. */
class EventReader {
    readonly events: { event: string; data: Record<string, unknown> }[] = [];
    readonly raw: string[] = [];
    private readonly controller = new AbortController();
    private connected!: () => void;
    readonly ready = new Promise<void>((r) => (this.connected = r));

    constructor(url: string) {
        void this.read(url);
    }

    private async read(url: string): Promise<void> {
        try {
            const res = await fetch(url, { signal: this.controller.signal });
            assert.strictEqual(res.headers.get("content-type")?.split(";")[0], "text/event-stream");
            const decoder = new TextDecoder();
            let buffer = "";
            for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
                buffer += decoder.decode(chunk, { stream: true });
                let end: number;
                while ((end = buffer.indexOf("\n\n")) >= 0) {
                    const block = buffer.slice(0, end);
                    buffer = buffer.slice(end + 2);
                    this.raw.push(block);
                    if (block.startsWith(": connected")) {
                        this.connected();
                    }
                    const event = /^event: (.*)$/m.exec(block)?.[1];
                    const data = /^data: (.*)$/m.exec(block)?.[1];
                    if (event && data) {
                        this.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
                    }
                }
            }
        } catch {
            // aborted by close()
        }
    }

    /** Waits until an event matches (the test's own timeout bounds the wait). */
    async waitFor(match: (e: { event: string; data: Record<string, unknown> }) => boolean): Promise<void> {
        while (!this.events.some(match)) {
            await sleep(100);
        }
    }

    close(): void {
        this.controller.abort();
    }
}

describe("promote serve: the API over a real engine and Git", function () {
    this.timeout(600_000);

    let dir: string;
    let repo: GitopsRepo;
    let server: PromotionsServer;
    let engine: PromoteEngine;
    let base: string;
    let schema: ApiSchema;
    const answers: { method: string; path: string; answer: Answer }[] = [];
    let broken: string;
    let hold: string;

    /** One call; every answer is checked against the OpenAPI description and searched for the token. */
    async function call(
        method: string,
        p: string,
        o: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
    ): Promise<Answer> {
        const res = await fetch(`${base}${p}`, {
            method,
            headers: {
                ...(o.body !== undefined || o.raw !== undefined
                    ? { "Content-Type": "application/json" }
                    : {}),
                ...o.headers,
            },
            ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
            ...(o.raw !== undefined ? { body: o.raw } : {}),
        });
        const text = await res.text();
        const answer = {
            status: res.status,
            text,
            body: res.headers.get("content-type")?.includes("json") ? (JSON.parse(text) as unknown) : text,
        };
        answers.push({ method, path: p, answer });
        if (schema && p.startsWith("/api/v1/") && !p.startsWith("/api/v1/openapi.json")) {
            assert.deepStrictEqual(
                schema.violations(method, p, res.status, answer.body),
                [],
                text.slice(0, 500),
            );
        }
        return answer;
    }

    const get = (p: string) => call("GET", p);
    const post = (p: string, body?: unknown) => call("POST", p, body === undefined ? {} : { body });

    type Release = {
        id: string;
        status: string;
        environments: { name: string; status: string; applications: { preAction?: { runId?: string } }[] }[];
    };

    async function until(id: string, done: (r: Release) => boolean): Promise<Release> {
        for (;;) {
            const { status, body } = await get(`/api/v1/releases/${id}`);
            assert.strictEqual(status, 200);
            if (done(body as Release)) {
                return body as Release;
            }
            await sleep(300);
        }
    }
    const final = (r: Release) => ["Succeeded", "Failed", "Terminated"].includes(r.status);

    before(async () => {
        dir = tempDir("server-api");
        broken = path.join(dir, "broken");
        hold = path.join(dir, "hold");
        const s = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
            policies: [
                { name: "checked", priority: 1, selector: {}, policy: { preAction: "check" } },
                {
                    name: "prod-by-pr-less",
                    priority: 0,
                    selector: { targetEnvironment: { types: ["PROD"] } },
                    policy: { action: "commit" },
                },
            ],
            workflows: [
                {
                    kind: "local",
                    name: "check",
                    command:
                        `while [ -f ${hold} ]; do sleep 0.2; done; ` +
                        `test ! -f ${broken} || { echo "checked $VERSION in $ENVIRONMENT: broken"; exit 1; }`,
                },
            ],
        });
        repo = s.repo;
        const { catalog, issues } = buildCatalog(s.defs);
        assert.deepStrictEqual(issues, []);
        const feeds: PromotionsServer["progress"][] = [];
        engine = await testPromoteEngine(dir, catalog, {
            gitTokens: { "*": knownToken },
            onProgress: (e) => feeds.forEach((f) => f(e)),
        });
        server = new PromotionsServer({
            catalog,
            engine,
            csrfToken: "csrf-token-of-this-test-server-000000000",
            eventPollMs: 500,
            git: { cacheDir: path.join(dir, "git-cache"), credentials: { tokens: { "*": knownToken } } },
            webhook: { secret: webhookSecret, onPush: () => undefined },
        });
        feeds.push(server.progress);
        base = await server.listen(0, "127.0.0.1");
        const doc = await get("/api/v1/openapi.json");
        assert.strictEqual(doc.status, 200);
        schema = new ApiSchema(doc.body as OpenApiDoc);
    });

    after(async () => {
        await server?.api.settled();
        await server?.close();
        removeTempDirs();
    });

    it("describes itself: OpenAPI 3.1 with every endpoint, and the console at /", async () => {
        const doc = answers[0].answer.body as { openapi: string; paths: Record<string, unknown> };
        assert.strictEqual(doc.openapi, "3.1.0");
        for (const p of [
            "/api/v1/products",
            "/api/v1/products/{product}",
            "/api/v1/products/{product}/environments",
            "/api/v1/products/{product}/preview",
            "/api/v1/releases",
            "/api/v1/releases/{id}",
            "/api/v1/releases/{id}/runs/{runId}/log",
            "/api/v1/releases/{id}/retry",
            "/api/v1/releases/{id}/terminate",
            "/api/v1/events",
            "/api/v1/session",
        ]) {
            assert.ok(doc.paths[p], p);
        }
        const page = await get("/");
        assert.strictEqual(page.status, 200);
        assert.match(page.text, /<script type="module" src="\/console\/app.js">/);
        assert.match(page.text, /href="\/api\/v1\/openapi.json"/);
    });

    it("lists products; a product with its flows and resolved policies", async () => {
        const list = await get("/api/v1/products");
        assert.deepStrictEqual(list.body, [
            {
                name: "web",
                tags: [],
                concurrency: "queue",
                flows: ["seq"],
                environments: ["dev", "prod", "qa"],
            },
        ]);
        const web = (await get("/api/v1/products/web")).body as {
            environments: {
                name: string;
                policy: { action: string; preAction?: string; sources: unknown };
            }[];
            flows: {
                name: string;
                steps: { environment: string; policy: { sources: { action: unknown } } }[];
            }[];
        };
        const prod = web.environments.find((e) => e.name === "prod")!;
        assert.deepStrictEqual(prod.policy, {
            action: "commit",
            preAction: "check",
            sources: { action: { policy: "prod-by-pr-less" }, preAction: { policy: "checked" } },
        });
        const qa = web.environments.find((e) => e.name === "qa")!;
        assert.deepStrictEqual(qa.policy.sources, {
            action: { default: true },
            preAction: { policy: "checked" },
        });
        assert.deepStrictEqual(
            web.flows[0].steps.map((s) => s.environment),
            ["qa", "prod"],
        );
    });

    it("previews a flow and a single promotion: the diff from the live repository", async () => {
        ship(repo, "1.0.1");
        const flow = (await get("/api/v1/products/web/preview?flow=seq")).body as {
            version: string;
            environments: {
                name: string;
                wouldChange: boolean;
                applications: { changes: { file: string; path: string; from: unknown; to: unknown }[] }[];
            }[];
        };
        assert.strictEqual(flow.version, "1.0.1");
        assert.deepStrictEqual(
            flow.environments.map((e) => [e.name, e.wouldChange]),
            [
                ["qa", true],
                ["prod", true],
            ],
        );
        assert.ok(
            flow.environments[0].applications[0].changes.some(
                (c) => c.file === "Chart.yaml" && c.path === "$.appVersion" && c.to === "1.0.1",
            ),
            JSON.stringify(flow.environments[0].applications[0].changes),
        );
        const single = (await get("/api/v1/products/web/preview?from=dev&to=qa")).body as {
            flow: string;
            environments: unknown[];
        };
        assert.strictEqual(single.flow, "manual");
        assert.strictEqual(single.environments.length, 1);
    });

    let first: string;

    it("POST /releases starts a flow, answers 202 at once; it finishes, seen by GET and by the event stream", async () => {
        const stream = new EventReader(`${base}/api/v1/events`);
        try {
            await stream.ready;
            const started = await post("/api/v1/releases", { product: "web", flow: "seq" });
            assert.strictEqual(started.status, 202, started.text);
            const r = started.body as Release;
            assert.ok(["Queued", "Running"].includes(r.status), r.status);
            first = r.id;
            const done = await until(first, final);
            assert.strictEqual(done.status, "Succeeded", JSON.stringify(done));
            await stream.waitFor(
                (e) => e.event === "release" && e.data.release === first && e.data.status === "Succeeded",
            );
            for (const env of ["qa", "prod"]) {
                assert.ok(
                    stream.events.some(
                        (e) =>
                            e.event === "environment" &&
                            e.data.release === first &&
                            e.data.environment === env &&
                            e.data.status === "Succeeded",
                    ),
                    `${env}: ${JSON.stringify(stream.events)}`,
                );
            }
            assert.ok(stream.raw.every((b) => !b.includes(knownToken)));
        } finally {
            stream.close();
        }
        const envs = (await get("/api/v1/products/web/environments")).body as {
            environments: {
                name: string;
                version?: string;
                release?: string;
                commit?: string;
                applications: { gitCommit?: string }[];
            }[];
        };
        const qa = envs.environments.find((e) => e.name === "qa")!;
        assert.strictEqual(qa.version, "1.0.1");
        assert.strictEqual(qa.release, first);
        assert.match(qa.commit ?? "", /^[0-9a-f]{40}$/);
        // dev has had no release: its version and commit are read from Git.
        const dev = envs.environments.find((e) => e.name === "dev")!;
        assert.strictEqual(dev.version, "1.0.1");
        assert.strictEqual(dev.release, undefined);
        assert.strictEqual(dev.applications[0].gitCommit, repo.tip());
    });

    let failed: string;

    it("a failed release: its run's log, then a retry from where it stopped, same id", async () => {
        fs.writeFileSync(broken, "");
        ship(repo, "1.1.0");
        const started = await post("/api/v1/releases", { product: "web", flow: "seq" });
        assert.strictEqual(started.status, 202, started.text);
        failed = (started.body as Release).id;
        const done = await until(failed, final);
        assert.strictEqual(done.status, "Failed");
        const runId = done.environments.find((e) => e.name === "qa")!.applications[0].preAction?.runId;
        assert.ok(runId, JSON.stringify(done.environments));
        const log = await get(`/api/v1/releases/${failed}/runs/${runId}/log`);
        assert.strictEqual(log.status, 200);
        assert.match((log.body as { log: string }).log, /checked 1\.1\.0 in qa: broken/);
        const noRun = await get(`/api/v1/releases/${failed}/runs/nope/log`);
        assert.strictEqual(noRun.status, 404);

        fs.rmSync(broken);
        const retried = await post(`/api/v1/releases/${failed}/retry`);
        assert.strictEqual(retried.status, 202, retried.text);
        assert.strictEqual((retried.body as Release).id, failed);
        assert.ok(["Queued", "Running"].includes((retried.body as Release).status));
        assert.strictEqual((await until(failed, final)).status, "Succeeded");
        const again = await post(`/api/v1/releases/${failed}/retry`);
        assert.strictEqual(again.status, 400);
        assert.match(
            (again.body as { error: { message: string } }).error.message,
            /already Succeeded: nothing to retry/,
        );
    });

    it("terminates a running release", async () => {
        fs.writeFileSync(hold, "");
        ship(repo, "1.2.0");
        const started = await call("POST", "/api/v1/releases", {
            body: { product: "web", from: "dev", to: "qa", action: "commit" },
            headers: { Authorization: "Bearer any", Origin: base },
        });
        assert.strictEqual(started.status, 202, started.text);
        const id = (started.body as Release).id;
        // Running now: its pre-action waits for the hold file.
        assert.strictEqual((started.body as Release).status, "Running");
        const stopped = await post(`/api/v1/releases/${id}/terminate`);
        assert.strictEqual(stopped.status, 200, stopped.text);
        assert.ok(["Terminating", "Terminated"].includes((stopped.body as Release).status));
        // Whether the gate is stopped or lets go, the release ends Terminated.
        fs.rmSync(hold);
        const done = await until(id, final);
        assert.strictEqual(done.status, "Terminated", JSON.stringify(done));
    });

    it("pages releases newest first with limit and before; filters by status and flow", async () => {
        const all = (await get("/api/v1/releases?product=web")).body as {
            releases: { id: string }[];
            next?: string;
        };
        assert.strictEqual(all.releases.length, 3);
        assert.strictEqual(all.next, undefined);
        const ids = all.releases.map((r) => r.id);
        assert.deepStrictEqual(ids, [...ids].sort().reverse());
        const seen: string[] = [];
        let before: string | undefined;
        do {
            const page = (await get(`/api/v1/releases?limit=2${before ? `&before=${before}` : ""}`)).body as {
                releases: { id: string }[];
                next?: string;
            };
            assert.ok(page.releases.length <= 2);
            seen.push(...page.releases.map((r) => r.id));
            before = page.next;
        } while (before);
        assert.deepStrictEqual(seen, ids);
        const terminated = (await get("/api/v1/releases?status=Terminated")).body as {
            releases: { flow: string }[];
        };
        assert.deepStrictEqual(
            terminated.releases.map((r) => r.flow),
            ["manual"],
        );
        const seq = (await get("/api/v1/releases?flow=seq")).body as { releases: { id: string }[] };
        assert.deepStrictEqual(
            seq.releases.map((r) => r.id),
            [failed, first],
        );
    });

    it("answers errors in one shape with the CLI's messages", async () => {
        const cases: [Answer, number, string, RegExp][] = [
            [await get("/api/v1/products/nope"), 404, "not_found", /unknown product "nope": one of web/],
            [await get("/api/v1/products/nope/environments"), 404, "not_found", /unknown product "nope"/],
            [await get("/api/v1/releases/r-nope"), 404, "not_found", /no release "r-nope"/],
            [await get("/api/v1/releases?product=nope"), 404, "not_found", /unknown product "nope"/],
            [await get("/api/v1/releases?limit=0"), 400, "invalid_input", /limit "0"/],
            [await get("/api/v1/products/web/preview"), 400, "invalid_input", /missing flow=F/],
            [await get("/api/v1/products/web/preview?flow=nope"), 404, "not_found", /unknown flow "nope"/],
            [await post("/api/v1/releases", {}), 400, "invalid_input", /body/],
            [
                await post("/api/v1/releases", { product: "web", flow: "seq", extra: 1 }),
                400,
                "invalid_input",
                /body/,
            ],
            [await call("POST", "/api/v1/releases", { raw: "{not json" }), 400, "invalid_input", /JSON/i],
            [
                await post("/api/v1/releases", { product: "nope", flow: "seq" }),
                404,
                "not_found",
                /unknown product "nope"/,
            ],
            [await post("/api/v1/releases/r-nope/terminate"), 404, "not_found", /no release "r-nope"/],
            [
                await call("POST", "/api/v1/releases", {
                    body: { product: "web", flow: "seq" },
                    headers: { Origin: "https://evil.example" },
                }),
                403,
                "forbidden",
                /cross-origin/,
            ],
            [
                await call("POST", "/api/v1/releases", {
                    body: { product: "web", flow: "seq" },
                    headers: { Cookie: "s=1" },
                }),
                403,
                "forbidden",
                /X-CSRF-Token/,
            ],
            [await get("/api/v1/nothing-here"), 404, "not_found", /no such endpoint/],
        ];
        for (const [answer, status, code, message] of cases) {
            assert.strictEqual(answer.status, status, answer.text);
            const { error } = answer.body as { error: { code: string; message: string } };
            assert.strictEqual(error.code, code, answer.text);
            assert.match(error.message, message);
        }
        const session = (await get("/api/v1/session")).body as { csrfToken: string };
        const withToken = await call("POST", "/api/v1/releases/r-nope/retry", {
            headers: { Cookie: "s=1", "X-CSRF-Token": session.csrfToken },
        });
        assert.strictEqual(withToken.status, 404, "past the CSRF check: the release is unknown");
    });

    it("never answers with a token, even one quoted in an error", async () => {
        const quoted = await get(`/api/v1/products/${knownToken}`);
        assert.strictEqual(quoted.status, 404);
        const leaks = answers
            .filter((a) => a.answer.text.includes(knownToken))
            .map((a) => `${a.method} ${a.path}`);
        assert.deepStrictEqual(leaks, []);
        assert.ok(answers.length > 30);
    });

    it("keeps the webhook at POST /webhooks/github, HMAC-checked", async () => {
        const body = JSON.stringify({ ref: "refs/heads/main" });
        const unsigned = await fetch(`${base}/webhooks/github`, {
            method: "POST",
            body,
            headers: { "X-GitHub-Event": "push" },
        });
        assert.strictEqual(unsigned.status, 401);
        const signed = await fetch(`${base}/webhooks/github`, {
            method: "POST",
            body,
            headers: {
                "X-GitHub-Event": "ping",
                "X-Hub-Signature-256": `sha256=${createHmac("sha256", webhookSecret).update(body).digest("hex")}`,
            },
        });
        assert.strictEqual(signed.status, 200);
    });
});
