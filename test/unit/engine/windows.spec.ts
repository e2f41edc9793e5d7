import * as assert from "assert";
import type { PlannedEnvironment } from "../../../engine/record/releaseRecord";
import type { Clock } from "../../../engine/release/waits";
import { EnvironmentWaits, ParkedError } from "../../../engine/release/waits";
import type { WindowSpec } from "../../../engine/governance/windows";
import { isOpen, nextOpen, soakUntil, windowApplies, windowState } from "../../../engine/governance/windows";
import { InvalidInputError } from "../../../model/errors";

const win = (name: string, over: Partial<WindowSpec>): WindowSpec => ({
    name,
    mode: "deny",
    timeZone: "UTC",
    onClosed: "wait",
    environments: { names: ["prod"] },
    ...over,
});
const web = { name: "web", tags: ["frontend"] };
const prod = { name: "prod", kind: "production" as const, tags: ["eu"] };
const qa = { name: "qa", kind: "non-production" as const, tags: [] };
const at = (iso: string) => new Date(iso);

describe("promotion windows: which environments a window covers", () => {
    const table: { name: string; w: Partial<WindowSpec>; env: typeof prod | typeof qa; want: boolean }[] = [
        { name: "by name", w: { environments: { names: ["prod"] } }, env: prod, want: true },
        { name: "another name", w: { environments: { names: ["prod"] } }, env: qa, want: false },
        { name: "by kind", w: { environments: { kinds: ["production"] } }, env: prod, want: true },
        { name: "kind not matching", w: { environments: { kinds: ["production"] } }, env: qa, want: false },
        { name: "by tag", w: { environments: { tags: ["eu"] } }, env: prod, want: true },
        { name: "everything on purpose", w: { environments: { names: ["*"] } }, env: qa, want: true },
        {
            name: "product tag and environment kind both must match",
            w: { environments: { kinds: ["production"] }, products: { tags: ["backend"] } },
            env: prod,
            want: false,
        },
        {
            name: "product by name",
            w: { environments: undefined, products: { names: ["web"] } },
            env: qa,
            want: true,
        },
    ];
    for (const c of table) {
        it(c.name, () => assert.strictEqual(windowApplies(win("w", c.w), web, c.env), c.want));
    }
});

