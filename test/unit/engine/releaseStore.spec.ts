import * as assert from "assert";
import type { PrunedPage } from "../../../engine/releaseStore";
import { pageName, pagesBeyond } from "../../../engine/releaseStore";
import type { ReleaseRecord } from "../../../engine/releaseRecord";

const page = (name: string, records: number, newest: string): PrunedPage => ({
    name,
    records,
    oldest: newest,
    newest,
});

describe("engine/releaseStore archive pages", () => {
    const pages = [
        page("p3", 50, "2026-10-01T00:00:00.000Z"),
        page("p2", 50, "2026-03-01T00:00:00.000Z"),
        page("p1", 50, "2025-12-01T00:00:00.000Z"),
    ];
    const now = new Date("2026-11-23T00:00:00.000Z");

    it("by count: keeps the product stack's releases and whole pages until the count is reached", () => {
        assert.deepStrictEqual(
            pagesBeyond(60, pages, { count: 100 }, now).map((p) => p.name),
            ["p2", "p1"],
        );
        assert.deepStrictEqual(
            pagesBeyond(60, pages, { count: 111 }, now).map((p) => p.name),
            ["p1"],
        );
        assert.deepStrictEqual(pagesBeyond(60, pages, { count: 1000 }, now), []);
        assert.deepStrictEqual(
            pagesBeyond(60, pages, { count: 1 }, now).map((p) => p.name),
            ["p3", "p2", "p1"],
            "the product's own stack is never pruned, its pages all can be",
        );
    });

    it("by age: removes pages whose newest release is older than the cutoff", () => {
        const nineMonths = 9 * 30 * 86_400_000;
        assert.deepStrictEqual(
            pagesBeyond(60, pages, { maxAgeMs: nineMonths }, now).map((p) => p.name),
            ["p1"],
        );
    });

    it("names a page by its newest creation time and its first record (same records, same page)", () => {
        const r = (id: string, createdAt: string) => ({ id, createdAt }) as ReleaseRecord;
        const name = pageName("web", [
            r("r1", "2026-01-02T03:04:05.678Z"),
            r("r2", "2026-01-02T03:04:06.001Z"),
        ]);
        assert.strictEqual(name, "web.archive-20260102T030406001Z-r1");
        assert.ok(name > pageName("web", [r("r0", "2025-12-31T23:59:59.999Z")]), "names sort by age");
    });
});
