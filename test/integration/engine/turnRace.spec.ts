import * as assert from "assert";
import type { ProgressEvent } from "../../../engine/promoteEngine";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { ReleaseQueue } from "../../../engine/release/releaseQueue";
import { ReleaseStore } from "../../../engine/store/releaseStore";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** dev → prod for `web`, a new version in dev, and an engine that keeps its progress events. */
async function setup(dir: string) {
    const repo = gitopsRepoFor(dir, "web", ["dev", "prod"]);
    const catalog = scenario({
        product: "web",
        repoURL: repo.url,
        environments: [{ name: "dev" }, { name: "prod" }],
        flows: [
            {
                name: "to-prod",
                triggerEnvironment: "dev",
                steps: [{ environment: "prod", dependsOn: ["dev"] }],
            },
        ],
    });
    const events: ProgressEvent[] = [];
    const engine = await testPromoteEngine(dir, catalog, { onProgress: (e) => events.push(e) });
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
    return { repo, engine, events };
}

/**
 * The Running record is written while the promote stack's update starts; the update's program runs only once
 * the record is durable and the turn checked after it is the release's. Here the check finds a rival once
 * (as when two processes start a release of the product at the same moment): the program must not have run.
 */
describe("a release whose Running record is written while its update starts", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    it("finding a rival right after that write, steps back to Queued before its program runs, then runs once: one commit", async () => {
        const dir = tempDir("turn-race");
        const { repo, engine, events } = await setup(dir);
        const commitsBefore = repo.log().length;

        const rivalAhead = ReleaseQueue.prototype.rivalAhead;
        let checks = 0;
        ReleaseQueue.prototype.rivalAhead = async function (this: ReleaseQueue, record) {
            checks++;
            return checks === 1 ? true : rivalAhead.call(this, record);
        };
        let release;
        try {
            release = await engine.release({ product: "web", target: { flow: "to-prod" } });
        } finally {
            ReleaseQueue.prototype.rivalAhead = rivalAhead;
        }

        assert.strictEqual(release.status, "Succeeded", JSON.stringify(publicRecord(release), null, 2));
        assert.strictEqual(checks, 2, "the turn is checked after each Running write");
        assert.strictEqual(release.attempts, 1, "stepping back is not an attempt");
        assert.strictEqual(repo.log().length - commitsBefore, 1, "prod is committed once");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "2.0.0"/);
        // Written Running twice (Queued in between, unannounced as ever), Succeeded last.
        const statuses = events.flatMap((e) => (e.type === "release" ? [e.release.status] : []));
        assert.deepStrictEqual(statuses, ["Running", "Running", "Succeeded"]);
        // The first turn's program never ran: no environment moved before the second Running.
        const second = events.findIndex(
            (e, i) => e.type === "release" && i > 0 && e.release.status === "Running",
        );
        const early = events.slice(0, second).filter((e) => e.type === "environment");
        assert.deepStrictEqual(early, [], "an environment moved before the release had its turn");
    });

    it("whose Running record cannot be written fails without running its program: no commit", async () => {
        const dir = tempDir("turn-unwritten");
        const { repo, engine, events } = await setup(dir);
        const tip = repo.tip();

        // The backend refuses the Running record (the write after it, the Failed one, goes through).
        const put = ReleaseStore.prototype.put;
        ReleaseStore.prototype.put = function (this: ReleaseStore, record) {
            return record.status === "Running"
                ? Promise.reject(new Error("the backend is unreachable"))
                : put.call(this, record);
        };
        let error: unknown;
        try {
            await engine.release({ product: "web", target: { flow: "to-prod" } });
        } catch (e) {
            error = e;
        } finally {
            ReleaseStore.prototype.put = put;
        }

        assert.match(String(error), /the backend is unreachable/);
        assert.strictEqual(repo.tip(), tip, "nothing was pushed");
        assert.deepStrictEqual(
            events.filter((e) => e.type === "environment"),
            [],
            "no environment moved",
        );
    });
});
