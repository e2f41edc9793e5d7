import * as assert from "assert";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import type { PromoteEngine } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { publicRecord } from "../../../engine/record/releaseRecord";
import type { Clock } from "../../../engine/release/waits";
import { expectRefused } from "../../support/badInput";
import type { GitopsRepo } from "../../support/gitops";
import { gitopsRepoFor } from "../../support/gitops";
import {
    cliScenario,
    scenarioDefinitions,
    testPromoteEngine,
    writeConfigModule,
} from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A clock that moves only when the test advances it; every sleep is recorded and ends when its time comes. */
class ManualClock implements Clock {
    readonly asked: number[] = [];
    private sleepers: { until: number; resolve: () => void }[] = [];
    constructor(private t: number) {}
    now(): number {
        return this.t;
    }
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        this.asked.push(ms);
        return new Promise((resolve, reject) => {
            if (signal?.aborted) {
                reject(new Error("aborted"));
                return;
            }
            const sleeper = { until: this.t + ms, resolve };
            this.sleepers.push(sleeper);
            signal?.addEventListener("abort", () => {
                this.sleepers = this.sleepers.filter((s) => s !== sleeper);
                reject(new Error("aborted"));
            });
        });
    }
    advance(ms: number): void {
        this.t += ms;
        const due = this.sleepers.filter((s) => s.until <= this.t);
        this.sleepers = this.sleepers.filter((s) => s.until > this.t);
        due.forEach((s) => s.resolve());
    }
}

const minute = 60_000;

