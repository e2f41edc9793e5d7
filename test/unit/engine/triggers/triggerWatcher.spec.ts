import * as assert from "assert";
import { getEventListeners } from "events";
import * as path from "path";
import { buildCatalog } from "../../../../components/catalog";
import type { ReleaseOptions } from "../../../../engine/operations/options";
import type { ReleaseRecord } from "../../../../engine/record/releaseRecord";
import { Repository } from "../../../../provider/git/repository";
import { GitopsRepo } from "../../../support/gitops";
import { removeTempDirs, tempDir } from "../../../support/tmp";
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

/** Two products whose trigger applications (dev) live in one repository, and an engine that keeps what it is told. */
function twoProducts(o: { noWait?: boolean; log?: (line: string) => void } = {}): {
    repo: GitopsRepo;
    watcher: TriggerWatcher;
    engine: RecordingEngine;
    cache: string;
} {
    const dir = tempDir("watcher");
    const repo = GitopsRepo.create(dir, "gitops", {
        "apps/web/dev/values.yaml": 'tag: "1"\n',
        "apps/web/prod/values.yaml": 'tag: "1"\n',
        "apps/api/dev/values.yaml": 'tag: "1"\n',
        "apps/api/prod/values.yaml": 'tag: "1"\n',
    });
    const products = ["web", "api"];
    const { catalog, issues } = buildCatalog({
        environments: [{ name: "dev" }, { name: "prod" }],
        products: products.map((p) => ({
            name: p,
            promotionTemplate: { promotion: { "values.yaml": { jsonPaths: ["$.tag"] } } },
            promotionFlows: [{ name: "to-prod" }],
            applications: ["dev", "prod"].map((env) => ({
                name: `${p}-${env}`,
                environment: env,
                repoURL: repo.url,
                path: `apps/${p}/${env}`,
                targetRevision: "main",
            })),
        })),
        promotionFlows: [
            {
                name: "to-prod",
                triggerEnvironment: "dev",
                steps: [{ environment: "prod", dependsOn: ["dev"] }],
            },
        ],
    });
    assert.deepStrictEqual(issues, []);
    const engine = new RecordingEngine();
    const cache = path.join(dir, "cache");
    return {
        repo,
        engine,
        cache,
        watcher: new TriggerWatcher({ catalog, engine, gitCacheDir: cache, ...o }),
    };
}

/** A fake engine: cursors in a map, every call counted, releases that succeed unless told to fail. */
class RecordingEngine implements TriggerEngine {
    readonly cursors = new Map<string, string>();
    readonly calls: string[] = [];
    readonly started: { product: string; sourceCommit: string; status: string; noWait?: boolean }[] = [];
    failFor = new Set<string>();
    /** Commits whose release waits (returns Suspended, as with `noWait`). */
    suspendFor = new Set<string>();

    cursor(product: string, application: string) {
        this.calls.push(`cursor ${application}`);
        return Promise.resolve(this.cursors.get(`${product}/${application}`));
    }
    setCursor(product: string, application: string, sha: string) {
        this.calls.push(`setCursor ${application}`);
        this.cursors.set(`${product}/${application}`, sha);
        return Promise.resolve();
    }
    releases(product: string) {
        this.calls.push(`releases ${product}`);
        return Promise.resolve(
            this.started
                .filter((r) => r.product === product)
                .map(
                    (r) =>
                        ({
                            id: `r${this.started.indexOf(r) + 1}`,
                            status: r.status,
                            sourceApplication: `${product}-dev`,
                            sourceCommit: r.sourceCommit,
                        }) as ReleaseRecord,
                ),
        );
    }
    release(o: ReleaseOptions) {
        this.calls.push(`release ${o.product}`);
        if (this.failFor.has(o.sourceCommit ?? "")) {
            return Promise.reject(new Error("the backend is unreachable"));
        }
        const status = this.suspendFor.has(o.sourceCommit ?? "") ? "Suspended" : "Succeeded";
        this.started.push({
            product: o.product,
            sourceCommit: o.sourceCommit ?? "",
            status,
            ...(o.noWait ? { noWait: true } : {}),
        });
        return Promise.resolve({ id: `r${this.started.length}`, status } as ReleaseRecord);
    }
    count(prefix: string): number {
        return this.calls.filter((c) => c.startsWith(prefix)).length;
    }
}

