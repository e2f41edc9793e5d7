import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import type { ReleaseRecord } from "../../../engine/releaseRecord";
import { recordsProject, ReleaseStore } from "../../../engine/releaseStore";
import { enginePath } from "../../../engine/engineLocator";
import { inlineUpdate } from "../../../engine/inlineUpdates";
import { secrets } from "../../../model/redact";
import { testEngine, testPassphrase } from "../../support/engine";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A record as the store keeps it (the store never looks inside but for id, status and times). */
function record(n: number, status: "Succeeded" | "Running"): ReleaseRecord {
    return {
        id: `r20261123-1200${String(n).padStart(2, "0")}-0000`,
        product: "web",
        flow: "to-prod",
        status,
        createdAt: `2026-11-23T12:00:${String(n).padStart(2, "0")}.000Z`,
        sourceApplication: "web-dev",
        sourceCommit: "0".repeat(40),
        environments: [],
        candidate: {},
        plan: { environments: [] },
        attempts: 1,
    } as unknown as ReleaseRecord;
}

describe("release records: a bounded product stack and archive pages", function () {
    this.timeout(240_000);
    after(removeTempDirs);

    it("moves the oldest finished records to pages, keeps running ones, and reads across both", async () => {
        const engine = await testEngine();
        const state = tempDir("archive");
        const backendUrl = `file://${state}`;
        const store = new ReleaseStore({
            engine,
            backendUrl,
            passphrase: testPassphrase,
            product: "web",
            archive: { liveFinishedMax: 3, pageSize: 2 },
        });
        // An old release still running, then six finished ones: the fourth and the sixth each move two.
        await store.put(record(0, "Running"));
        for (let n = 1; n <= 6; n++) {
            await store.put(record(n, "Succeeded"));
        }
        const ids = (rs: readonly ReleaseRecord[]) => rs.map((r) => r.id.slice(14, 16));

        assert.deepStrictEqual(ids(await store.live()), ["06", "05", "00"]);
        assert.deepStrictEqual(ids(await store.list()), ["06", "05", "04", "03", "02", "01", "00"]);
        assert.deepStrictEqual(ids(await store.page({ limit: 2 })), ["06", "05"]);
        assert.deepStrictEqual(ids(await store.page({ limit: 4 })), ["06", "05", "04", "03"]);
        assert.deepStrictEqual(
            ids(await store.page({ limit: 2, where: (r) => r.id < record(3, "Succeeded").id })),
            ["02", "01"],
        );
        assert.strictEqual((await store.get(record(1, "Succeeded").id))?.status, "Succeeded");

        const stacks = fs
            .readdirSync(path.join(state, ".pulumi", "stacks", recordsProject))
            .filter((f) => f.endsWith(".json"))
            .sort();
        assert.strictEqual(stacks.length, 3, stacks.join(", "));
        assert.ok(
            stacks.every((s) => s === "web.json" || s.startsWith("web.archive-")),
            stacks.join(", "),
        );

        // The plain Pulumi CLI still reads the product's stack: its output is the latest record.
        const out = execFileSync(
            engine.pulumi,
            ["stack", "output", "latest", "--json", "--stack", `organization/${recordsProject}/web`],
            {
                cwd: path.join(state, "workspaces", recordsProject),
                env: {
                    ...process.env,
                    PULUMI_BACKEND_URL: backendUrl,
                    PULUMI_CONFIG_PASSPHRASE: testPassphrase,
                    PULUMI_SKIP_UPDATE_CHECK: "true",
                    PATH: enginePath(engine, process.env.PATH ?? ""),
                },
                encoding: "utf8",
            },
        );
        assert.strictEqual((JSON.parse(out) as ReleaseRecord).id, record(6, "Succeeded").id);

        // Retention is explicit: a dry run says what would go, then whole pages go, never the product's stack.
        const wouldGo = await store.prune({ count: 4 }, true);
        assert.deepStrictEqual(
            wouldGo.map((p) => p.records),
            [2],
        );
        assert.deepStrictEqual(ids(await store.list()), ["06", "05", "04", "03", "02", "01", "00"]);
        await store.prune({ count: 4 }, false);
        assert.deepStrictEqual(ids(await store.list()), ["06", "05", "04", "03", "00"]);
    });

    it("writes from a process of its own while this process runs another inline update", async () => {
        const engine = await testEngine();
        const state = tempDir("archive-child");
        const store = new ReleaseStore({
            engine,
            backendUrl: `file://${state}`,
            passphrase: testPassphrase,
            product: "web",
        });
        await store.put(record(1, "Succeeded"));
        // As if a release's update were running here: this write must not run a second inline program. The
        // writer process gets the record redacted (it is not handed our tokens to know them by).
        const secret = "child-writer-secret-token";
        secrets.add(secret);
        try {
            await inlineUpdate(() =>
                store.put({ ...record(2, "Running"), status: "Suspended", error: `token ${secret} refused` }),
            );
        } finally {
            secrets.forget(secret);
        }
        const written = await store.get(record(2, "Running").id);
        assert.strictEqual(written?.status, "Suspended");
        assert.ok(written?.error && !written.error.includes(secret), written?.error);
        assert.ok(
            !fs
                .readFileSync(path.join(state, ".pulumi", "stacks", recordsProject, "web.json"), "utf8")
                .includes(secret),
        );
        await assert.rejects(
            inlineUpdate(() =>
                new ReleaseStore({
                    engine,
                    backendUrl: `file://${state}`,
                    passphrase: "not-the-passphrase-of-this-state",
                    product: "web",
                }).put(record(3, "Succeeded")),
            ),
            /records stack of web \(in a separate process\) failed: /,
        );
    });
});
