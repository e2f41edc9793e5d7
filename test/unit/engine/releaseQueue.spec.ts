import * as assert from "assert";
import { heartbeatDeadMs, ownerAlive, thisProcess } from "../../../engine/release/releaseQueue";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";

const at = Date.parse("2026-11-23T12:00:00.000Z");
const iso = (msBefore: number) => new Date(at - msBefore).toISOString();

function record(o: Partial<ReleaseRecord>): ReleaseRecord {
    return {
        id: "r1",
        status: "Running",
        createdAt: iso(3_600_000),
        startedAt: iso(3_600_000),
        owner: { host: "another-host", pid: 1 },
        plan: { timeoutMs: 86_400_000 },
        ...o,
    } as unknown as ReleaseRecord;
}

describe("engine/releaseQueue ownerAlive", () => {
    it("on another host, a Running release lives by its heartbeat", () => {
        assert.strictEqual(ownerAlive(record({ heartbeatAt: iso(10_000) }), at), true);
        assert.strictEqual(ownerAlive(record({ heartbeatAt: iso(heartbeatDeadMs + 1) }), at), false);
        assert.strictEqual(
            ownerAlive(record({ status: "Terminating", heartbeatAt: iso(heartbeatDeadMs + 1) }), at),
            false,
        );
        // No heartbeat yet: its start counts as the first one.
        assert.strictEqual(ownerAlive(record({ startedAt: iso(1000) }), at), true);
        assert.strictEqual(ownerAlive(record({}), at), false, "started an hour ago, never beat since");
    });

    it("on another host, by the owner's own heartbeat interval (six missed beats)", () => {
        const owner = { host: "another-host", pid: 1, heartbeatMs: 2000 };
        assert.strictEqual(ownerAlive(record({ owner, heartbeatAt: iso(11_000) }), at), true);
        assert.strictEqual(ownerAlive(record({ owner, heartbeatAt: iso(12_001) }), at), false);
        assert.strictEqual(ownerAlive(record({ heartbeatAt: iso(12_001) }), at), true, "default: 30 s × 6");
    });

    it("on another host, a Suspended release whose process waits beats; a Queued one lives until its timeout", () => {
        // Its process waits for an approval and beats meanwhile: a host lost with it is seen as such.
        assert.strictEqual(ownerAlive(record({ status: "Suspended", heartbeatAt: iso(10_000) }), at), true);
        assert.strictEqual(
            ownerAlive(record({ status: "Suspended", heartbeatAt: iso(heartbeatDeadMs + 1) }), at),
            false,
        );
        assert.strictEqual(ownerAlive(record({ status: "Queued" }), at), true);
        assert.strictEqual(
            ownerAlive(record({ status: "Queued", startedAt: iso(2 * 86_400_000) }), at),
            false,
        );
    });

    it("on this host, by the process", () => {
        assert.strictEqual(
            ownerAlive(record({ owner: { host: thisProcess.host, pid: process.pid } }), at),
            true,
        );
        assert.strictEqual(ownerAlive(record({ owner: undefined }), at), false);
    });
});
