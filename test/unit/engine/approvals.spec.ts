import * as assert from "assert";
import type { ApprovalDecision, ApprovalState } from "../../../engine/record/approvalState";
import {
    approvalOutcome,
    approvalState,
    approverRefusal,
    decisionConflict,
    decisionRefusal,
    describeWaits,
    distinctPeople,
    initiatorOf,
    isApprover,
    keepDecisions,
    plannedApproval,
    samePerson,
    waitOver,
    withDecision,
} from "../../../engine/governance/approvals";
import type { EnvironmentRecord, ReleaseRecord } from "../../../engine/record/releaseRecord";
import { environmentRecord, releaseOutcome } from "../../../engine/release/releaseState";
import type { Subject } from "../../../model/subject";

const t0 = Date.parse("2026-11-23T12:00:00Z");
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const person = (user: string, ...groups: string[]): Subject => ({ user, groups, via: "token" });
const decision = (user: string, verdict: "approved" | "rejected" = "approved", s = 1): ApprovalDecision => ({
    decision: verdict,
    user,
    groups: [],
    via: "token",
    at: at(s),
});

function gate(over: Partial<ApprovalState> = {}): ApprovalState {
    return {
        approvers: [{ group: "release-managers" }, { user: "erin" }],
        minApprovals: 2,
        allowSelfApproval: false,
        requestedAt: at(0),
        decisions: [],
        ...over,
    };
}

function env(over: Partial<EnvironmentRecord> = {}): EnvironmentRecord {
    return {
        name: "prod",
        status: "Suspended",
        dependsOn: ["qa"],
        waitKind: "approval",
        applications: [],
        approval: gate(),
        ...over,
    };
}

function release(environments: EnvironmentRecord[], over: Record<string, unknown> = {}): ReleaseRecord {
    return {
        id: "r1",
        product: "web",
        flow: "seq",
        status: "Suspended",
        waitKind: "approval",
        createdAt: at(0),
        sourceApplication: "web-dev",
        sourceCommit: "a".repeat(40),
        environments,
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: "file:///r",
            sourcePath: "p",
            sourceCommit: "a",
            files: [],
        },
        plan: { trigger: "dev", timeoutMs: 60_000, concurrency: "queue", environments: [] },
        attempts: 1,
        ...over,
    } as ReleaseRecord;
}