/** Polls the stored record until `ok` holds (the release runs meanwhile); no timing is asserted. */
async function recordWhen(
    engine: PromoteEngine,
    id: () => string | undefined,
    ok: (r: ReleaseRecord) => boolean,
    what: string,
): Promise<ReleaseRecord> {
    let last: ReleaseRecord | undefined;
    for (let i = 0; i < 600; i++) {
        const releaseId = id();
        if (releaseId) {
            last = await engine.find(releaseId);
            if (ok(last)) {
                return last;
            }
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`never saw ${what}: ${JSON.stringify(last && publicRecord(last), null, 2)}`);
}

function bump(repo: GitopsRepo, from: string, to: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(`tag: "${from}"`, `tag: "${to}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(`appVersion: "${from}"`, `appVersion: "${to}"`));
}

function catalogOf(defs: Definitions) {
    const { catalog, issues } = buildCatalog(defs);
    assert.deepStrictEqual(issues.map(formatIssue), []);
    return catalog;
}

const environments = [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" as const }];

describe("promotion windows and soak time (real engine, injected clock)", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    it("a deny window on production suspends the release before prod until it ends; an override is recorded", async () => {
        const dir = tempDir("windows");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        const clock = new ManualClock(Date.now());
        const start = new Date(clock.now() - 60 * minute).toISOString();
        const end = new Date(clock.now() + 60 * minute).toISOString().replace(/\.\d{3}Z$/, "Z");
        const defs = scenarioDefinitions({
            product: "web",
            repoURL: repo.url,
            environments,
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [
                        { environment: "qa", dependsOn: ["dev"] },
                        { environment: "prod", dependsOn: ["qa"] },
                    ],
                },
            ],
        });
        const catalog = catalogOf({
            ...defs,
            promotionWindows: [
                {
                    name: "freeze",
                    mode: "deny",
                    start: start.replace(/\.\d{3}Z$/, "Z"),
                    end,
                    environments: { kinds: ["production"] },
                },
            ],
        });
        const engine = await testPromoteEngine(dir, catalog, { clock });

        // An override runs through the window at once, and says so on the release.
        bump(repo, "1.0.0", "1.1.0");
        const overridden = await engine.release({
            product: "web",
            target: { flow: "seq" },
            overrideWindow: true,
        });
        assert.strictEqual(overridden.status, "Succeeded", JSON.stringify(publicRecord(overridden), null, 2));
        assert.deepStrictEqual(publicRecord(overridden).overriddenWindows, [
            { environment: "prod", windows: ["freeze"] },
        ]);
        assert.deepStrictEqual(clock.asked, [], "nothing waited");

        // Without it, the release waits before prod: Suspended, wait kind window, resuming at the window's end.
        bump(repo, "1.1.0", "1.2.0");
        let id: string | undefined;
        const running = engine.release({
            product: "web",
            target: { flow: "seq" },
            onCreated: (r) => (id = r.id),
        });
        const suspended = await recordWhen(
            engine,
            () => id,
            (r) => r.status === "Suspended",
            "Suspended",
        );
        const prod = suspended.environments.find((e) => e.name === "prod")!;
        assert.deepStrictEqual(
            [suspended.waitKind, suspended.resumesAt, prod.status, prod.waitKind, prod.resumesAt],
            ["window", new Date(end).toISOString(), "Suspended", "window", new Date(end).toISOString()],
        );
        assert.strictEqual(suspended.environments.find((e) => e.name === "qa")!.status, "Succeeded");
        assert.match(
            repo.read("apps/web/prod/values.yaml"),
            /tag: "1\.1\.0"/,
            "prod untouched while waiting",
        );
        assert.strictEqual(publicRecord(suspended).waitKind, "window", "--json carries waitKind");

        clock.advance(61 * minute);
        const done = await running;
        assert.strictEqual(done.status, "Succeeded", JSON.stringify(publicRecord(done), null, 2));
        assert.strictEqual(done.waitKind, undefined);
        assert.deepStrictEqual(
            done.environments.map((e) => [e.name, e.status, e.waitKind]),
            [
                ["qa", "Succeeded", undefined],
                ["prod", "Succeeded", undefined],
            ],
        );
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.2\.0"/);
    });

    it("soak 10m on prod after qa: prod waits; stopped mid-soak, a retry waits only the remaining time", async () => {
        const dir = tempDir("soak");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        const clock = new ManualClock(Date.now());
        const catalog = catalogOf(
            scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments,
                flows: [
                    {
                        name: "seq",
                        triggerEnvironment: "dev",
                        steps: [
                            { environment: "qa", dependsOn: ["dev"] },
                            { environment: "prod", dependsOn: ["qa"], policy: { soakTime: "10m" } },
                        ],
                    },
                ],
            }),
        );
        const engine = await testPromoteEngine(dir, catalog, { clock });
        bump(repo, "1.0.0", "1.1.0");
        let id: string | undefined;
        const first = engine.release({
            product: "web",
            target: { flow: "seq" },
            onCreated: (r) => (id = r.id),
        });
        const soaking = await recordWhen(
            engine,
            () => id,
            (r) => r.waitKind === "soak",
            "a soak wait",
        );
        const qa = soaking.environments.find((e) => e.name === "qa")!;
        const prod = soaking.environments.find((e) => e.name === "prod")!;
        const until = new Date(Date.parse(qa.finishedAt!) + 10 * minute).toISOString();
        assert.deepStrictEqual(
            [soaking.status, prod.status, prod.waitKind, prod.resumesAt, soaking.resumesAt],
            ["Suspended", "Suspended", "soak", until, until],
        );

        // Four minutes into the soak the release is stopped; the retry waits the six minutes left.
        clock.advance(4 * minute);
        await engine.terminate(id!);
        const stopped = await first;
        assert.strictEqual(stopped.status, "Terminated", JSON.stringify(publicRecord(stopped), null, 2));
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/, "prod untouched");
        const askedBefore = clock.asked.length;

        const retry = engine.retry(id!);
        const again = await recordWhen(
            engine,
            () => id,
            (r) => r.attempts === 2 && r.waitKind === "soak",
            "the retry's soak wait",
        );
        assert.strictEqual(again.resumesAt, until, "the same end: the soak is not restarted");
        const retrySleeps = clock.asked.slice(askedBefore);
        assert.ok(retrySleeps.length > 0);
        assert.ok(
            retrySleeps.every((ms) => ms <= 6 * minute),
            `the retry asked to sleep ${retrySleeps.join(", ")} ms, more than the 6 minutes left`,
        );
        clock.advance(6 * minute);
        const done = await retry;
        assert.strictEqual(done.status, "Succeeded", JSON.stringify(publicRecord(done), null, 2));
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.1\.0"/);
    });

    describe("windows that can never be used are refused by `promote validate`", () => {
        const good = {
            mode: "deny",
            schedule: "0 18 * * 5",
            duration: "60h",
            environments: { kinds: ["production"] },
        };
        const cases: { name: string; window: Record<string, unknown>; message: RegExp[] }[] = [
            {
                name: "an invalid cron",
                window: { ...good, schedule: "0 25 * * 5" },
                message: [
                    /PromotionWindow "freeze"/,
                    /schedule/,
                    /not a valid cron expression/,
                    /give 5 fields/,
                ],
            },
            {
                name: "an unknown time zone",
                window: { ...good, timeZone: "Mars/Olympus" },
                message: [
                    /PromotionWindow "freeze"/,
                    /timeZone/,
                    /not a known IANA time zone/,
                    /Europe\/Berlin/,
                ],
            },
            {
                name: "a window with no selectors",
                window: { mode: "deny", schedule: "0 18 * * 5", duration: "60h" },
                message: [
                    /PromotionWindow "freeze"/,
                    /environments/,
                    /every environment of every product/,
                    /names: \["\*"\]/,
                ],
            },
        ];
        for (const c of cases) {
            it(c.name, async () => {
                const dir = tempDir("windows-bad");
                const s = cliScenario(dir, {
                    environments,
                    flows: [
                        {
                            name: "f",
                            triggerEnvironment: "dev",
                            steps: [{ environment: "qa", dependsOn: ["dev"] }],
                        },
                    ],
                });
                writeConfigModule(dir, {
                    ...s.defs,
                    promotionWindows: [{ name: "freeze", ...c.window } as never],
                });
                await expectRefused(
                    {
                        name: c.name,
                        args: [...s.args, "validate"],
                        env: s.env,
                        exitCode: 2,
                        message: c.message,
                    },
                    { repos: [s.repo.bare], dirs: [path.join(dir, "state")] },
                );
            });
        }
    });
});
