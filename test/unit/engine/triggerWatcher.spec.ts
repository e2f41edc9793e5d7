import * as assert from "assert";
import { commitMessage } from "../../../provider/actions/gitPlan";
import { isPromotionCommit } from "../../../engine/triggerWatcher";

describe("isPromotionCommit", () => {
    it("recognises the commits promotions make, and nothing else", () => {
        const ours = commitMessage({
            releaseId: "r20261122-000000-abcd",
            product: "web",
            flow: "seq",
            environment: "qa",
            repoURL: "file:///r",
            targetRevision: "main",
            applications: [{ name: "web-qa", path: "apps/web/qa" }],
            candidate: {
                sourceApplication: "web-dev",
                sourceRepoURL: "file:///r",
                sourcePath: "apps/web/dev",
                sourceCommit: "a".repeat(40),
                files: [],
            },
            cacheDir: "/tmp",
        });
        assert.ok(isPromotionCommit(ours));
        assert.ok(!isPromotionCommit("deploy 2.0.0"));
        assert.ok(!isPromotionCommit("mention Promotion-Release: in the middle of a line"));
    });
});