describe("approval gates: the rules", () => {
    it("plannedApproval fills the defaults: one approval, no self-approval; the timeout in ms", () => {
        assert.deepStrictEqual(plannedApproval({ approvers: [{ user: "a" }] }), {
            approvers: [{ user: "a" }],
            minApprovals: 1,
            allowSelfApproval: false,
        });
        assert.deepStrictEqual(
            plannedApproval({
                approvers: [{ group: "g" }],
                minApprovals: 2,
                allowSelfApproval: true,
                timeout: "24h",
            }),
            { approvers: [{ group: "g" }], minApprovals: 2, allowSelfApproval: true, timeoutMs: 86_400_000 },
        );
    });

    it("the wait keeps its start (and so its expiry) and decisions across resumes", () => {
        const planned = plannedApproval({ approvers: [{ user: "a" }], timeout: "1h" });
        const first = approvalState(planned, t0);
        assert.deepStrictEqual([first.requestedAt, first.expiresAt], [at(0), at(3600)]);
        const later = approvalState(planned, t0 + 600_000, {
            requestedAt: at(0),
            decisions: [decision("a")],
        });
        assert.deepStrictEqual(
            [later.requestedAt, later.expiresAt, later.decisions.length],
            [at(0), at(3600), 1],
        );
    });

    it("approvers match by user name or by one of the subject's groups", () => {
        const approvers = [{ group: "release-managers" }, { user: "erin" }];
        const table: [Subject, boolean][] = [
            [person("alice", "release-managers"), true],
            [person("erin"), true],
            [person("dave", "developers"), false],
            [person("release-managers"), false],
        ];
        for (const [s, expected] of table) {
            assert.strictEqual(isApprover(approvers, s), expected, s.user);
        }
    });

    const outcomes: [string, Partial<ApprovalState>, number, ReturnType<typeof approvalOutcome>["kind"]][] = [
        ["nothing yet", {}, 0, "waiting"],
        ["one of two", { decisions: [decision("alice")] }, 0, "waiting"],
        ["two distinct approvals", { decisions: [decision("alice"), decision("bob")] }, 0, "approved"],
        [
            "the same person twice counts once",
            { decisions: [decision("alice"), decision("alice")] },
            0,
            "waiting",
        ],
        [
            "a rejection decides at once",
            { decisions: [decision("alice"), decision("bob", "rejected")] },
            0,
            "rejected",
        ],
        ["past the timeout", { expiresAt: at(60) }, 61, "expired"],
        [
            "approved before the timeout stays approved",
            { expiresAt: at(60), decisions: [decision("a"), decision("b")] },
            61,
            "approved",
        ],
    ];
    for (const [name, over, s, kind] of outcomes) {
        it(`outcome: ${name}`, () => {
            assert.strictEqual(approvalOutcome(gate(over), t0 + s * 1000).kind, kind);
        });
    }

    describe("one person under several names", () => {
        it("user names and emails link, without case; a bare name is the local part of an email", () => {
            const table: [{ user: string; email?: string }, { user: string; email?: string }, boolean][] = [
                [{ user: "rm2" }, { user: "rm2@example.com" }, true],
                [{ user: "rm2" }, { user: "ann", email: "RM2@Example.com" }, true],
                [{ user: "Rm2" }, { user: "rm2" }, true],
                [{ user: "rm2", email: "rm2@example.com" }, { user: "x", email: "rm2@example.com" }, true],
                [{ user: "rm2@example.com" }, { user: "rm2@other.org" }, false],
                [{ user: "rm2" }, { user: "rm20@example.com" }, false],
                [{ user: "alice" }, { user: "bob" }, false],
            ];
            for (const [a, b, same] of table) {
                assert.strictEqual(samePerson(a, b), same, `${JSON.stringify(a)} ${JSON.stringify(b)}`);
                assert.strictEqual(samePerson(b, a), same, "symmetric");
            }
        });

        it("counts distinct people, linking through any shared name", () => {
            assert.strictEqual(distinctPeople([{ user: "rm2" }, { user: "rm2@example.com" }]), 1);
            assert.strictEqual(
                distinctPeople([
                    { user: "rm2@example.com" },
                    { user: "carol" },
                    { user: "rm2", email: "r.m@example.com" },
                    { user: "r.m@example.com" },
                ]),
                2,
            );
            const twice = gate({
                decisions: [decision("rm2"), { ...decision("rm2-oidc"), email: "rm2@example.com" }],
            });
            assert.strictEqual(approvalOutcome(twice, t0).kind, "waiting", "one person is one approval");
        });

        it("refuses a second decision, and self-approval, under another name", () => {
            const one = release([env({ approval: gate({ decisions: [decision("rm2")] }) })]);
            assert.match(
                decisionRefusal(one, {
                    environment: "prod",
                    decision: "approved",
                    subject: { ...person("rm2@example.com", "release-managers"), via: "oidc" },
                }) ?? "(allowed)",
                /rm2@example\.com already approved environment "prod" of release r1 \(as rm2\)/,
            );
            assert.match(
                decisionRefusal(release([env()], { initiator: { user: "rm2" } }), {
                    environment: "prod",
                    decision: "approved",
                    subject: {
                        user: "ann",
                        email: "rm2@example.com",
                        groups: ["release-managers"],
                        via: "proxy",
                    },
                }) ?? "(allowed)",
                /started release r1 and may not approve it/,
            );
        });
    });

    it("decisionConflict: a decided or expired gate takes no more decisions, saying what happened", () => {
        const approved = release([env({ approval: gate({ decisions: [decision("a"), decision("b")] }) })]);
        assert.match(
            decisionConflict(approved, "prod", "rejected", t0) ?? "",
            /environment "prod" of release r1 was already approved \(2\/2: a, b\): your rejection was not recorded/,
        );
        const rejected = release([env({ approval: gate({ decisions: [decision("a", "rejected")] }) })]);
        assert.match(
            decisionConflict(rejected, "prod", "approved", t0) ?? "",
            /was already rejected by a: your approval was not recorded/,
        );
        const expired = release([env({ approval: gate({ expiresAt: at(60) }) })]);
        assert.match(decisionConflict(expired, "prod", "approved", t0 + 61_000) ?? "", /expired at/);
        assert.strictEqual(decisionConflict(release([env()]), "prod", "approved", t0), undefined);
        // Who may not decide at all is told that, whatever the gate's state.
        const req = {
            environment: "prod",
            decision: "rejected" as const,
            subject: person("dave", "developers"),
        };
        assert.match(approverRefusal(approved, req) ?? "", /dave \(groups developers\) may not reject/);
        assert.strictEqual(
            approverRefusal(approved, { ...req, subject: person("carol", "release-managers") }),
            undefined,
        );
    });

    describe("who may decide", () => {
        const cases: [string, ReleaseRecord, Subject, RegExp | undefined][] = [
            ["a release manager approves", release([env()]), person("alice", "release-managers"), undefined],
            ["a named user approves", release([env()]), person("erin"), undefined],
            [
                "a developer is not an approver",
                release([env()]),
                person("dave", "developers"),
                /dave \(groups developers\) may not approve environment "prod" of release r1: the approvers are group release-managers, user erin/,
            ],
            [
                "the release's initiator may not approve it",
                release([env()], { initiator: { user: "alice" } }),
                person("alice", "release-managers"),
                /alice started release r1 and may not approve it \(allowSelfApproval is false\)/,
            ],
            [
                "unless allowSelfApproval",
                release([env({ approval: gate({ allowSelfApproval: true }) })], { initiator: "alice" }),
                person("alice", "release-managers"),
                undefined,
            ],
            [
                "nobody decides twice",
                release([env({ approval: gate({ decisions: [decision("alice")] }) })]),
                person("alice", "release-managers"),
                /alice already approved environment "prod" of release r1 at 2026-11-23T12:00:01\.000Z/,
            ],
            [
                "an environment not waiting for approval",
                release([env({ status: "Suspended", waitKind: "window" })]),
                person("alice", "release-managers"),
                /is not waiting for approval \(it is Suspended, waiting for window\): nothing to approve/,
            ],
            [
                "a finished environment",
                release([env({ status: "Succeeded", waitKind: undefined })]),
                person("alice", "release-managers"),
                /is not waiting for approval \(it is Succeeded\)/,
            ],
            [
                "an unknown environment",
                release([env({ name: "qa" })]),
                person("alice", "release-managers"),
                /release r1 has no environment "prod": one of qa/,
            ],
        ];
        for (const [name, record, subject, refused] of cases) {
            it(name, () => {
                const why = decisionRefusal(record, { environment: "prod", decision: "approved", subject });
                if (refused) {
                    assert.match(why ?? "(allowed)", refused);
                } else {
                    assert.strictEqual(why, undefined);
                }
            });
        }

        it("the permission rules' refusal (canApprove) is named, with the subject and target it was asked about", () => {
            const asked: unknown[] = [];
            const why = decisionRefusal(release([env()]), {
                environment: "prod",
                decision: "rejected",
                subject: person("alice", "release-managers"),
                canApprove: (s, target) => {
                    asked.push([s.user, target]);
                    return 'no PromotionPermission gives "approve" on environment "prod"';
                },
            });
            assert.match(
                why ?? "",
                /alice may not reject environment "prod" of release r1: no PromotionPermission/,
            );
            assert.deepStrictEqual(asked, [["alice", { product: "web", environment: "prod" }]]);
        });

        it("initiatorOf: a user name or a subject's user, else nobody", () => {
            assert.strictEqual(initiatorOf(release([], { initiator: "u" })), "u");
            assert.strictEqual(initiatorOf(release([], { initiator: person("v") })), "v");
            assert.strictEqual(initiatorOf(release([])), undefined);
        });
    });

    it("decisions are appended, and kept when the running process writes its own record over them", () => {
        const stored = withDecision(release([env()]), "prod", decision("alice"));
        assert.deepStrictEqual(
            stored.environments[0].approval?.decisions.map((d) => d.user),
            ["alice"],
        );
        const mine = release([
            env({ approval: gate({ changes: [{ application: "web-prod", changes: [] }] }) }),
        ]);
        const kept = keepDecisions(mine, withDecision(stored, "prod", decision("bob", "approved", 2)));
        assert.deepStrictEqual(
            kept.environments[0].approval?.decisions.map((d) => d.user),
            ["alice", "bob"],
        );
        assert.deepStrictEqual(kept.environments[0].approval?.changes, [
            { application: "web-prod", changes: [] },
        ]);
        assert.strictEqual(keepDecisions(mine, undefined), mine);
    });

    it("waitOver: decided or expired approvals, windows and soaks past their time; not a release still waiting", () => {
        const now = t0 + 120_000;
        const table: [string, ReleaseRecord, boolean][] = [
            [
                "one of two approvals",
                release([env({ approval: gate({ decisions: [decision("a")] }) })]),
                false,
            ],
            [
                "approved",
                release([env({ approval: gate({ decisions: [decision("a"), decision("b")] }) })]),
                true,
            ],
            [
                "rejected",
                release([env({ approval: gate({ decisions: [decision("a", "rejected")] }) })]),
                true,
            ],
            ["expired", release([env({ approval: gate({ expiresAt: at(60) }) })]), true],
            ["a window until later", release([env({ waitKind: "window", resumesAt: at(600) })]), false],
            ["a soak done", release([env({ waitKind: "soak", resumesAt: at(60) })]), true],
            ["not Suspended", release([env()], { status: "Running" }), false],
            [
                "still waiting, but past the flow's limit (resumed, it ends Terminated)",
                release([env({ approval: gate({ decisions: [decision("a")] }) })], { timeoutAt: at(60) }),
                true,
            ],
            [
                "still waiting within the flow's limit",
                release([env({ approval: gate({ decisions: [decision("a")] }) })], { timeoutAt: at(600) }),
                false,
            ],
        ];
        for (const [name, r, expected] of table) {
            assert.strictEqual(waitOver(r, now), expected, name);
        }
        // A pull request wait: over once its host reports it merged or closed, or when an auto-merge is due.
        const onPr = (over: Partial<EnvironmentRecord> = {}) =>
            release([env({ waitKind: "pullRequest", approval: undefined, ...over })]);
        const prTable: [string, ReleaseRecord, boolean, boolean][] = [
            ["still open", onPr(), false, false],
            ["merged or closed", onPr(), true, true],
            ["auto-merge due", onPr({ resumesAt: at(60) }), false, true],
            ["auto-merge not due yet", onPr({ resumesAt: at(600) }), false, false],
        ];
        for (const [name, r, moved, expected] of prTable) {
            assert.strictEqual(
                waitOver(r, now, () => moved),
                expected,
                name,
            );
        }
        assert.strictEqual(waitOver(onPr(), now), true, "a caller that cannot ask the host resumes it");
        assert.deepStrictEqual(
            describeWaits(release([env({ approval: gate({ decisions: [decision("a")] }) })]), now),
            ["prod: approval 1/2 by group release-managers, user erin"],
        );
        const url = "https://github.example/acme/gitops/pull/7";
        const app = {
            name: "web-prod",
            status: "Suspended" as const,
            action: "pr" as const,
            repoURL: "https://github.example/acme/gitops",
            changes: [],
            pullRequest: { url, number: 7, state: "open" },
        };
        assert.deepStrictEqual(
            describeWaits(
                onPr({ applications: [app, { ...app, name: "api-prod" }], resumesAt: at(600) }),
                now,
            ),
            [`prod: pull request #7 ${url} to be merged (auto-merge tried again from ${at(600)})`],
        );
    });

    it("an environment stopped by --no-wait reads Suspended (not Failed); the release Suspended, not Failed", () => {
        const planned = {
            name: "prod",
            dependsOn: ["qa"],
            action: "commit" as const,
            applications: [
                { name: "web-prod", namespace: "n", repoURL: "file:///r", targetRevision: "main", path: "p" },
            ],
        };
        const group = {
            environment: "prod",
            name: "prod.x",
            repoURL: "file:///r",
            targetRevision: "main",
            applications: planned.applications,
        };
        const rec = environmentRecord(
            planned,
            [{ group, role: "promotion", phase: "failed", error: "waiting (approval) for environment" }],
            undefined,
            {
                parked: new Map([["prod", { waitKind: "approval" as const }]]),
                approvals: new Map([["prod", gate()]]),
            },
        );
        assert.deepStrictEqual(
            [rec.status, rec.waitKind, rec.error, rec.applications[0].status, rec.approval?.minApprovals],
            ["Suspended", "approval", undefined, "Pending", 2],
        );
        const qa: EnvironmentRecord = { name: "qa", status: "Succeeded", dependsOn: [], applications: [] };
        assert.deepStrictEqual(
            releaseOutcome({ environments: [qa, rec], aborted: false, updateError: "update failed" }),
            {
                status: "Suspended",
            },
        );
        const failed: EnvironmentRecord = { ...qa, name: "api", status: "Failed", error: "boom" };
        assert.strictEqual(releaseOutcome({ environments: [failed, rec], aborted: false }).status, "Failed");

        // Parked on its open pull request: the promotion opened it, the merge's wait stopped the environment.
        const pr = { url: "https://github.example/acme/gitops/pull/3", number: 3, state: "open" as const };
        const prGroup = { ...group, repoURL: "https://github.example/acme/gitops" };
        const opened = {
            group: prGroup,
            role: "promotion" as const,
            phase: "done" as const,
            outputs: { status: "Succeeded" as const, pullRequest: { ...pr, head: "promotions/web/prod/r1" } },
        };
        const onPr = environmentRecord(
            { ...planned, action: "pr" },
            [opened, { group: prGroup, role: "merge", phase: "failed", error: "waiting (pullRequest)" }],
            undefined,
            { parked: new Map([["prod", { waitKind: "pullRequest" as const }]]) },
        );
        assert.deepStrictEqual(
            [
                onPr.status,
                onPr.waitKind,
                onPr.error,
                onPr.applications[0].status,
                onPr.applications[0].pullRequest,
            ],
            ["Suspended", "pullRequest", undefined, "Suspended", pr],
        );
        // Resumed after the merge: the promotion is as it was (same), the merge is read now: Succeeded.
        const resumed = environmentRecord(
            { ...planned, action: "pr" },
            [
                { ...opened, phase: "same" },
                {
                    group: prGroup,
                    role: "merge",
                    phase: "done",
                    outputs: { state: "merged", mergeCommitSha: "c".repeat(40) },
                },
            ],
            onPr,
        );
        assert.deepStrictEqual(
            [resumed.status, resumed.applications[0].status, resumed.applications[0].commitSha],
            ["Succeeded", "Succeeded", "c".repeat(40)],
        );
    });
});
