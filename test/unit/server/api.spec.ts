import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import { ApprovalRefusedError } from "../../../engine/governance/approvals";
import type {
    DecisionOptions,
    PreviewOptions,
    ProgressEvent,
    ReleaseOptions,
    WaitOptions,
} from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { InvalidInputError } from "../../../model/errors";
import { secrets } from "../../../model/redact";
import type { ServerEngine } from "../../../server/api";
import { createApi, targetOf, workflowRuns } from "../../../server/api";
import type { OpenApiDoc } from "../../support/apiSchema";
import { ApiSchema } from "../../support/apiSchema";
import { scenarioDefinitions } from "../../support/scenario";

const secret = "api-unit-known-secret-value";

function record(id: string, over: Partial<ReleaseRecord> = {}): ReleaseRecord {
    return {
        id,
        product: "web",
        flow: "seq",
        status: "Running",
        createdAt: "2026-11-23T12:00:00Z",
        sourceApplication: "web-dev",
        sourceCommit: "a".repeat(40),
        environments: [
            {
                name: "qa",
                status: "Failed",
                dependsOn: ["dev"],
                error: `pre-action failed: token ${secret} refused`,
                applications: [
                    {
                        name: "web-qa",
                        status: "Failed",
                        action: "commit",
                        repoURL: "file:///r",
                        changes: [],
                        preAction: { workflow: "check", status: "Failed", runId: "local-42", log: "boom" },
                    },
                ],
            },
        ],
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: "file:///r",
            sourcePath: "p",
            sourceCommit: "a",
            files: [],
        },
        plan: { trigger: "dev", timeoutMs: 1000, concurrency: "queue", environments: [] },
        attempts: 1,
        ...over,
    };
}

/** A hand-written engine: releases it "runs" stay pending until `finish` is called. */
class FakeEngine implements ServerEngine {
    readonly records = new Map<string, ReleaseRecord>([["r1", record("r1", { status: "Failed" })]]);
    onProgress?: (e: ProgressEvent) => void;
    private finishers: (() => void)[] = [];
    previewed?: PreviewOptions;

    async preview(o: PreviewOptions) {
        this.previewed = o;
        return {
            product: o.product,
            flow: "seq",
            sourceApplication: "web-dev",
            sourceCommit: "a".repeat(40),
            environments: [],
        };
    }
    async release(o: ReleaseOptions) {
        if (o.product !== "web") {
            throw new InvalidInputError(`unknown product "${o.product}": one of web`);
        }
        const r = record("r2");
        this.records.set(r.id, r);
        o.onCreated?.(r);
        await new Promise<void>((resolve) => this.finishers.push(resolve));
        return { ...r, status: "Succeeded" as const };
    }
    async retry(id: string) {
        const r = { ...(await this.find(id)), status: "Running" as const };
        this.onProgress?.({ type: "release", release: r });
        await new Promise<void>((resolve) => this.finishers.push(resolve));
        return r;
    }
    async terminate(id: string) {
        return { ...(await this.find(id)), status: "Terminating" as const };
    }
    async releases(product: string) {
        return [...this.records.values()].filter((r) => r.product === product);
    }
    async find(id: string) {
        const r = this.records.get(id);
        if (!r) {
            throw new InvalidInputError(`no release "${id}" (see 'promote releases --product P')`);
        }
        return r;
    }
    decisions: string[] = [];
    async approve(id: string, environment: string, o: DecisionOptions) {
        return this.decide("approved", id, environment, o);
    }
    async reject(id: string, environment: string, o: DecisionOptions) {
        return this.decide("rejected", id, environment, o);
    }
    private async decide(verdict: string, id: string, environment: string, o: DecisionOptions) {
        const r = await this.find(id);
        if (!o.subject.groups.includes("release-managers")) {
            throw new ApprovalRefusedError(
                `${o.subject.user} may not approve: the approvers are group release-managers`,
            );
        }
        this.decisions.push(
            `${verdict} ${id}/${environment} by ${o.subject.user} (${o.subject.via}): ${o.comment ?? ""}`,
        );
        return r;
    }
    async resume(id: string, o: WaitOptions = {}) {
        const r = { ...(await this.find(id)), status: "Running" as const };
        this.decisions.push(`resume ${id}${o.noWait ? " noWait" : ""}`);
        this.onProgress?.({ type: "release", release: r });
        await new Promise<void>((resolve) => this.finishers.push(resolve));
        return r;
    }
    finish(): void {
        this.finishers.splice(0).forEach((f) => f());
    }
}

