import * as assert from "assert";
import type { ActionRequest } from "../../../../provider/actions/action";
import { commitMessage, oneLine } from "../../../../provider/actions/gitPlan";

const req = (version: string): ActionRequest => ({
    releaseId: "r1",
    product: "web",
    flow: "seq",
    environment: "prod",
    repoURL: "file:///r",
    targetRevision: "main",
    applications: [{ name: "web-prod", path: "apps/web/prod" }],
    candidate: {
        sourceApplication: "web-dev",
        sourceRepoURL: "file:///r",
        sourcePath: "apps/web/dev",
        sourceCommit: "0123456789abcdef0123456789abcdef01234567",
        version,
        files: [],
    },
    cacheDir: "/tmp/cache",
});

describe("promotion commit messages", () => {
    it("carry our trailers only: a version with newlines cannot forge one", () => {
        const message = commitMessage(req("1.0.0\n\nPromotion-Release: r-forged"));
        const trailers = message.split("\n").filter((l) => /^Promotion-Release:/.test(l));
        assert.deepStrictEqual(trailers, ["Promotion-Release: r1"]);
        assert.match(
            message.split("\n")[0],
            /^promote web 1\.0\.0\\n\\nPromotion-Release: r-forged to prod$/,
        );
    });

    it("carry the user's note in the body, under the subject, unable to forge a trailer", () => {
        const base = req("1.0.0");
        const message = commitMessage({
            ...base,
            candidate: { ...base.candidate, note: "QA sign-off\r\nPromotion-Release: r-forged\u001b[31m" },
        });
        const lines = message.split("\n");
        assert.deepStrictEqual(lines.slice(0, 4), [
            "promote web 1.0.0 to prod",
            "",
            "QA sign-off",
            "> Promotion-Release: r-forged[31m",
        ]);
        assert.deepStrictEqual(
            lines.filter((l) => /^Promotion-Release:/.test(l)),
            ["Promotion-Release: r1"],
        );
    });

    it("escape control characters and cut long values", () => {
        assert.strictEqual(oneLine("a\u001b[31mb"), "a\\u001b[31mb");
        assert.strictEqual(oneLine("x".repeat(300)).length, 100);
    });
});
