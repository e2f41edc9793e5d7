import * as assert from "assert";
import { maxApiBodyBytes, refuseRequest } from "../../../server/server";

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
});
