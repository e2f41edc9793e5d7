import * as assert from "assert";
import type { ActionRequest } from "../../../../provider/actions/action";
import { promotionBranch, pullRequestBody, pullRequestTitle } from "../../../../provider/actions/pr";
import type { ApplicationPlan } from "../../../../provider/promotion";

const req: ActionRequest = {
    releaseId: "r20261122-101010-abcd",
    product: "web",
    flow: "to-prod",
    environment: "prod",
    repoURL: "https://github.com/acme/gitops.git",
    targetRevision: "main",
    applications: [{ name: "web-prod", path: "apps/web/prod" }],
    candidate: {
        sourceApplication: "web-dev",
        sourceRepoURL: "https://github.com/acme/gitops.git",
        sourcePath: "apps/web/dev",
        sourceCommit: "0123456789abcdef0123456789abcdef01234567",
        version: "2.0.0",
        files: [],
    },
    cacheDir: "/tmp/cache",
};

const plans: ApplicationPlan[] = [
    {
        application: "web-prod",
        changes: [{ file: "values.yaml", path: "$.image.tag", from: "1.0.0", to: "2.0.0" }],
        files: new Map(),
        missing: [],
    },
];

const diff = `diff --git a/apps/web/prod/values.yaml b/apps/web/prod/values.yaml
index 1111111..2222222 100644
--- a/apps/web/prod/values.yaml
+++ b/apps/web/prod/values.yaml
@@ -5 +5 @@ image:
-  tag: "1.0.0"
+  tag: "2.0.0"
`;

describe("the pr action's pull request", () => {
    it("proposes a branch of the release's own", () => {
        assert.strictEqual(promotionBranch(req), "promotions/web/prod/r20261122-101010-abcd");
    });

    it("has a title naming product, version and environment", () => {
        assert.strictEqual(pullRequestTitle(req), "Promote web 2.0.0 to prod");
        assert.strictEqual(
            pullRequestTitle({ ...req, candidate: { ...req.candidate, version: undefined } }),
            "Promote web to prod",
        );
    });

    it("has a body with the release, the values and each file's diff", () => {
        const body = pullRequestBody(req, plans, diff);
        assert.match(body, /Release: `r20261122-101010-abcd` \(flow `to-prod`\)/);
        assert.match(body, /Source: `web-dev` at `0123456789ab`/);
        assert.match(
            body,
            /\| web-prod \| values\.yaml \| `\$\.image\.tag` \| `"1\.0\.0"` \| `"2\.0\.0"` \|/,
        );
        assert.match(
            body,
            /#### `apps\/web\/prod\/values\.yaml`\n\n```diff\ndiff --git[\s\S]*\+  tag: "2\.0\.0"\n```/,
        );
        assert.match(body, /<!-- promotions: release=r20261122-101010-abcd environment=prod -->/);
    });

    it("leaves out a diff too long for GitHub, keeping the table", () => {
        const body = pullRequestBody(req, plans, diff + "+x\n".repeat(40_000));
        assert.ok(body.length < 65_000);
        assert.match(body, /too long to show here/);
        assert.match(body, /\| web-prod \|/);
    });
});