describe("server: the API over a fake engine", () => {
    const defs = scenarioDefinitions({
        product: "web",
        repoURL: "file:///r",
        environments: [{ name: "dev" }, { name: "qa" }],
        flows: [
            { name: "seq", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
        ],
        policies: [{ name: "all", priority: 1, selector: {}, policy: { action: "pr" } }],
    });
    const catalog = buildCatalog(defs).catalog;

    function setup() {
        secrets.add(secret);
        const engine = new FakeEngine();
        const api = createApi({ catalog, engine, csrfToken: "tok".repeat(10) });
        engine.onProgress = api.progress;
        const schemaPromise = Promise.resolve(api.app.request("/api/v1/openapi.json")).then(
            async (r) => new ApiSchema((await r.json()) as OpenApiDoc),
        );
        const call = async (
            method: string,
            path: string,
            body?: unknown,
            headers: Record<string, string> = {},
        ) => {
            const res = await api.app.request(path, {
                method,
                headers: {
                    ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
                    ...headers,
                },
                ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            });
            const text = await res.text();
            const json = JSON.parse(text) as unknown;
            assert.deepStrictEqual(
                (await schemaPromise).violations(method, path, res.status, json),
                [],
                text,
            );
            assert.ok(!text.includes(secret), text);
            return { status: res.status, json: json as Record<string, unknown> };
        };
        return { engine, api, call };
    }

    it("answers 202 with the record as soon as the release has an id, and settles when it ends", async () => {
        const { engine, api, call } = setup();
        const started = await call("POST", "/api/v1/releases", { product: "web", flow: "seq" });
        assert.strictEqual(started.status, 202);
        assert.strictEqual(started.json.id, "r2");
        let settled = false;
        const done = api.settled().then(() => (settled = true));
        await new Promise((r) => setImmediate(r));
        assert.strictEqual(settled, false);
        engine.finish();
        await done;
    });

    it("a retry answers once the engine reports the release running again", async () => {
        const { engine, api, call } = setup();
        const retried = await call("POST", "/api/v1/releases/r1/retry");
        assert.strictEqual(retried.status, 202);
        assert.strictEqual(retried.json.status, "Running");
        engine.finish();
        await api.settled();
    });

    it("approve and reject: the caller's identity and comment reach the engine; a refusal is 403; resume is 202", async () => {
        secrets.add(secret);
        const engine = new FakeEngine();
        const decided: string[] = [];
        const api = createApi({
            catalog,
            engine,
            csrfToken: "tok".repeat(10),
            identify: (c) => ({
                user: c.req.header("x-test-user") ?? "anonymous",
                groups: (c.req.header("x-test-groups") ?? "").split(",").filter(Boolean),
                via: "proxy",
            }),
            onDecision: (r) => decided.push(r.id),
        });
        engine.onProgress = api.progress;
        const schema = new ApiSchema(
            (await (await api.app.request("/api/v1/openapi.json")).json()) as OpenApiDoc,
        );
        const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
            const res = await api.app.request(path, {
                method: "POST",
                headers: { "Content-Type": "application/json", ...headers },
                body: JSON.stringify(body),
            });
            const json = (await res.json()) as Record<string, unknown>;
            assert.deepStrictEqual(schema.violations("POST", path, res.status, json), []);
            return { status: res.status, json };
        };
        const ok = await post(
            "/api/v1/releases/r1/approve",
            { environment: "prod", comment: "ship it" },
            { "x-test-user": "alice", "x-test-groups": "release-managers" },
        );
        assert.strictEqual(ok.status, 200);
        const no = await post(
            "/api/v1/releases/r1/reject",
            { environment: "prod" },
            { "x-test-user": "dave" },
        );
        assert.strictEqual(no.status, 403);
        assert.match(
            (no.json.error as { message: string }).message,
            /dave may not approve: the approvers are group release-managers/,
        );
        const bad = await post("/api/v1/releases/r1/approve", { comment: "no environment" });
        assert.strictEqual(bad.status, 400);
        assert.deepStrictEqual(engine.decisions, ["approved r1/prod by alice (proxy): ship it"]);
        assert.deepStrictEqual(decided, ["r1"]);
        const resumed = await post("/api/v1/releases/r1/resume", { noWait: true });
        assert.deepStrictEqual([resumed.status, resumed.json.status], [202, "Running"]);
        assert.strictEqual(engine.decisions.at(-1), "resume r1 noWait");
        engine.finish();
        await api.settled();
    });

    it("resolves policies, passes preview targets, finds run logs; redacts the record", async () => {
        const { engine, call } = setup();
        const web = await call("GET", "/api/v1/products/web");
        const envs = web.json.environments as { name: string; policy: { action: string } }[];
        assert.deepStrictEqual(
            envs.map((e) => [e.name, e.policy.action]),
            [
                ["dev", "pr"],
                ["qa", "pr"],
            ],
        );
        await call("GET", "/api/v1/products/web/preview?from=dev&to=qa&sourceCommit=abc");
        assert.deepStrictEqual(engine.previewed, {
            product: "web",
            target: { from: "dev", to: "qa" },
            sourceCommit: "abc",
        });
        const log = await call("GET", "/api/v1/releases/r1/runs/local-42/log");
        assert.deepStrictEqual(log.json, {
            release: "r1",
            runId: "local-42",
            workflow: "check",
            status: "Failed",
            log: "boom",
        });
        const r1 = await call("GET", "/api/v1/releases/r1");
        assert.match(JSON.stringify(r1.json), /token \*\*\* refused/);
        const page = await call("GET", "/api/v1/releases?product=web&limit=1");
        assert.deepStrictEqual(page.json, {
            releases: [
                {
                    id: "r1",
                    product: "web",
                    flow: "seq",
                    status: "Failed",
                },
            ],
        });
        const stop = await call("POST", "/api/v1/releases/r1/terminate");
        assert.strictEqual(stop.json.status, "Terminating");
    });

    it("refuses bad input, unknown entities and foreign origins in the one error shape", async () => {
        const { call } = setup();
        const cases: [Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
            [call("POST", "/api/v1/releases", { product: "web" }), 400, "invalid_input"],
            [
                call("POST", "/api/v1/releases", { product: "web", from: "dev", to: "dev" }),
                400,
                "invalid_input",
            ],
            [call("POST", "/api/v1/releases", { product: "api", flow: "seq" }), 404, "not_found"],
            [call("GET", "/api/v1/products/api"), 404, "not_found"],
            [call("GET", "/api/v1/releases/r9"), 404, "not_found"],
            [call("GET", "/api/v1/releases/r1/runs/x/log"), 404, "not_found"],
            [call("GET", "/api/v1/releases?status=Done"), 400, "invalid_input"],
            [
                call("POST", "/api/v1/releases/r1/terminate", undefined, {
                    Origin: "http://evil",
                    Host: "localhost",
                }),
                403,
                "forbidden",
            ],
        ];
        for (const [answer, status, code] of cases) {
            const { status: got, json } = await answer;
            assert.strictEqual(got, status, JSON.stringify(json));
            assert.strictEqual((json.error as { code: string }).code, code);
        }
    });

    it("reads the target like the CLI; lists every workflow run of a record", () => {
        assert.deepStrictEqual(targetOf({ flow: "f" }), { flow: "f" });
        assert.deepStrictEqual(targetOf({ from: "a", to: "b" }), { from: "a", to: "b" });
        assert.throws(() => targetOf({ flow: "f", to: "b" }), /either flow=F or from=ENV&to=ENV/);
        assert.throws(() => targetOf({ from: "a" }), /missing to=ENV/);
        assert.throws(() => targetOf({ from: "a", to: "a" }), /both "a"/);
        assert.deepStrictEqual(
            workflowRuns(record("r")).map((r) => r.runId),
            ["local-42"],
        );
    });
});
