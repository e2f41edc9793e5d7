import * as assert from "assert";
import { getEventListeners } from "events";
import type { Catalog } from "../../../../components/catalog";
import { commitMessage } from "../../../../provider/actions/gitPlan";
import type { TriggerEngine } from "../../../../engine/triggers/triggerWatcher";
import { isPromotionCommit, TriggerWatcher } from "../../../../engine/triggers/triggerWatcher";

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

/** No products: every poll is cheap and touches no repository, so the loop itself is what is tested. */
const emptyCatalog = {
    environments: [],
    products: [],
    promotionFlows: [],
    promotionPolicies: [],
    promotionTemplates: [],
    promotionWorkflows: [],
} as unknown as Catalog;

const unusedEngine: TriggerEngine = {
    cursor: () => Promise.reject(new Error("not used")),
    setCursor: () => Promise.reject(new Error("not used")),
    releases: () => Promise.reject(new Error("not used")),
    release: () => Promise.reject(new Error("not used")),
};

/** A watcher whose poll fails when told to (to see the loop carry on). */
class CountingWatcher extends TriggerWatcher {
    polls = 0;
    failOn = new Set<number>();
    override async pollOnce() {
        this.polls++;
        if (this.failOn.has(this.polls)) {
            throw new Error(`poll ${this.polls} broke`);
        }
        return super.pollOnce();
    }
}

describe("TriggerWatcher.run", () => {
    it("polls 50 times with one abort listener at most, and no MaxListenersExceededWarning", async () => {
        const watcher = new CountingWatcher({
            catalog: emptyCatalog,
            engine: unusedEngine,
            gitCacheDir: "/x",
        });
        const controller = new AbortController();
        const warnings: Error[] = [];
        const onWarning = (w: Error) => warnings.push(w);
        process.on("warning", onWarning);
        let maxListeners = 0;
        const errors: string[] = [];
        watcher.failOn.add(3);
        try {
            await watcher.run({
                signal: controller.signal,
                intervalMs: 1,
                onError: (e) => errors.push((e as Error).message),
                onPolled: () => {
                    maxListeners = Math.max(
                        maxListeners,
                        getEventListeners(controller.signal, "abort").length,
                    );
                    if (watcher.polls === 50) {
                        controller.abort();
                    }
                },
            });
            // Warnings are emitted on the next tick.
            await new Promise((r) => setImmediate(r));
        } finally {
            process.off("warning", onWarning);
        }
        assert.strictEqual(watcher.polls, 50);
        assert.ok(maxListeners <= 1, `${maxListeners} abort listeners`);
        assert.strictEqual(getEventListeners(controller.signal, "abort").length, 0, "the loop cleans up");
        assert.deepStrictEqual(
            warnings.map((w) => w.name),
            [],
        );
        assert.deepStrictEqual(errors, ["poll 3 broke"], "a failed poll is reported and the loop goes on");
    });

    it("without an interval polls only when prompted; prompts during a poll are not lost", async () => {
        const watcher = new CountingWatcher({
            catalog: emptyCatalog,
            engine: unusedEngine,
            gitCacheDir: "/x",
        });
        const controller = new AbortController();
        const done = watcher.run({
            signal: controller.signal,
            immediate: false,
            onPolled: () => {
                if (watcher.polls === 1) {
                    // Asked again while the first poll's report runs: one more poll follows.
                    watcher.prompt();
                } else {
                    controller.abort();
                }
            },
        });
        await new Promise((r) => setImmediate(r));
        assert.strictEqual(watcher.polls, 0, "nothing before the first prompt");
        watcher.prompt();
        await done;
        assert.strictEqual(watcher.polls, 2);
    });

    it("returns at once when the signal aborts while it sleeps", async () => {
        const watcher = new CountingWatcher({
            catalog: emptyCatalog,
            engine: unusedEngine,
            gitCacheDir: "/x",
        });
        const controller = new AbortController();
        const done = watcher.run({
            signal: controller.signal,
            intervalMs: 3_600_000,
            onPolled: () => setImmediate(() => controller.abort()),
        });
        await done;
        assert.strictEqual(watcher.polls, 1);
    });
});
