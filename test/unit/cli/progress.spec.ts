import * as assert from "assert";
import type { Terminal } from "../../../cli/context";
import { makeStyle } from "../../../cli/context";
import { ProgressView } from "../../../cli/progress";
import type { EnvironmentRecord, ReleaseRecord } from "../../../engine/record/releaseRecord";

const t0 = Date.parse("2026-11-23T12:00:00Z");

function terminal(interactive: boolean) {
    const lines: string[] = [];
    const raw: string[] = [];
    const io: Terminal = {
        out: () => assert.fail("progress never writes to stdout"),
        err: (l) => lines.push(l),
        errRaw: (s) => raw.push(s),
        interactive,
        style: makeStyle(false),
    };
    return { io, lines, raw };
}

const env = (status: EnvironmentRecord["status"]): EnvironmentRecord => ({
    name: "qa",
    status,
    dependsOn: ["dev"],
    applications: [],
    ...(status === "Succeeded"
        ? { startedAt: new Date(t0).toISOString(), finishedAt: new Date(t0 + 2500).toISOString() }
        : {}),
});

const release = (id: string, status: ReleaseRecord["status"], e: EnvironmentRecord): ReleaseRecord =>
    ({ id, product: "web", flow: "seq", status, environments: [e] }) as unknown as ReleaseRecord;

describe("ProgressView", () => {
    it("writes one line per change through the deps' stderr, a header per release", () => {
        let now = t0;
        const { io, lines, raw } = terminal(false);
        const view = new ProgressView(io, { now: () => now });
        view.handle({ type: "release", release: release("r1", "Running", env("Pending")) });
        now += 1500;
        view.handle({ type: "environment", releaseId: "r1", environment: env("Succeeded") });
        view.handle({ type: "release", release: release("r1", "Succeeded", env("Succeeded")) });
        view.handle({ type: "waiting", releaseId: "r2", behind: ["r1\x1b[2J"] });
        view.handle({ type: "release", release: release("r2", "Running", env("Pending")) });
        view.stop();
        assert.deepStrictEqual(lines, [
            "[  0.0s] release r1 (web, flow seq)",
            "[  0.0s] release Running",
            "[  1.5s] qa Succeeded (2.5s)",
            "[  1.5s] release Succeeded",
            "[  1.5s] queued behind r1\\u001b[2J",
            "[  1.5s] release r2 (web, flow seq)",
            "[  1.5s] release Running",
        ]);
        assert.deepStrictEqual(raw, []);
    });

    it("on a terminal redraws the block through the deps' raw stderr, not process.stderr", () => {
        const { io, lines, raw } = terminal(true);
        const view = new ProgressView(io, { now: () => t0 });
        view.handle({ type: "release", release: release("r1", "Running", env("Running")) });
        view.handle({ type: "release", release: release("r1", "Succeeded", env("Succeeded")) });
        assert.deepStrictEqual(lines, ["[  0.0s] release r1 (web, flow seq)"]);
        assert.deepStrictEqual(raw, ["  ✔ qa    Succeeded  2.5s\n"]);
    });
});