describe("TriggerWatcher.pollOnce", () => {
    after(removeTempDirs);

    it("fetches a repository once per poll; a quiet poll reads no records and writes no cursor", async () => {
        const { repo, watcher, engine } = twoProducts();
        const fetches: string[] = [];
        const fetch = Repository.prototype.fetch;
        Repository.prototype.fetch = function (this: Repository) {
            fetches.push("fetch");
            return fetch.call(this);
        };
        try {
            await watcher.pollOnce(); // both start at the tip
            assert.deepStrictEqual([...engine.cursors.values()], [repo.tip(), repo.tip()]);
            assert.strictEqual(fetches.length, 1, "two trigger applications in one repository: one fetch");
            engine.calls.length = 0;
            assert.deepStrictEqual(await watcher.pollOnce(), []);
            assert.deepStrictEqual([...engine.calls].sort(), ["cursor api-dev", "cursor web-dev"]);
            assert.strictEqual(fetches.length, 2);
        } finally {
            Repository.prototype.fetch = fetch;
        }
    });

    it("moves a cursor over commits elsewhere at most once a minute, and releases what touches its application", async () => {
        const { repo, watcher, engine } = twoProducts();
        await watcher.pollOnce();
        repo.commit({ "apps/web/prod/values.yaml": 'tag: "0"\n' }, "hand edit in prod");
        engine.calls.length = 0;
        await watcher.pollOnce();
        assert.strictEqual(engine.count("setCursor"), 2, "the first time, each cursor moves to the tip");
        assert.strictEqual(engine.count("releases"), 0);
        repo.commit({ "apps/api/prod/values.yaml": 'tag: "0"\n' }, "another hand edit");
        engine.calls.length = 0;
        await watcher.pollOnce();
        assert.strictEqual(engine.count("setCursor"), 0, "then not again within the minute");

        const a = repo.commit({ "apps/web/dev/values.yaml": 'tag: "2"\n' }, "web 2");
        const b = repo.commit({ "apps/web/dev/values.yaml": 'tag: "3"\n' }, "web 3");
        engine.calls.length = 0;
        const outcomes = await watcher.pollOnce();
        assert.deepStrictEqual(
            outcomes.map((o) => [o.commit, o.releaseId]),
            [
                [a, "r1"],
                [b, "r2"],
            ],
        );
        assert.strictEqual(engine.count("setCursor web-dev"), 1, "one cursor write for the two commits");
        assert.strictEqual(engine.cursors.get("web/web-dev"), repo.tip());
        assert.strictEqual(engine.count("releases web"), 1);
        assert.strictEqual(engine.count("releases api"), 0);
    });

    it("a release that fails leaves the cursor after the last commit handled, and the next poll starts there", async () => {
        const { repo, watcher, engine } = twoProducts();
        await watcher.pollOnce();
        const a = repo.commit({ "apps/web/dev/values.yaml": 'tag: "2"\n' }, "web 2");
        const b = repo.commit({ "apps/web/dev/values.yaml": 'tag: "3"\n' }, "web 3");
        engine.failFor.add(b);
        await assert.rejects(watcher.pollOnce(), /the backend is unreachable/);
        assert.strictEqual(engine.cursors.get("web/web-dev"), a);
        engine.failFor.clear();
        const outcomes = await watcher.pollOnce();
        assert.deepStrictEqual(
            outcomes.map((o) => o.commit),
            [b],
        );
        assert.deepStrictEqual(
            engine.started.map((r) => r.sourceCommit),
            [a, b],
            "each commit released once",
        );
    });

    it("a commit already released (the cursor write was lost) is skipped, not released again", async () => {
        const { repo, watcher, engine } = twoProducts();
        await watcher.pollOnce();
        const start = engine.cursors.get("web/web-dev")!;
        const a = repo.commit({ "apps/web/dev/values.yaml": 'tag: "2"\n' }, "web 2");
        await watcher.pollOnce();
        engine.cursors.set("web/web-dev", start);
        const again = await watcher.pollOnce();
        assert.deepStrictEqual(
            again.map((o) => [o.commit, o.skipped]),
            [[a, "already released"]],
        );
        assert.strictEqual(engine.started.length, 1);
    });
    it("noWait: a release that waits holds no poll; its product's later commits wait for it, other products go on", async () => {
        const logged: string[] = [];
        const { repo, watcher, engine } = twoProducts({ noWait: true, log: (l) => logged.push(l) });
        await watcher.pollOnce();
        const a = repo.commit({ "apps/web/dev/values.yaml": 'tag: "2"\n' }, "web 2");
        const b = repo.commit({ "apps/web/dev/values.yaml": 'tag: "3"\n' }, "web 3");
        const c = repo.commit({ "apps/api/dev/values.yaml": 'tag: "2"\n' }, "api 2");
        engine.suspendFor.add(a);
        const first = await watcher.pollOnce();
        assert.deepStrictEqual(
            first.map((o) => `${o.commit} ${o.status}`).sort(),
            [`${a} Suspended`, `${c} Succeeded`].sort(),
        );
        assert.ok(
            engine.started.every((r) => r.noWait),
            "released with noWait",
        );
        assert.strictEqual(
            engine.cursors.get("web/web-dev"),
            a,
            "web's cursor stays before the waiting commit",
        );
        assert.strictEqual(engine.cursors.get("api/api-dev"), repo.tip());

        // Still waiting: the next polls release nothing of web's, and say so once.
        assert.deepStrictEqual(await watcher.pollOnce(), []);
        assert.deepStrictEqual(await watcher.pollOnce(), []);
        assert.deepStrictEqual(
            logged.filter((l) => l.includes("wait for release")),
            [
                `web-dev: 1 new commit(s) wait for release ${first.find((o) => o.commit === a)?.releaseId} (Suspended) to end first`,
            ],
        );

        engine.started.find((r) => r.sourceCommit === a)!.status = "Succeeded"; // approved and resumed by the resume loop
        const after = await watcher.pollOnce();
        assert.deepStrictEqual(
            after.map((o) => o.commit),
            [b],
        );
        assert.strictEqual(engine.cursors.get("web/web-dev"), repo.tip());
        assert.deepStrictEqual(
            engine.started.map((r) => r.sourceCommit).filter((x) => x !== c),
            [a, b],
        );
    });
    it("noWait: a poll that left commits for later polls again within deferredPollMs, even without an interval", async () => {
        const { repo, watcher, engine } = twoProducts({ noWait: true });
        await watcher.pollOnce();
        const a = repo.commit({ "apps/web/dev/values.yaml": 'tag: "2"\n' }, "web 2");
        const b = repo.commit({ "apps/web/dev/values.yaml": 'tag: "3"\n' }, "web 3");
        engine.suspendFor.add(a);
        const controller = new AbortController();
        let polls = 0;
        await watcher.run({
            signal: controller.signal,
            deferredPollMs: 20,
            onPolled: () => {
                polls++;
                if (polls === 2) {
                    engine.started.find((r) => r.sourceCommit === a)!.status = "Succeeded";
                }
                if (engine.started.some((r) => r.sourceCommit === b)) {
                    controller.abort();
                }
            },
        });
        assert.strictEqual(polls, 3, "the first poll, one still waiting, one after the release ended");
        assert.deepStrictEqual(
            engine.started.map((r) => r.sourceCommit),
            [a, b],
        );
    });
});
