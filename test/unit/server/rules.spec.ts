import * as assert from "assert";
import type { EnvironmentRecord, ReleaseRecord } from "../../../engine/record/releaseRecord";
import { EnvironmentError, InvalidInputError } from "../../../model/errors";
import { secrets } from "../../../model/redact";
import { accessRefusal, isLoopback, sameOrigin } from "../../../server/access";
import { apiError } from "../../../server/errors";
import type { Seen } from "../../../server/events";
import { changes, progressChanges, ReleaseEvents } from "../../../server/events";
import { pageReleases, parseReleaseQuery } from "../../../server/query";

const env = (name: string, status: EnvironmentRecord["status"]): EnvironmentRecord => ({
    name,
    status,
    dependsOn: [],
    applications: [],
});

function record(id: string, over: Partial<ReleaseRecord> = {}): ReleaseRecord {
    return {
        id,
        product: "web",
        flow: "seq",
        status: "Succeeded",
        createdAt: "2026-11-23T12:00:00Z",
        sourceApplication: "web-dev",
        sourceCommit: "a".repeat(40),
        environments: [env("qa", "Succeeded")],
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

describe("server: releases query and paging", () => {
    it("reads filters and the limit; refuses a bad status or limit naming the parameter", () => {
        assert.deepStrictEqual(parseReleaseQuery({}), { limit: 50 });
        assert.deepStrictEqual(
            parseReleaseQuery({
                product: "web",
                status: "Failed",
                flow: "seq",
                limit: "2",
                before: "r2",
                x: "",
            }),
            { product: "web", status: "Failed", flow: "seq", limit: 2, before: "r2" },
        );
        assert.deepStrictEqual(parseReleaseQuery({ status: "", limit: "" }), { limit: 50 });
        for (const [q, re] of [
            [{ status: "Done" }, /unknown status "Done": one of Queued, Running/],
            [{ limit: "0" }, /limit "0": a whole number from 1 to 500/],
            [{ limit: "501" }, /limit "501"/],
            [{ limit: "1.5" }, /limit "1\.5"/],
            [{ limit: "ten" }, /limit "ten"/],
        ] as const) {
            assert.throws(
                () => parseReleaseQuery(q),
                (e: unknown) => e instanceof InvalidInputError && re.test(e.message) && e.path !== undefined,
            );
        }
    });

    it("pages newest first by id; `before` continues after the last id, even one no longer listed", () => {
        const all = ["r3", "r1", "r5", "r2", "r4"].map((id) =>
            record(id, id === "r4" ? { status: "Failed" } : {}),
        );
        const first = pageReleases(all, { limit: 2 });
        assert.deepStrictEqual(
            first.items.map((r) => r.id),
            ["r5", "r4"],
        );
        assert.strictEqual(first.next, "r4");
        const second = pageReleases(all, { limit: 2, before: first.next });
        assert.deepStrictEqual(
            second.items.map((r) => r.id),
            ["r3", "r2"],
        );
        const last = pageReleases(all, { limit: 2, before: second.next });
        assert.deepStrictEqual(
            last.items.map((r) => r.id),
            ["r1"],
        );
        assert.strictEqual(last.next, undefined);
        assert.deepStrictEqual(
            pageReleases(all, { limit: 2, before: "r35" }).items.map((r) => r.id),
            ["r3", "r2"],
        );
        assert.deepStrictEqual(
            pageReleases(all, { limit: 9, status: "Failed" }).items.map((r) => r.id),
            ["r4"],
        );
        assert.deepStrictEqual(pageReleases(all, { limit: 9, flow: "other" }).items, []);
        assert.deepStrictEqual(pageReleases(all, { limit: 9, product: "api" }).items, []);
    });
});

describe("server: error mapping", () => {
    it("maps exit codes to statuses and codes, with the CLI's message, entity and path", () => {
        const unknown = apiError(
            new InvalidInputError('unknown product "x": one of web', { entity: 'Product "x"' }),
        );
        assert.deepStrictEqual(unknown, {
            status: 404,
            body: {
                error: {
                    code: "not_found",
                    message: 'unknown product "x": one of web',
                    entity: 'Product "x"',
                },
            },
        });
        assert.strictEqual(apiError(new InvalidInputError('no release "r9" (see ...)')).status, 404);
        assert.strictEqual(apiError(new InvalidInputError('unknown flow "f": one of seq')).status, 404);
        assert.deepStrictEqual(apiError(new InvalidInputError("limit bad", { path: "limit" })), {
            status: 400,
            body: { error: { code: "invalid_input", message: "limit bad", path: "limit" } },
        });
        assert.deepStrictEqual(
            apiError(new EnvironmentError("git unreachable")).body.error.code,
            "environment",
        );
        assert.strictEqual(apiError(new EnvironmentError("git unreachable")).status, 503);
        assert.deepStrictEqual(apiError(new Error("boom")), {
            status: 500,
            body: { error: { code: "internal", message: "boom" } },
        });
        // The CLI's classifier decides: a git error it calls exit 3 is 503.
        assert.strictEqual(
            apiError(new Error("x"), () => ({ exitCode: 3, message: "from git" })).status,
            503,
        );
    });

    it("redacts the message", () => {
        secrets.add("rules-spec-known-secret-value");
        const { body } = apiError(new Error("auth failed with rules-spec-known-secret-value"));
        assert.strictEqual(body.error.message, "auth failed with ***");
    });
});

describe("server: access rules", () => {
    const token = "t".repeat(43);
    const post = (headers: Record<string, string>) => accessRefusal({ method: "POST", headers }, token);

    it("lets reads through whatever their origin", () => {
        assert.strictEqual(
            accessRefusal({ method: "GET", headers: { origin: "https://evil.example" } }, token),
            undefined,
        );
    });

    it("refuses a mutating request from another origin, even with a bearer token", () => {
        assert.match(
            post({ host: "127.0.0.1:8080", origin: "https://evil.example" }) ?? "",
            /Origin https:\/\/evil\.example/,
        );
        assert.match(post({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:9090" }) ?? "", /cross-origin/);
        assert.match(post({ host: "127.0.0.1:8080", origin: "null" }) ?? "", /Origin null/);
        assert.match(
            post({ host: "127.0.0.1:8080", origin: "https://evil.example", authorization: "Bearer x" }) ?? "",
            /cross-origin/,
        );
        assert.strictEqual(post({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" }), undefined);
    });

    it("asks requests carrying cookies for the CSRF token; bearer clients and cookie-less scripts need none", () => {
        const own = { host: "localhost:8080", origin: "http://localhost:8080" };
        assert.match(post({ ...own, cookie: "a=b" }) ?? "", /X-CSRF-Token/);
        assert.match(post({ ...own, cookie: "a=b", "x-csrf-token": "wrong" }) ?? "", /X-CSRF-Token/);
        assert.strictEqual(post({ ...own, cookie: "a=b", "x-csrf-token": token }), undefined);
        assert.strictEqual(post({ ...own, cookie: "a=b", authorization: "Bearer x" }), undefined);
        assert.strictEqual(post({ host: "localhost:8080" }), undefined);
    });

    it("compares origins by scheme, host and port", () => {
        assert.ok(sameOrigin("http://[::1]:8080", "[::1]:8080"));
        assert.ok(!sameOrigin("ftp://127.0.0.1:8080", "127.0.0.1:8080"));
        assert.ok(!sameOrigin("not a url", "127.0.0.1:8080"));
        assert.ok(!sameOrigin("http://127.0.0.1:8080", undefined));
    });

    it("tells loopback hosts from others", () => {
        for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) {
            assert.ok(isLoopback(h), h);
        }
        for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com"]) {
            assert.ok(!isLoopback(h), h);
        }
    });
});

describe("server: events", () => {
    it("a new release is a release event; then only changes, environments before their release", () => {
        const seen: Seen = new Map();
        assert.deepStrictEqual(
            changes(seen, [record("r1", { status: "Running", environments: [env("qa", "Pending")] })]).map(
                (e) => e.type,
            ),
            ["release"],
        );
        assert.deepStrictEqual(
            changes(seen, [record("r1", { status: "Running", environments: [env("qa", "Pending")] })]),
            [],
        );
        const done = changes(seen, [
            record("r1", { status: "Failed", error: "x", environments: [env("qa", "Failed")] }),
        ]);
        assert.deepStrictEqual(done, [
            {
                type: "environment",
                data: { release: "r1", product: "web", environment: "qa", status: "Failed" },
            },
            {
                type: "release",
                data: { release: "r1", product: "web", flow: "seq", status: "Failed", error: "x" },
            },
        ]);
    });

    it("engine progress and polled records are de-duplicated", () => {
        const seen: Seen = new Map();
        const running = record("r1", { status: "Running", environments: [env("qa", "Running")] });
        assert.strictEqual(progressChanges(seen, { type: "release", release: running }).length, 1);
        assert.deepStrictEqual(
            progressChanges(seen, {
                type: "environment",
                releaseId: "r1",
                environment: env("qa", "Succeeded"),
            }),
            [
                {
                    type: "environment",
                    data: { release: "r1", product: "web", environment: "qa", status: "Succeeded" },
                },
            ],
        );
        assert.deepStrictEqual(
            changes(seen, [record("r1", { status: "Running", environments: [env("qa", "Succeeded")] })]),
            [],
        );
        assert.deepStrictEqual(
            progressChanges(seen, { type: "waiting", releaseId: "r1", behind: ["r0"] }),
            [],
        );
    });

    it("the first poll learns what exists; later polls report changes to listeners", async () => {
        let records = [record("r1")];
        const hub = new ReleaseEvents({ list: async () => records, pollMs: 60_000 });
        const got: string[] = [];
        const off = hub.subscribe((e) => got.push(`${e.type}:${e.data.release}:${e.data.status}`));
        await hub.poll();
        assert.deepStrictEqual(got, []);
        records = [record("r2", { status: "Running" }), record("r1")];
        await hub.poll();
        assert.deepStrictEqual(got, ["release:r2:Running"]);
        off();
        records = [record("r2"), record("r1")];
        await hub.poll();
        assert.deepStrictEqual(got, ["release:r2:Running"], "no listener, nothing delivered");
        await hub.close();
    });
});
