import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ApprovalDecision } from "../../../engine/record/approvalState";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { fenced, newestFirstKey, ReleaseStore, word } from "../../../engine/store/releaseStore";
import { FileKvStore } from "../../../engine/store/file";
import { secrets } from "../../../model/redact";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A record as the store keeps it (the store looks inside only for id, status, times, attempts, approvals). */
function record(
    n: number,
    status: ReleaseRecord["status"],
    extra: Partial<ReleaseRecord> = {},
): ReleaseRecord {
    const s = String(n).padStart(4, "0");
    return {
        id: `r20261123-12${s}-00ab`,
        product: "web",
        flow: "to-prod",
        status,
        createdAt: `2026-11-23T12:${s.slice(0, 2)}:${s.slice(2)}.000Z`,
        sourceApplication: "web-dev",
        sourceCommit: "0".repeat(40),
        environments: [],
        candidate: {},
        plan: { environments: [] },
        attempts: 1,
        ...extra,
    } as unknown as ReleaseRecord;
}

/** A release waiting on prod's approval, by one approver. */
function gated(n: number): ReleaseRecord {
    return record(n, "Suspended", {
        environments: [
            {
                name: "prod",
                status: "Suspended",
                waitKind: "approval",
                applications: [],
                approval: {
                    approvers: [{ group: "release-managers" }],
                    minApprovals: 2,
                    allowSelfApproval: true,
                    requestedAt: new Date().toISOString(),
                    decisions: [],
                },
            },
        ] as unknown as ReleaseRecord["environments"],
    });
}

const decision = (user: string, verdict: "approved" | "rejected"): ApprovalDecision => ({
    decision: verdict,
    user,
    groups: ["release-managers"],
    via: "local",
    at: new Date().toISOString(),
});

