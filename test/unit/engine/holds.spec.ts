import * as assert from "assert";
import type { Hold } from "../../../engine/governance/holds";
import { applyHolds, heldBack, holdEffects, refuseHeld } from "../../../engine/governance/holds";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { InvalidInputError } from "../../../model/errors";

const hold = (environment: string, over: Partial<Hold> = {}): Hold => ({
    product: "web",
    environment,
    by: "alice",
    at: "2026-11-23T12:00:00.000Z",
    reason: "bad build",
    active: true,
    ...over,
});

/** dev → qa → prod, qa → dr, and perf beside qa (after dev only). */
const dag = [
    { name: "qa", dependsOn: ["dev"] },
    { name: "perf", dependsOn: ["dev"] },
    { name: "prod", dependsOn: ["qa"] },
    { name: "dr", dependsOn: ["prod", "perf"] },
];

describe("holds: which environments a release leaves alone", () => {
    const table: { name: string; holds: Hold[]; want: Record<string, string> }[] = [
        { name: "no holds", holds: [], want: {} },
        { name: "a released hold counts for nothing", holds: [hold("qa", { active: false })], want: {} },
        { name: "a leaf", holds: [hold("dr")], want: { dr: "held" } },
        {
            name: "a middle environment stops everything after it, transitively",
            holds: [hold("qa")],
            want: { qa: "held", prod: "upstream held", dr: "upstream held" },
        },
        {
            name: "one of two dependencies held is enough",
            holds: [hold("perf")],
            want: { perf: "held", dr: "upstream held" },
        },
        {
            name: "held and after a held one: held wins (its own hold is shown)",
            holds: [hold("qa"), hold("prod", { by: "bob" })],
            want: { qa: "held", prod: "held", dr: "upstream held" },
        },
        {
            name: "a hold on the trigger environment stops nothing (a hold stops writes, not reads)",
            holds: [hold("dev")],
            want: {},
        },
        { name: "a hold on an environment outside the flow", holds: [hold("staging")], want: {} },
    ];
    for (const c of table) {
        it(c.name, () => {
            const got = holdEffects(dag, c.holds);
            assert.deepStrictEqual(Object.fromEntries([...got].map(([n, e]) => [n, e.reason])), c.want);
        });
    }

    it("says who held an environment, and which held ones stop a dependent", () => {
        const got = holdEffects(dag, [hold("qa"), hold("perf", { by: "bob", reason: undefined })]);
        assert.deepStrictEqual(got.get("qa"), {
            reason: "held",
            hold: { by: "alice", at: "2026-11-23T12:00:00.000Z", reason: "bad build" },
        });
        assert.deepStrictEqual(got.get("perf"), {
            reason: "held",
            hold: { by: "bob", at: "2026-11-23T12:00:00.000Z" },
        });
        assert.deepStrictEqual(got.get("dr"), { reason: "upstream held", heldBy: ["perf", "qa"] });
    });

    it("does not depend on the order of the environments", () => {
        const a = holdEffects(dag, [hold("qa")]);
        const b = holdEffects([...dag].reverse(), [hold("qa")]);
        assert.deepStrictEqual([...a].sort(), [...b].sort());
    });
});

function record(): ReleaseRecord {
    const app = (env: string) => ({
        name: `web-${env}`,
        status: "Pending" as const,
        action: "commit" as const,
        repoURL: "r",
        changes: [],
    });
    return {
        id: "r1",
        product: "web",
        flow: "seq",
        status: "Queued",
        createdAt: "2026-11-23T12:00:00.000Z",
        sourceApplication: "web-dev",
        sourceCommit: "c",
        environments: dag.map((e) => ({ ...e, status: "Pending", applications: [app(e.name)] })),
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: "r",
            sourcePath: ".",
            sourceCommit: "c",
            files: [],
        },
        plan: {
            trigger: "dev",
            timeoutMs: 1,
            concurrency: "queue",
            environments: dag.map((e) => ({ ...e, action: "commit", applications: [] })),
        },
        attempts: 0,
    };
}

describe("holds: applied to a new release", () => {
    it("held and upstream held environments are Skipped with their reason; the held ones are named", () => {
        const r = applyHolds(record(), [hold("prod")]);
        assert.deepStrictEqual(
            r.environments.map((e) => [e.name, e.status, e.reason ?? "", e.applications[0].status]),
            [
                ["qa", "Pending", "", "Pending"],
                ["perf", "Pending", "", "Pending"],
                ["prod", "Skipped", "held", "Skipped"],
                ["dr", "Skipped", "upstream held", "Skipped"],
            ],
        );
        assert.deepStrictEqual(r.environments[2].hold, {
            by: "alice",
            at: "2026-11-23T12:00:00.000Z",
            reason: "bad build",
        });
        assert.deepStrictEqual(r.heldEnvironments, ["prod"]);
        assert.deepStrictEqual([...heldBack(r)], ["prod", "dr"]);
    });

    it("with override nothing is skipped, and the holds run through are recorded", () => {
        const r = applyHolds(record(), [hold("prod")], true);
        assert.ok(r.environments.every((e) => e.status === "Pending" && e.reason === undefined));
        assert.strictEqual(r.heldEnvironments, undefined);
        assert.deepStrictEqual(r.overriddenHolds, [
            { environment: "prod", by: "alice", at: "2026-11-23T12:00:00.000Z", reason: "bad build" },
        ]);
        assert.strictEqual(heldBack(r).size, 0);
    });

    it("without holds the record is unchanged", () => {
        const r = record();
        assert.strictEqual(applyHolds(r, [hold("prod", { active: false })]), r);
    });

    it("a manual promotion to a held environment is refused, naming the hold and who placed it", () => {
        assert.throws(
            () => refuseHeld("web", "prod", [hold("prod")]),
            (e: unknown) =>
                e instanceof InvalidInputError &&
                /environment "prod" of product "web" is held by alice since 2026-11-23T12:00:00\.000Z: bad build/.test(
                    e.message,
                ) &&
                /promote release-hold --product web --environment prod/.test(e.message) &&
                /--override-hold/.test(e.message),
        );
        refuseHeld("web", "prod", [hold("qa"), hold("prod", { active: false })]);
    });
});