describe("promotion windows: open or closed", () => {
    // Fridays 18:00 to Monday 06:00 (60h), Berlin time.
    const weekend = win("weekend-freeze", {
        schedule: "0 18 * * 5",
        duration: "60h",
        timeZone: "Europe/Berlin",
    });
    const table: {
        name: string;
        windows: WindowSpec[];
        at: string;
        env?: typeof prod | typeof qa;
        open: boolean;
        next?: string;
    }[] = [
        { name: "no window: open", windows: [], at: "2026-11-23T12:00:00Z", open: true },
        {
            name: "deny covering now: closed until it ends (Monday 06:00 Berlin = 05:00Z)",
            windows: [weekend],
            at: "2026-11-28T10:00:00Z",
            open: false,
            next: "2026-11-30T05:00:00.000Z",
        },
        { name: "deny not covering now: open", windows: [weekend], at: "2026-11-25T10:00:00Z", open: true },
        {
            name: "deny on another environment: open",
            windows: [weekend],
            at: "2026-11-28T10:00:00Z",
            env: qa,
            open: true,
        },
        {
            name: "allow outside: closed until the next opening (weekdays 09:00-17:00 UTC)",
            windows: [win("office", { mode: "allow", schedule: "0 9 * * 1-5", duration: "8h" })],
            at: "2026-11-23T18:00:00Z",
            open: false,
            next: "2026-11-24T09:00:00.000Z",
        },
        {
            name: "allow inside: open",
            windows: [win("office", { mode: "allow", schedule: "0 9 * * 1-5", duration: "8h" })],
            at: "2026-11-23T10:00:00Z",
            open: true,
        },
        {
            name: "one-off deny (start/end)",
            windows: [win("xmas", { start: "2026-12-24T00:00:00Z", end: "2026-12-27T00:00:00+01:00" })],
            at: "2026-12-25T12:00:00Z",
            open: false,
            next: "2026-12-26T23:00:00.000Z",
        },
        {
            name: "allow window that has ended never opens again",
            windows: [
                win("once", { mode: "allow", start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00Z" }),
            ],
            at: "2026-11-23T12:00:00Z",
            open: false,
        },
        {
            name: "DST: 22:00 Berlin is 20:00Z after the spring change (closed at 20:30Z)",
            windows: [win("night", { schedule: "0 22 * * *", duration: "2h", timeZone: "Europe/Berlin" })],
            at: "2026-03-29T20:30:00Z",
            open: false,
            next: "2026-03-29T22:00:00.000Z",
        },
        {
            name: "DST: 22:00 Berlin is 21:00Z the day before (open at 20:30Z)",
            windows: [win("night", { schedule: "0 22 * * *", duration: "2h", timeZone: "Europe/Berlin" })],
            at: "2026-03-28T20:30:00Z",
            open: true,
        },
        {
            name: "a deny window overlapping a closed allow window: opens when both allow it",
            windows: [
                win("office", { mode: "allow", schedule: "0 9 * * *", duration: "8h" }),
                win("morning-freeze", { schedule: "0 8 * * *", duration: "3h" }),
            ],
            at: "2026-11-23T08:30:00Z",
            open: false,
            next: "2026-11-23T11:00:00.000Z",
        },
    ];
    for (const c of table) {
        it(c.name, () => {
            const when = at(c.at);
            assert.strictEqual(isOpen(c.windows, web, c.env ?? prod, when).open, c.open);
            const next = nextOpen(c.windows, web, c.env ?? prod, when);
            if (c.open) {
                assert.deepStrictEqual(next, when);
            } else {
                assert.strictEqual(next?.toISOString(), c.next);
            }
        });
    }

    it("onClosed fail wins when any closing window says so, and names the windows", () => {
        const r = isOpen(
            [win("a", { start: "2026-01-01T00:00:00Z", end: "2027-01-01T00:00:00Z", onClosed: "fail" })],
            web,
            prod,
            at("2026-06-01T00:00:00Z"),
        );
        assert.deepStrictEqual(r, { open: false, window: "a", onClosed: "fail" });
    });

    it("a schedule firing again before it closes extends the window", () => {
        const s = windowState(
            win("w", { schedule: "0 9,10 * * *", duration: "90m" }),
            at("2026-11-23T09:10:00Z"),
        );
        assert.deepStrictEqual(s, { open: true, until: at("2026-11-23T11:30:00Z") });
    });
});

describe("soak time: until when an environment waits for its dependencies", () => {
    const m = 60_000;
    const table: {
        name: string;
        soakMs?: number;
        deps: { name: string; status: string; finishedAt?: string }[];
        want?: { until: string; remainingMs: number; waitingOn: string[] };
    }[] = [
        {
            name: "no soak time",
            deps: [{ name: "qa", status: "Succeeded", finishedAt: "2026-11-23T12:00:00Z" }],
        },
        {
            name: "qa finished 4 minutes ago, soak 10m: 6 minutes left",
            soakMs: 10 * m,
            deps: [{ name: "qa", status: "Succeeded", finishedAt: "2026-11-23T11:56:00Z" }],
            want: { until: "2026-11-23T12:06:00.000Z", remainingMs: 6 * m, waitingOn: ["qa"] },
        },
        {
            name: "soaked long enough",
            soakMs: 10 * m,
            deps: [{ name: "qa", status: "Succeeded", finishedAt: "2026-11-23T11:40:00Z" }],
        },
        {
            name: "the last dependency to finish decides",
            soakMs: 10 * m,
            deps: [
                { name: "qa", status: "Succeeded", finishedAt: "2026-11-23T11:51:00Z" },
                { name: "perf", status: "Succeeded", finishedAt: "2026-11-23T11:59:00Z" },
            ],
            want: { until: "2026-11-23T12:09:00.000Z", remainingMs: 9 * m, waitingOn: ["perf", "qa"] },
        },
        {
            name: "a dependency this release did not change does not soak",
            soakMs: 10 * m,
            deps: [{ name: "qa", status: "Skipped", finishedAt: "2026-11-23T11:59:00Z" }],
        },
    ];
    for (const c of table) {
        it(c.name, () => {
            const r = soakUntil(c.soakMs, c.deps, at("2026-11-23T12:00:00Z"));
            assert.deepStrictEqual(
                r && { until: r.until.toISOString(), remainingMs: r.remainingMs, waitingOn: r.waitingOn },
                c.want,
            );
        });
    }
});

/** A clock that only moves when slept on; records what each sleep asked for. */
class FakeClock implements Clock {
    readonly sleeps: number[] = [];
    constructor(private t: number) {}
    now(): number {
        return this.t;
    }
    async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (signal?.aborted) {
            throw new Error("aborted");
        }
        this.sleeps.push(ms);
        this.t += ms;
    }
}

describe("EnvironmentWaits: the wait before an environment starts", () => {
    const planned = (over: Partial<PlannedEnvironment>): PlannedEnvironment => ({
        name: "prod",
        dependsOn: ["qa"],
        action: "commit",
        applications: [],
        ...over,
    });

    it("waits for a deny window to end, then for the soak, reporting each wait", async () => {
        const clock = new FakeClock(Date.parse("2026-11-23T12:00:00Z"));
        const seen: string[] = [];
        const waits: EnvironmentWaits = new EnvironmentWaits({
            product: "web",
            clock,
            dependencies: () => [{ name: "qa", status: "Succeeded", finishedAt: "2026-11-23T12:25:00Z" }],
            onChange: (e) => {
                const w = waits.waiting.get(e);
                seen.push(w ? `${w.waitKind} ${w.resumesAt}` : "done");
            },
        });
        await waits.before(
            planned({
                soakTimeMs: 10 * 60_000,
                windows: [win("noon", { start: "2026-11-23T11:00:00Z", end: "2026-11-23T12:30:00Z" })],
            }),
        );
        assert.deepStrictEqual(seen, [
            "window 2026-11-23T12:30:00.000Z",
            "soak 2026-11-23T12:35:00.000Z",
            "done",
        ]);
        assert.deepStrictEqual(clock.sleeps, [30 * 60_000, 5 * 60_000]);
    });

    it("fails at once naming the window when it says onClosed: fail", async () => {
        const clock = new FakeClock(Date.parse("2026-11-23T12:00:00Z"));
        const waits = new EnvironmentWaits({
            product: "web",
            clock,
            dependencies: () => [],
            onChange: () => {},
        });
        await assert.rejects(
            waits.before(
                planned({
                    windows: [
                        win("freeze", {
                            start: "2026-11-23T11:00:00Z",
                            end: "2026-11-23T13:00:00Z",
                            onClosed: "fail",
                        }),
                    ],
                }),
            ),
            (e: unknown) =>
                e instanceof InvalidInputError && /freeze.*prod.*--override-window/.test(e.message),
        );
        assert.deepStrictEqual(clock.sleeps, []);
    });

    it("stops waiting when the release is stopped", async () => {
        const clock = new FakeClock(Date.parse("2026-11-23T12:00:00Z"));
        const controller = new AbortController();
        controller.abort();
        const waits = new EnvironmentWaits({
            product: "web",
            clock,
            signal: controller.signal,
            dependencies: () => [{ name: "qa", status: "Succeeded", finishedAt: "2026-11-23T12:00:00Z" }],
            onChange: () => {},
        });
        await assert.rejects(waits.before(planned({ soakTimeMs: 60_000 })), /stopped while waiting \(soak\)/);
        assert.strictEqual(waits.waiting.size, 0);
    });

    it("parks a wait under way when the process drains (serve on SIGTERM): Suspended, for another to resume", async () => {
        const drain = new AbortController();
        const changes: string[] = [];
        const waits: EnvironmentWaits = new EnvironmentWaits({
            product: "web",
            clock: { now: () => Date.now(), sleep: async () => undefined },
            drain: drain.signal,
            dependencies: () => [],
            approvalPollMs: 50,
            onChange: (e) => changes.push(`${e} ${waits.waiting.get(e)?.waitKind ?? "done"}`),
        });
        const waiting = waits.before(
            planned({
                approval: { approvers: [{ user: "alice" }], minApprovals: 1, allowSelfApproval: false },
            }),
        );
        // Still waiting after a few looks at the record; then the drain.
        await new Promise((r) => setTimeout(r, 200));
        assert.deepStrictEqual(changes, ["prod approval"]);
        drain.abort();
        await assert.rejects(
            waiting,
            (e: unknown) => e instanceof ParkedError && /waiting \(approval\)/.test(e.message),
        );
        assert.deepStrictEqual(waits.parked.get("prod"), { waitKind: "approval" });
    });

    it("a wait that starts once the process drains parks at once, without sleeping", async () => {
        const clock = new FakeClock(Date.parse("2026-11-23T12:00:00Z"));
        const drain = new AbortController();
        drain.abort();
        const waits = new EnvironmentWaits({
            product: "web",
            clock,
            drain: drain.signal,
            dependencies: () => [{ name: "qa", status: "Succeeded", finishedAt: "2026-11-23T12:00:00Z" }],
            onChange: () => {},
        });
        await assert.rejects(waits.before(planned({ soakTimeMs: 60_000 })), ParkedError);
        assert.deepStrictEqual(waits.parked.get("prod"), {
            waitKind: "soak",
            resumesAt: "2026-11-23T12:01:00.000Z",
        });
        assert.deepStrictEqual(clock.sleeps, []);
    });

    it("a release stopped (terminate, timeout) while the process drains is stopped, not parked", async () => {
        const drain = new AbortController();
        const stop = new AbortController();
        const waits = new EnvironmentWaits({
            product: "web",
            clock: realClockLike(),
            signal: stop.signal,
            drain: drain.signal,
            dependencies: () => [{ name: "qa", status: "Succeeded", finishedAt: new Date().toISOString() }],
            onChange: () => {},
        });
        const waiting = waits.before(planned({ soakTimeMs: 60 * 60_000 }));
        await new Promise((r) => setTimeout(r, 50));
        stop.abort();
        drain.abort();
        await assert.rejects(waiting, /stopped while waiting \(soak\)/);
        assert.strictEqual(waits.parked.size, 0);
    });
});

/** Real time, as the engine's default clock (a sleep ends when its signal aborts). */
function realClockLike(): Clock {
    return {
        now: () => Date.now(),
        sleep: (ms, signal) =>
            new Promise<void>((resolve, reject) => {
                const t = setTimeout(resolve, ms);
                signal?.addEventListener("abort", () => {
                    clearTimeout(t);
                    reject(new Error("stopped"));
                });
            }),
    };
}