describe("engine/releaseStore on the coordination store", () => {
    after(removeTempDirs);
    let dir: string;
    let store: ReleaseStore;
    beforeEach(() => {
        dir = tempDir("release-store");
        store = new ReleaseStore(new FileKvStore(dir), "web");
    });

    it("keys sort newest first: ids in creation order give keys in the reverse order", () => {
        const ids = [
            "r20261123-120000-0000",
            "r20261123-120000-00ff",
            "r20261123-120001-0000",
            "r20270101-000000-a1b2",
        ];
        const keys = ids.map(newestFirstKey);
        assert.deepStrictEqual([...keys].sort(), [...keys].reverse());
        assert.strictEqual(new Set(keys).size, ids.length);
        assert.strictEqual(word("web"), "web");
        assert.notStrictEqual(word("a/b"), word("a_b"));
        assert.match(word("a/b"), /^[A-Za-z0-9._-]+$/);
    });

    it("a page of 50 out of 600 is the newest 50, and reads only part of the store", async function () {
        // 600 conditional writes, each a lock file and a rename: seconds on a loaded machine.
        this.timeout(120_000);
        for (let n = 0; n < 600; n++) {
            await store.put(record(n, "Succeeded"));
        }
        // A store on the same files that counts the documents it reads.
        const kv = new FileKvStore(dir);
        let reads = 0;
        const get = kv.get.bind(kv);
        kv.get = ((key: string) => {
            reads++;
            return get(key);
        }) as typeof kv.get;
        const page = await new ReleaseStore(kv, "web").page({ limit: 50 });
        assert.ok(reads <= 50, `a page of 50 read ${reads} of 600 documents`);
        assert.deepStrictEqual(
            page.map((r) => r.id),
            Array.from({ length: 50 }, (_, i) => record(599 - i, "Succeeded").id),
        );
        const failedOnly = await store.page({ limit: 5, where: (r) => r.id.endsWith("0100-00ab") });
        assert.deepStrictEqual(
            failedOnly.map((r) => r.id),
            [record(100, "Succeeded").id],
        );
        assert.strictEqual((await store.list()).length, 600);
    });

    it("one file per finished release at rest; a release not over is seen by live() until it ends", async () => {
        await store.put(record(1, "Running"));
        await store.put(record(2, "Queued"));
        await store.put(record(3, "Succeeded"));
        assert.deepStrictEqual(
            (await store.live()).map((r) => r.id),
            [record(2, "Queued").id, record(1, "Running").id],
        );
        await store.put(record(1, "Failed"));
        await store.put(record(2, "Terminated"));
        assert.deepStrictEqual(await store.live(), []);
        const files: string[] = [];
        const walk = (d: string) =>
            fs
                .readdirSync(d, { withFileTypes: true })
                .forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(e.name)));
        walk(dir);
        assert.strictEqual(files.length, 3, files.join(", "));
    });

    it("an approval and a rejection at once: the rejection is never lost (the approval after it is refused)", async () => {
        await store.put(gated(7));
        const read = (await store.get(gated(7).id))!;
        const [a, b] = await Promise.all([
            store.decide(read, "prod", decision("ana", "approved")),
            new ReleaseStore(new FileKvStore(dir), "web").decide(read, "prod", decision("bo", "rejected")),
        ]);
        const decisions = (await store.get(read.id))!.environments[0].approval!.decisions;
        assert.strictEqual(b.conflict, undefined, "the rejection was answered as lost");
        assert.ok(decisions.some((d) => d.decision === "rejected"));
        // The approval either came first (both stored) or was told the gate was already rejected.
        assert.strictEqual(decisions.length, a.conflict === undefined ? 2 : 1, JSON.stringify(decisions));
    });

    it("a release's own write keeps a decision stored meanwhile", async () => {
        await store.put(gated(8));
        await store.decide((await store.get(gated(8).id))!, "prod", decision("ana", "approved"));
        // The running release writes its snapshot, read before the decision.
        await store.put({ ...gated(8), heartbeatAt: new Date().toISOString() });
        assert.strictEqual((await store.get(gated(8).id))!.environments[0].approval!.decisions.length, 1);
    });

    it("fencing: an attempt taken over cannot write, nor reopen a release that ended", async () => {
        await store.put(record(9, "Running", { attempts: 2 }));
        await assert.rejects(store.put(record(9, "Running", { attempts: 1 })), /taken over by attempt 2/);
        await store.put(record(9, "Failed", { attempts: 2 }));
        await assert.rejects(store.put(record(9, "Running", { attempts: 2 })), /ended Failed.*promote retry/);
        // A retry is a newer attempt: it may.
        await store.put(record(9, "Running", { attempts: 3 }));
        assert.strictEqual((await store.get(record(9, "x" as never).id))!.status, "Running");
        assert.strictEqual(fenced(record(1, "Running"), record(1, "Succeeded")), undefined);
    });

    it("prune removes the oldest finished records only, and says what it removed", async () => {
        for (let n = 0; n < 10; n++) {
            await store.put(record(n, n === 0 ? "Suspended" : "Succeeded"));
        }
        const dry = await store.prune({ count: 4 }, true);
        assert.strictEqual(dry[0].records, 5, "the Suspended release is never removed");
        assert.strictEqual((await store.list()).length, 10);
        await store.prune({ count: 4 }, false);
        assert.deepStrictEqual(
            (await store.list()).map((r) => r.id),
            [9, 8, 7, 6, 0].map((n) => record(n, "Succeeded").id),
        );
    });

    it("holds and cursors; no secret reaches the store", async () => {
        const secret = "s3cr3t-token-value-1234";
        secrets.add(secret);
        await store.putHold({
            product: "web",
            environment: "prod",
            active: true,
            reason: `token ${secret}`,
        } as never);
        await store.putCursor("web-dev", "a".repeat(40));
        assert.strictEqual((await store.holds())[0].environment, "prod");
        assert.strictEqual(await store.getCursor("web-dev"), "a".repeat(40));
        await store.put(record(11, "Failed", { error: `push failed with ${secret}` }));
        const text = fs
            .readdirSync(dir, { recursive: true, encoding: "utf8" })
            .map((f) => path.join(dir, f))
            .filter((f) => fs.statSync(f).isFile())
            .map((f) => fs.readFileSync(f, "utf8"))
            .join("\n");
        assert.ok(!text.includes(secret));
    });
});
