import * as assert from "assert";
import { malformedSegment, maxApiBodyBytes, refuseRequest } from "../../../server/server";

describe("server: requests refused before routing", () => {
    const req = (headers: Record<string, string>) => ({ headers });

    it("a loopback server answers only loopback Host names (no DNS rebinding)", () => {
        for (const host of ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "localhost"]) {
            assert.strictEqual(refuseRequest(req({ host }), true), undefined, host);
        }
        const rebound = refuseRequest(req({ host: "evil.example:8080" }), true);
        assert.strictEqual(rebound?.status, 403);
        assert.match(
            rebound?.message ?? "",
            /Host "evil.example:8080" refused: this server listens on loopback/,
        );
        assert.strictEqual(refuseRequest(req({ host: "promotions.internal" }), false), undefined);
    });

    it("refuses a declared body over the limit", () => {
        const big = refuseRequest(
            req({ host: "localhost", "content-length": String(maxApiBodyBytes + 1) }),
            true,
        );
        assert.strictEqual(big?.status, 413);
        assert.strictEqual(
            refuseRequest(req({ host: "localhost", "content-length": "100" }), true),
            undefined,
        );
    });

    it("refuses a path segment that does not percent-decode with 400, naming the segment (issue 23, item 7)", () => {
        for (const url of [
            "/api/v1/releases/%ZZ",
            "/api/v1/products/%E0%A4%A/environments",
            "/api/v1/releases/%ZZ/retry?x=1",
        ]) {
            const refused = refuseRequest({ headers: { host: "localhost" }, url }, true);
            assert.strictEqual(refused?.status, 400, url);
            assert.match(
                refused?.message ?? "",
                /^path segment "%(ZZ|E0%A4%A)" is not valid percent-encoding/,
            );
        }
        assert.strictEqual(malformedSegment("/api/v1/releases/r%201?q=%ZZ"), undefined);
        assert.strictEqual(
            refuseRequest({ headers: { host: "localhost" }, url: "/api/v1/products/%C3%BC" }, true),
            undefined,
        );
    });
});
