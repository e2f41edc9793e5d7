import * as assert from "assert";
import { normalizeBasePath, stripBasePath } from "../../../server/basePath";

describe("server: the path prefix (--base-path)", () => {
    it("normalises a prefix: none for empty or /, one leading slash, no trailing one", () => {
        assert.strictEqual(normalizeBasePath(undefined), "");
        assert.strictEqual(normalizeBasePath(""), "");
        assert.strictEqual(normalizeBasePath("/"), "");
        assert.strictEqual(normalizeBasePath("/promotions"), "/promotions");
        assert.strictEqual(normalizeBasePath("/promotions/"), "/promotions");
        assert.strictEqual(normalizeBasePath(" /tools/promotions-v1.2_x~ "), "/tools/promotions-v1.2_x~");
    });

    it("refuses what a proxy could not forward unchanged, naming the option and the form it takes", () => {
        for (const bad of ["promotions", "/a//b", "/a/../b", "/a?x=1", "/a%2Fb", "/a b", "/./a", "//"]) {
            assert.throws(
                () => normalizeBasePath(bad, "PROMOTIONS_BASE_PATH"),
                (e: Error) =>
                    e.message.startsWith(
                        `PROMOTIONS_BASE_PATH "${bad.trim()}": a URL path such as /promotions`,
                    ),
                bad,
            );
        }
    });

    it("strips the prefix from request targets under it and nothing else", () => {
        assert.strictEqual(stripBasePath("/api/v1/x?y=1", ""), "/api/v1/x?y=1");
        assert.strictEqual(stripBasePath("/p/api/v1/x?y=1", "/p"), "/api/v1/x?y=1");
        assert.strictEqual(stripBasePath("/p", "/p"), "/");
        assert.strictEqual(stripBasePath("/p?x", "/p"), "/?x");
        assert.strictEqual(stripBasePath("/p/", "/p"), "/");
        assert.strictEqual(stripBasePath("/px/api", "/p"), undefined);
        assert.strictEqual(stripBasePath("/api/v1/products", "/p"), undefined);
        assert.strictEqual(stripBasePath("/a/p/x", "/p"), undefined);
    });
});
