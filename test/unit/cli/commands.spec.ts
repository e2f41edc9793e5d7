import * as assert from "assert";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type {
    CommandOptions,
    DoctorCommandOptions,
    PreviewCommandOptions,
    ServeCommandOptions,
} from "../../../cli/args";
import { doctor } from "../../../cli/commands/doctor";
import { graph } from "../../../cli/commands/graph";
import { hold, holds } from "../../../cli/commands/hold";
import { releaseHold } from "../../../cli/commands/releaseHold";
import { rollback } from "../../../cli/commands/rollback";
import { buildOptions, parseCommandLine } from "../../../cli/args";
import { preview } from "../../../cli/commands/preview";
import type { StackDescription } from "../../../cli/commands/stack";
import { stack } from "../../../cli/commands/stack";
import { promote } from "../../../cli/commands/promote";
import { prune } from "../../../cli/commands/prune";
import { release } from "../../../cli/commands/release";
import { releases } from "../../../cli/commands/releases";
import { retry } from "../../../cli/commands/retry";
import { approve } from "../../../cli/commands/approve";
import { reject } from "../../../cli/commands/reject";
import { resume, startResumeLoop } from "../../../cli/commands/resume";
import { serve } from "../../../cli/commands/serve";
import { terminate } from "../../../cli/commands/terminate";
import { trigger } from "../../../cli/commands/trigger";
import { validate } from "../../../cli/commands/validate";
import { watch } from "../../../cli/commands/watch";
import type { CliDeps, CliEngine, CliWatcher, SystemProbes, Terminal } from "../../../cli/context";
import { makeStyle, settingsFrom } from "../../../cli/context";
import { formatRelease, waitText } from "../../../cli/output";
import { buildCatalog } from "../../../components/catalog";
import type { EngineLocation } from "../../../engine/pulumi/engineLocator";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import type {
    DecisionOptions,
    ResumeOptions,
    WaitOptions,
    Hold,
    HoldOptions,
    PreviewOptions,
    PreviewResult,
    ProgressEvent,
    ReleaseOptions,
    RollbackOptions,
} from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import type { RunOptions, TriggerOutcome } from "../../../engine/triggers/triggerWatcher";
import { EnvironmentError, InvalidInputError } from "../../../model/errors";
import { scenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";

const fixture = path.join(packageRoot, "test", "fixtures", "codefresh-published");
const t0 = Date.parse("2026-11-23T12:00:00Z");
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

/** What a command wrote, line by line. */
function terminal(colour = false): Terminal & { stdout: string[]; stderr: string[]; raw: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const raw: string[] = [];
    return {
        stdout,
        stderr,
        raw,
        out: (l) => stdout.push(l),
        err: (l) => stderr.push(l),
        errRaw: (s) => raw.push(s),
        interactive: false,
        style: makeStyle(colour),
    };
}

function record(over: Partial<ReleaseRecord> = {}): ReleaseRecord {
    return {
        id: "r20261123-120000-abcd",
        product: "web",
        flow: "seq",
        status: "Succeeded",
        createdAt: at(0),
        startedAt: at(0),
        finishedAt: at(12),
        sourceApplication: "web-dev",
        sourceCommit: "a".repeat(40),
        version: "2.0.0",
        environments: [
            {
                name: "qa",
                status: "Succeeded",
                dependsOn: ["dev"],
                startedAt: at(1),
                finishedAt: at(5),
                applications: [
                    {
                        name: "web-qa",
                        status: "Succeeded",
                        action: "commit",
                        repoURL: "file:///r",
                        commitSha: "b".repeat(40),
                        changes: [{ file: "values.yaml", path: "$.image.tag", from: "1.0.0", to: "2.0.0" }],
                    },
                ],
            },
        ],
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: "file:///r",
            sourcePath: "apps/web/dev",
            sourceCommit: "a".repeat(40),
            files: [],
        },
        plan: { trigger: "dev", timeoutMs: 60_000, concurrency: "queue", environments: [] },
        attempts: 1,
        ...over,
    };
}

const previewResult: PreviewResult = {
    product: "web",
    flow: "manual",
    sourceApplication: "web-dev",
    sourceCommit: "a".repeat(40),
    version: "2.0.0",
    environments: [
        {
            name: "qa",
            dependsOn: ["dev"],
            action: "commit",
            wouldChange: true,
            applications: [
                {
                    name: "web-qa",
                    repoURL: "file:///r",
                    branch: "main",
                    changes: [{ file: "values.yaml", path: "$.image.tag", from: "1.0.0", to: "2.0.0" }],
                    missing: [],
                },
            ],
        },
    ],
};

/** A hand-written engine: answers from `records`, remembers what it was asked, reports progress. */
class FakeEngine implements CliEngine {
    readonly calls: string[] = [];
    previewed?: PreviewOptions;
    released?: ReleaseOptions;
    constructor(
        private readonly result: ReleaseRecord = record(),
        private readonly onProgress?: (e: ProgressEvent) => void,
    ) {}
    async preview(o: PreviewOptions) {
        this.previewed = o;
        return previewResult;
    }
    async previewWithEngine(o: PreviewOptions) {
        this.calls.push("previewWithEngine");
        return this.preview(o);
    }
    async savePlan(o: PreviewOptions & { file: string }) {
        this.calls.push(`savePlan ${o.file}`);
        return {
            plan: {
                format: "pulumi-promotions/update-plan@1" as const,
                product: o.product,
                target: o.target,
                releaseId: "r20261123-000000-abcd",
                sourceCommit: "0123456789abcdef",
                createdAt: "2026-11-23T00:00:00.000Z",
                files: [],
                pulumiPlan: {},
            },
            preview: await this.preview(o),
        };
    }
    async stackInfo(product: string) {
        this.calls.push(`stackInfo ${product}`);
        return {
            backendUrl: "file:///s",
            project: "promotions",
            stack: product,
            workspace: "/s/workspaces/promotions",
            settingsFile: `/s/workspaces/promotions/Pulumi.${product}.yaml`,
            program: "/pkg/programs/promote",
            pulumi: "/e/bin/pulumi",
            path: "/node/bin:/e/bin:/usr/bin",
        };
    }
    async release(o: ReleaseOptions) {
        this.released = o;
        this.onProgress?.({ type: "release", release: { ...this.result, status: "Running" } });
        this.onProgress?.({
            type: "environment",
            releaseId: this.result.id,
            environment: this.result.environments[0],
        });
        this.onProgress?.({ type: "release", release: this.result });
        return this.result;
    }
    async retry(id: string, o: { forceOlder?: boolean } = {}) {
        this.calls.push(`retry ${id}${o.forceOlder ? " --force-older" : ""}`);
        return this.result;
    }
    async terminate(id: string) {
        this.calls.push(`terminate ${id}`);
        return this.result;
    }
    async releases(product: string, q: { limit?: number; before?: string } = {}) {
        this.calls.push(
            `releases ${product}${q.limit ? ` --limit ${q.limit}` : ""}${q.before ? ` --before ${q.before}` : ""}`,
        );
        return [this.result];
    }
    async prune(product: string, keep: { count: number } | { maxAgeMs: number }, dryRun: boolean) {
        this.calls.push(`prune ${product} ${JSON.stringify(keep)}${dryRun ? " dry-run" : ""}`);
        return [{ name: `${product}.archive-1`, records: 50, oldest: "2025-01-01", newest: "2025-01-02" }];
    }
    async find(id: string) {
        if (id !== this.result.id) {
            throw new InvalidInputError(`no release "${id}"`);
        }
        return this.result;
    }
    async cursor() {
        return undefined;
    }
    async setCursor() {}
    held: Hold[] = [];
    async holds(product: string) {
        this.calls.push(`holds ${product}`);
        return this.held;
    }
    async hold(o: HoldOptions) {
        this.calls.push(`hold ${o.product}/${o.environment} by ${o.by}${o.reason ? `: ${o.reason}` : ""}`);
        const h: Hold = { ...o, at: at(1), active: true };
        this.held.push(h);
        return h;
    }
    async releaseHold(o: Omit<HoldOptions, "reason">) {
        this.calls.push(`release-hold ${o.product}/${o.environment} by ${o.by}`);
        const h = this.held.find((x) => x.environment === o.environment);
        if (!h) {
            throw new InvalidInputError(
                `environment "${o.environment}" of product "${o.product}" is not held`,
            );
        }
        return { ...h, active: false, releasedBy: o.by };
    }
    rolledBack?: RollbackOptions;
    async rollback(o: RollbackOptions) {
        this.rolledBack = o;
        return this.result;
    }
    decided?: { verb: string; id: string; environment: string; o: DecisionOptions };
    async approve(id: string, environment: string, o: DecisionOptions) {
        this.decided = { verb: "approve", id, environment, o };
        return this.result;
    }
    async reject(id: string, environment: string, o: DecisionOptions) {
        this.decided = { verb: "reject", id, environment, o };
        return this.result;
    }
    async resume(id: string, o: WaitOptions = {}) {
        this.calls.push(`resume ${id}${o.noWait ? " --no-wait" : ""}`);
        return this.result;
    }
    ready: ReleaseRecord[] = [];
    async resumeReady(o: ResumeOptions = {}) {
        this.calls.push(`resumeReady ${(o.products ?? []).join(",")}${o.noWait ? " --no-wait" : ""}`);
        return this.ready;
    }
}

const clock = { now: () => t0 + 12_000 };

function deps(o: { engine?: FakeEngine; result?: ReleaseRecord; io?: ReturnType<typeof terminal> } = {}) {
    const io = o.io ?? terminal();
    let engine: FakeEngine | undefined = o.engine;
    const d: Pick<CliDeps, "io" | "engine" | "clock" | "catalog"> = {
        io,
        clock,
        engine: async (onProgress) => (engine ??= new FakeEngine(o.result, onProgress)),
        catalog: () =>
            scenario({
                product: "web",
                repoURL: "file:///r",
                environments: [{ name: "dev" }, { name: "qa" }],
                flows: [
                    {
                        name: "seq",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "qa", dependsOn: ["dev"] }],
                    },
                ],
            }),
    };
    return { d, io, engine: () => engine! };
}

describe("commands", () => {
    after(removeTempDirs);

    it("validate: a summary (0), or every problem on stderr (2)", async () => {
        const io = terminal();
        assert.strictEqual(await validate({ configPath: fixture }, { io }), 0);
        // Codefresh's published examples with their RBAC siblings (see test/fixtures/codefresh-published/README.md).
        assert.deepStrictEqual(io.stdout.slice(0, 3), [
            "skipped: 6 manifests of kinds ServiceAccount, Role, RoleBinding",
            "skipped: 1 Application without annotation codefresh.io/product (cert-manager)",
            "skipped: 1 WorkflowTemplate not annotated codefresh.io/workflow-origin: promotion (nightly-backup)",
        ]);
        assert.match(
            io.stdout[io.stdout.length - 1],
            /^valid: 5 environments, 2 products \(7 applications\), 4 flows, 1 policy, 4 templates, 11 workflows$/,
        );
        const broken = terminal();
        assert.strictEqual(await validate({ configPath: "/nonexistent/defs" }, { io: broken }), 2);
        assert.match(broken.stderr.join("\n"), /1 problem in \/nonexistent\/defs:\n {2}- .*does not exist/);
    });

    it("validate: an approval timeout beyond the flow's promotionTimeoutLimit is a warning (still 0)", async () => {
        const defs = scenarioDefinitions({
            product: "web",
            repoURL: "file:///nowhere",
            environments: [{ name: "dev" }, { name: "prod", kind: "production" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    promotionTimeoutLimit: "2h",
                    steps: [
                        {
                            environment: "prod",
                            dependsOn: ["dev"],
                            policy: { approval: { approvers: [{ user: "a" }], timeout: "3h" } },
                        },
                    ],
                },
            ],
        });
        const io = terminal();
        assert.strictEqual(
            await validate({ configPath: writeConfigModule(tempDir("validate"), defs) }, { io }),
            0,
        );
        assert.match(io.stdout[0], /^valid: 2 environments/);
        assert.match(
            io.stderr.join("\n"),
            /^warning: PromotionFlow "seq": steps\[0\]: the approval of environment "prod" \(steps\[0\]\.policy\.approval\) has timeout 3h, longer than the flow's promotionTimeoutLimit 2h/m,
        );
    });

    it("graph: layers and critical path; an unknown flow or product names the flag", async () => {
        const { d, io } = deps();
        assert.strictEqual(await graph({ flow: "seq", format: "text" }, d), 0);
        assert.deepStrictEqual(io.stdout, [
            "seq  (trigger dev, timeout 1d)",
            "   0 │ dev (trigger)",
            "   1 │ qa ⟵ dev",
            "  critical path: dev → qa",
        ]);
        await assert.rejects(
            graph({ flow: "nope", format: "text" }, d),
            /unknown flow "nope" \(--flow\): one of seq/,
        );
        await assert.rejects(
            graph({ flow: "seq", format: "dot", product: "api" }, d),
            /unknown product "api" \(--product\): one of web/,
        );
    });

    it("preview: passes the target and source commit; text or JSON", async () => {
        const opts: PreviewCommandOptions = {
            product: "web",
            target: { from: "dev", to: "qa" },
            sourceCommit: "c0ffee",
            json: false,
            engine: false,
        };
        const text = deps();
        assert.strictEqual(await preview(opts, text.d), 0);
        assert.deepStrictEqual(text.engine().previewed, {
            product: "web",
            target: { from: "dev", to: "qa" },
            sourceCommit: "c0ffee",
        });
        assert.match(text.io.stdout.join("\n"), /qa {2}commit {2}would change/);
        assert.match(text.io.stdout.join("\n"), /values\.yaml \$\.image\.tag: 1\.0\.0 → 2\.0\.0/);
        const json = deps();
        assert.strictEqual(await preview({ ...opts, json: true }, json.d), 0);
        assert.deepStrictEqual(JSON.parse(json.io.stdout.join("\n")), previewResult);
        assert.deepStrictEqual(json.engine().calls, []);
        const engine = deps();
        assert.strictEqual(await preview({ ...opts, json: true, engine: true }, engine.d), 0);
        assert.deepStrictEqual(engine.engine().calls, ["previewWithEngine"]);
        assert.deepStrictEqual(JSON.parse(engine.io.stdout.join("\n")), previewResult);
    });

    it("stack: backend, names, workspace, environment and commands; the passphrase is never printed", async () => {
        const opts = { product: "web", configPath: "/cfg/defs.js", gitCacheDir: "/c/git", json: false };
        const text = deps();
        assert.strictEqual(await stack(opts, text.d), 0);
        const out = text.io.stdout.join("\n");
        assert.deepStrictEqual(text.engine().calls, ["stackInfo web"]);
        for (const re of [
            /backend {4}file:\/\/\/s/,
            /project {4}promotions/,
            /stack {6}web/,
            /export PULUMI_BACKEND_URL=file:\/\/\/s/,
            /export PATH=\/node\/bin:\/e\/bin:"\$PATH"/,
            /export PROMOTIONS_CONFIG=\/cfg\/defs\.js/,
            /export PULUMI_CONFIG_PASSPHRASE=\.\.\. .*set it/,
            /pulumi stack history --json --stack web --cwd \/s\/workspaces\/promotions/,
            /pulumi preview --diff --stack web --cwd \/pkg\/programs\/promote --config-file \/s\/workspaces\/promotions\/Pulumi\.web\.yaml/,
        ]) {
            assert.match(out, re);
        }
        const json = deps();
        assert.strictEqual(await stack({ ...opts, flow: "seq", json: true }, json.d), 0);
        const d = JSON.parse(json.io.stdout.join("\n")) as StackDescription;
        assert.strictEqual(d.env.PROMOTIONS_FLOW, "seq");
        assert.strictEqual(d.env.PATH, "/node/bin:/e/bin:/usr/bin");
        assert.strictEqual(d.passphraseVariable, "PULUMI_CONFIG_PASSPHRASE");
        assert.ok(!("PULUMI_CONFIG_PASSPHRASE" in d.env));
        assert.match(d.commands.output, /^pulumi stack output --json --stack web --cwd /);
    });

    it("trigger and promote: progress on stderr, the release on stdout, exit 0 Succeeded and 1 Failed", async () => {
        const ok = deps();
        assert.strictEqual(await trigger({ product: "web", flow: "seq", json: false }, ok.d), 0);
        assert.deepStrictEqual(ok.engine().released, { product: "web", target: { flow: "seq" } });
        assert.match(
            ok.io.stderr.join("\n"),
            /^\[ +0\.0s\] release r20261123-120000-abcd \(web, flow seq\)$/m,
        );
        assert.match(ok.io.stderr.join("\n"), /qa Succeeded \(4\.0s\)/);
        assert.match(
            ok.io.stdout[0],
            /^release r20261123-120000-abcd {2}web {2}flow seq {2}Succeeded {2}12\.0s$/,
        );

        const failed = deps({ result: record({ status: "Failed", error: "qa failed" }) });
        const code = await promote(
            {
                product: "web",
                from: "dev",
                to: "qa",
                overrides: { action: "none", preAction: "w" },
                json: true,
            },
            failed.d,
        );
        assert.strictEqual(code, 1);
        assert.deepStrictEqual(failed.engine().released, {
            product: "web",
            target: { from: "dev", to: "qa", overrides: { action: "none", preAction: "w" } },
        });
        const printed = JSON.parse(failed.io.stdout.join("\n")) as ReleaseRecord;
        assert.strictEqual(printed.status, "Failed");
        assert.strictEqual(printed.error, "qa failed");
        assert.strictEqual(
            (printed as { plan?: unknown }).plan,
            undefined,
            "the public record, not the internal one",
        );
    });

    it("release: who did what to it, oldest first", () => {
        const r = record({
            audit: [
                { action: "trigger", user: "ann", via: "local", at: "2026-11-23T12:00:00.000Z" },
                { action: "terminate", user: "bob", via: "token", at: "2026-11-23T12:05:00.000Z" },
            ],
        } as Partial<ReleaseRecord>);
        const lines = formatRelease(r, makeStyle(false)).slice(-2);
        assert.deepStrictEqual(lines, [
            "  2026-11-23 12:00:00  ann (local): trigger",
            "  2026-11-23 12:05:00  bob (token): terminate",
        ]);
    });

    it("releases pages with --limit/--before; prune says what it removes, or would", async () => {
        const page = deps();
        await releases({ product: "web", json: true, limit: 20, before: "r2" }, page.d);
        assert.deepStrictEqual(page.engine().calls, ["releases web --limit 20 --before r2"]);

        const dry = deps();
        assert.strictEqual(
            await prune({ product: "web", keep: { count: 500 }, dryRun: true, json: false }, dry.d),
            0,
        );
        assert.deepStrictEqual(dry.engine().calls, ['prune web {"count":500} dry-run']);
        assert.deepStrictEqual(dry.io.stdout, [
            "would remove web.archive-1: 50 releases created 2025-01-01 to 2025-01-02",
            "web: would remove 50 release records in 1 archive pages",
        ]);
    });

    it("releases, release, retry and terminate", async () => {
        const list = deps();
        assert.strictEqual(await releases({ product: "web", json: false }, list.d), 0);
        assert.match(list.io.stdout[0], /^ID +FLOW +VERSION +STATUS +STARTED +QA$/);
        assert.match(
            list.io.stdout[1],
            /^r20261123-120000-abcd +seq +2\.0\.0 +Succeeded +2026-11-23 12:00:00 +Succeeded$/,
        );
        const listJson = deps();
        await releases({ product: "web", json: true }, listJson.d);
        assert.strictEqual(
            (JSON.parse(listJson.io.stdout.join("\n")) as { id: string }[])[0].id,
            "r20261123-120000-abcd",
        );

        const one = deps();
        assert.strictEqual(await release({ id: "r20261123-120000-abcd", json: false }, one.d), 0);
        assert.match(one.io.stdout.join("\n"), /web-qa {2}commit {2}Succeeded {2}commit bbbbbbbbbbbb/);
        await assert.rejects(release({ id: "r-nope", json: false }, deps().d), /no release "r-nope"/);

        const again = deps({ result: record({ status: "Failed" }) });
        assert.strictEqual(await retry({ id: "r1", json: false, forceOlder: false }, again.d), 1);
        assert.deepStrictEqual(again.engine().calls, ["retry r1"]);
        const forced = deps({ result: record({ status: "Succeeded" }) });
        assert.strictEqual(await retry({ id: "r1", json: false, forceOlder: true }, forced.d), 0);
        assert.deepStrictEqual(forced.engine().calls, ["retry r1 --force-older"]);

        const stopped = deps({ result: record({ status: "Terminated" }) });
        assert.strictEqual(await terminate({ id: "r1", json: true }, stopped.d), 0);
        assert.strictEqual((JSON.parse(stopped.io.stdout.join("\n")) as ReleaseRecord).status, "Terminated");
        const late = deps({ result: record({ status: "Succeeded" }) });
        assert.strictEqual(await terminate({ id: "r1", json: false }, late.d), 1, "it had finished already");
    });

    it("hold, holds and release-hold: who and why; --json; releasing what is not held is refused", async () => {
        const { d, io, engine } = deps();
        assert.strictEqual(
            await hold(
                { product: "web", environment: "prod", by: "alice", reason: "bad build", json: false },
                d,
            ),
            0,
        );
        assert.deepStrictEqual(io.stdout, [`prod  held by alice at ${at(1)}: bad build`]);
        io.stdout.length = 0;
        assert.strictEqual(await holds({ product: "web", json: true }, d), 0);
        assert.deepStrictEqual(
            (JSON.parse(io.stdout.join("\n")) as Hold[]).map((h) => [h.environment, h.by, h.reason]),
            [["prod", "alice", "bad build"]],
        );
        io.stdout.length = 0;
        assert.strictEqual(
            await releaseHold({ product: "web", environment: "prod", by: "bob", json: false }, d),
            0,
        );
        assert.deepStrictEqual(io.stdout, ["released the hold on prod of web (placed by alice)"]);
        assert.deepStrictEqual(engine().calls, [
            "hold web/prod by alice: bad build",
            "holds web",
            "release-hold web/prod by bob",
        ]);
        await assert.rejects(
            releaseHold({ product: "web", environment: "qa", by: "bob", json: false }, d),
            /environment "qa" of product "web" is not held/,
        );
        const empty = deps();
        await holds({ product: "web", json: false }, empty.d);
        assert.deepStrictEqual(empty.io.stdout, ["no environment of web is held"]);
    });

    it("trigger and promote pass --override-hold only when given", async () => {
        const t = deps();
        await trigger({ product: "web", flow: "seq", json: false, overrideHold: true }, t.d);
        assert.deepStrictEqual(t.engine().released, {
            product: "web",
            target: { flow: "seq" },
            overrideHold: true,
        });
        const p = deps();
        await promote(
            { product: "web", from: "dev", to: "qa", overrides: {}, json: false, overrideHold: true },
            p.d,
        );
        assert.strictEqual(p.engine().released?.overrideHold, true);
    });

    it("trigger and promote pass --override-window only when given", async () => {
        const t = deps();
        await trigger({ product: "web", flow: "seq", json: false, overrideWindow: true }, t.d);
        assert.deepStrictEqual(t.engine().released, {
            product: "web",
            target: { flow: "seq" },
            overrideWindow: true,
        });
        const p = deps();
        await promote({ product: "web", from: "dev", to: "qa", overrides: {}, json: false }, p.d);
        assert.strictEqual(p.engine().released?.overrideWindow, undefined);
    });

    it("a release waiting for a window or a soak says until when, for the release and the environment", () => {
        const qa = record().environments[0];
        const waiting = record({
            status: "Suspended",
            waitKind: "window",
            resumesAt: "2026-11-30T05:00:00.000Z",
            environments: [
                { ...qa, status: "Suspended", waitKind: "soak", resumesAt: "2026-11-23T12:10:00.000Z" },
            ],
        });
        const text = formatRelease(waiting, makeStyle(false)).join("\n");
        assert.match(text, /waiting for window until 2026-11-30T05:00:00.000Z/);
        assert.match(text, /soaking until 2026-11-23T12:10:00.000Z/);
        assert.strictEqual(waitText({ status: "Succeeded", waitKind: "soak" }), "");
        assert.strictEqual(
            waitText({ status: "Suspended", waitKind: "pullRequest" }),
            "waiting for pull request",
        );
        // A merge the host refuses says why (and the reason reaches the terminal escaped, on one line).
        assert.strictEqual(
            waitText({
                status: "Suspended",
                waitKind: "pullRequest",
                applications: [
                    { pullRequest: {} },
                    {
                        pullRequest: {
                            mergeRefused: "Gitea refused to merge pull request #1 of a/b on h: checks",
                        },
                    },
                ],
            }),
            "waiting for pull request (Gitea refused to merge pull request #1 of a/b on h: checks)",
        );
        const app = { ...qa.applications[0], status: "Suspended" as const, action: "pr" as const };
        const refused = record({
            status: "Suspended",
            environments: [
                {
                    ...qa,
                    status: "Suspended",
                    waitKind: "pullRequest",
                    applications: [
                        {
                            ...app,
                            pullRequest: {
                                url: "http://h/a/b/pulls/1",
                                number: 1,
                                state: "open",
                                mergeRefused: "Gitea refused to merge pull request #1 of a/b on h: checks",
                            },
                        },
                    ],
                },
            ],
        });
        assert.match(
            formatRelease(refused, makeStyle(false)).join("\n"),
            /pull request #1 open {2}http:\/\/h\/a\/b\/pulls\/1\n {10}not merged yet: Gitea refused to merge pull request #1 of a\/b on h: checks/,
        );
    });

    it("a release with held environments names them; a held one shows who and why, its dependents why", async () => {
        const qa = record().environments[0];
        const held = record({
            heldEnvironments: ["prod"],
            environments: [
                qa,
                {
                    name: "prod",
                    status: "Skipped",
                    dependsOn: ["qa"],
                    reason: "held",
                    hold: { by: "alice", at: at(1), reason: "bad build" },
                    applications: [],
                },
                {
                    name: "dr",
                    status: "Skipped",
                    dependsOn: ["prod"],
                    reason: "upstream held",
                    applications: [],
                },
            ],
        });
        const text = deps({ result: held });
        assert.strictEqual(await release({ id: held.id, json: false }, text.d), 0);
        const out = text.io.stdout.join("\n");
        assert.match(out, /^held \(skipped with what follows them\): prod$/m);
        assert.match(
            out,
            /^ {2}prod +Skipped .*\n {6}held by alice at 2026-11-23T12:00:01\.000Z: bad build$/m,
        );
        assert.match(out, /^ {2}dr +Skipped .*\n {6}upstream held$/m);
        const json = deps({ result: held });
        await release({ id: held.id, json: true }, json.d);
        const printed = JSON.parse(json.io.stdout.join("\n")) as ReleaseRecord;
        assert.deepStrictEqual(printed.heldEnvironments, ["prod"]);
        assert.deepStrictEqual(
            printed.environments.map((e) => [e.name, e.reason ?? null, e.hold?.by ?? null]),
            [
                ["qa", null, null],
                ["prod", "held", "alice"],
                ["dr", "upstream held", null],
            ],
        );
    });

    it("rollback: passes the target and who; prints the release with what it restores; summary has rollbackOf", async () => {
        const rolled = record({
            flow: "rollback",
            rollbackOf: "r20261123-110000-0001",
            warnings: ['"prod" (after "qa") has 2.1.0 from release r2, newer than the 2.0.0 rolled back to'],
        });
        const { d, io, engine } = deps({ result: rolled });
        assert.strictEqual(
            await rollback(
                { product: "web", environment: "qa", toVersion: "2.0.0", by: "ci-bot", json: false },
                d,
            ),
            0,
        );
        assert.deepStrictEqual(engine().rolledBack, {
            product: "web",
            environment: "qa",
            by: "ci-bot",
            toVersion: "2.0.0",
        });
        const out = io.stdout.join("\n");
        assert.match(out, /^rollback of release r20261123-110000-0001$/m);
        assert.match(out, /^warning: "prod" \(after "qa"\) has 2\.1\.0 from release r2/m);
        const list = deps({ result: rolled });
        await releases({ product: "web", json: true }, list.d);
        assert.strictEqual(
            (JSON.parse(list.io.stdout.join("\n")) as { rollbackOf?: string }[])[0].rollbackOf,
            "r20261123-110000-0001",
        );
        const plain = deps();
        await releases({ product: "web", json: true }, plain.d);
        assert.ok(!("rollbackOf" in (JSON.parse(plain.io.stdout.join("\n")) as object[])[0]));
    });

    describe("approvals and resuming", () => {
        const waiting = (): ReleaseRecord =>
            record({
                status: "Suspended",
                finishedAt: undefined,
                waitKind: "approval",
                environments: [
                    {
                        name: "prod",
                        status: "Suspended",
                        dependsOn: ["qa"],
                        waitKind: "approval",
                        applications: [],
                        approval: {
                            approvers: [{ group: "release-managers" }],
                            minApprovals: 2,
                            allowSelfApproval: false,
                            requestedAt: at(1),
                            decisions: [
                                {
                                    decision: "approved",
                                    user: "alice",
                                    groups: ["release-managers"],
                                    via: "local",
                                    at: at(2),
                                    comment: "ok",
                                },
                            ],
                            changes: [
                                {
                                    application: "web-prod",
                                    changes: [
                                        {
                                            file: "values.yaml",
                                            path: "$.image.tag",
                                            from: "1.0.0",
                                            to: "2.0.0",
                                        },
                                    ],
                                },
                            ],
                        },
                    },
                ],
            });
        const build = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
            const line = parseCommandLine(argv, () => "USAGE");
            const l = line as Extract<typeof line, { kind: "command" }>;
            return buildOptions(
                l.command,
                l.values,
                l.positionals,
                settingsFrom({ noColor: false }, env, "/w", false),
            );
        };

        it("approve and reject parse ID, --environment, --comment, --as (else the CI's actor) and --group", () => {
            assert.deepStrictEqual(
                build(["approve", "r1", "--environment", "prod", "--comment", "go", "--group", "rm, ops"], {
                    GITHUB_ACTOR: "gh",
                }),
                {
                    id: "r1",
                    environment: "prod",
                    comment: "go",
                    by: "gh",
                    groups: ["rm", "ops"],
                    json: false,
                },
            );
            assert.deepStrictEqual(build(["reject", "r1", "--environment", "prod", "--as", "me"]), {
                id: "r1",
                environment: "prod",
                by: "me",
                groups: [],
                json: false,
            });
            assert.throws(
                () => build(["approve", "r1"]),
                /missing --environment: the environment to approve/,
            );
            assert.throws(
                () => build(["reject", "--environment", "prod"]),
                /missing release ID: promote reject ID/,
            );
            assert.deepStrictEqual(build(["resume", "--product", "web,api", "--no-wait"]), {
                products: ["web", "api"],
                json: false,
                noWait: true,
            });
            assert.throws(
                () => build(["resume", "r1", "--product", "web"]),
                /either a release ID or --product P/,
            );
            for (const command of ["trigger", "promote", "retry"]) {
                const argv =
                    command === "retry"
                        ? ["retry", "r1", "--no-wait"]
                        : command === "trigger"
                          ? ["trigger", "--product", "web", "--flow", "f", "--no-wait"]
                          : ["promote", "--product", "web", "--from", "qa", "--to", "prod", "--no-wait"];
                assert.strictEqual((build(argv) as { noWait?: boolean }).noWait, true, command);
            }
        });

        it("approve: the local identity and comment reach the engine; prints the decisions and what is left", async () => {
            const t = deps({ result: waiting() });
            const code = await approve(
                {
                    id: "r1",
                    environment: "prod",
                    comment: "ok",
                    by: "alice",
                    groups: ["release-managers"],
                    json: false,
                },
                t.d,
            );
            assert.strictEqual(code, 0);
            assert.deepStrictEqual(t.engine().decided, {
                verb: "approve",
                id: "r1",
                environment: "prod",
                o: { subject: { user: "alice", groups: ["release-managers"], via: "local" }, comment: "ok" },
            });
            const out = t.io.stdout.join("\n");
            assert.match(out, /^approval 1\/2 by group release-managers$/m);
            assert.match(out, /approved by alice \(local\) at 2026-11-23T12:00:02\.000Z: ok/);
            assert.match(out, /waiting for 1 more approval/);
            const r = deps({ result: waiting() });
            assert.strictEqual(
                await reject({ id: "r1", environment: "prod", by: "bob", groups: [], json: true }, r.d),
                0,
            );
            assert.strictEqual(r.engine().decided?.verb, "reject");
            assert.deepStrictEqual(
                (JSON.parse(r.io.stdout.join("\n")) as { approval: { minApprovals: number } }).approval
                    .minApprovals,
                2,
            );
        });

        it("a refused decision is the engine's error (exit code 2 from the CLI's classifier)", async () => {
            const t = deps({ result: waiting() });
            const engine = new FakeEngine(waiting());
            engine.approve = async () => {
                throw new InvalidInputError("dave may not approve: the approvers are group release-managers");
            };
            await assert.rejects(
                approve(
                    { id: "r1", environment: "prod", by: "dave", groups: [], json: false },
                    { ...t.d, engine: async () => engine },
                ),
                /dave may not approve/,
            );
        });

        it("--no-wait: a Suspended release exits 4, printing what it waits for and how to continue", async () => {
            const t = deps({ result: waiting() });
            const code = await trigger({ product: "web", flow: "seq", json: false, noWait: true }, t.d);
            assert.strictEqual(code, 4);
            assert.strictEqual(t.engine().released?.noWait, true);
            const out = t.io.stdout.join("\n");
            assert.match(out, /waiting for approval/);
            assert.match(out, /to write: web-prod values\.yaml \$\.image\.tag: 1\.0\.0 → 2\.0\.0/);
            const err = t.io.stderr.join("\n");
            assert.match(err, /^waiting: prod: approval 1\/2 by group release-managers$/m);
            assert.match(err, /promote approve r20261123-120000-abcd --environment prod/);
            assert.match(err, /promote resume r20261123-120000-abcd/);
            const again = deps({ result: waiting() });
            assert.strictEqual(
                await retry({ id: "r1", json: true, forceOlder: false, noWait: true }, again.d),
                4,
            );
            assert.deepStrictEqual(again.engine().calls, ["retry r1"]);
        });

        it("serve's resume loop: a pass at start and on each poke (never two at once), without waiting; errors logged", async () => {
            const passes: string[] = [];
            let release!: () => void;
            let fail = false;
            const engine = {
                resumeReady: async (o: ResumeOptions = {}) => {
                    passes.push(`${(o.products ?? []).join(",")}${o.noWait ? " noWait" : ""}`);
                    await new Promise<void>((r) => (release = r));
                    if (fail) {
                        throw new EnvironmentError("backend unreachable");
                    }
                    return [waiting()];
                },
            };
            const log: string[] = [];
            const loop = startResumeLoop(engine, {
                products: ["web"],
                intervalMs: 3_600_000,
                log: (l) => log.push(l),
            });
            loop.poke();
            loop.poke();
            assert.deepStrictEqual(passes, ["web noWait"], "one pass at a time");
            release();
            await new Promise((r) => setImmediate(r));
            assert.deepStrictEqual(passes, ["web noWait", "web noWait"], "the pokes made one more pass");
            fail = true;
            release();
            await new Promise((r) => setImmediate(r));
            const stopped = loop.stop();
            loop.poke();
            await stopped;
            assert.strictEqual(passes.length, 2, "no pass after stop");
            assert.deepStrictEqual(log, [
                "resumed release r20261123-120000-abcd: Suspended (approval)",
                "resuming waiting releases failed: backend unreachable",
            ]);
        });

        it("serve's resume loop tells the watcher when a release it resumed ended (not when it waits again)", async () => {
            let next = [waiting()];
            const engine = { resumeReady: () => Promise.resolve(next) };
            let ended = 0;
            const loop = startResumeLoop(engine, {
                intervalMs: 3_600_000,
                log: () => undefined,
                onEnded: () => ended++,
            });
            await new Promise((r) => setImmediate(r));
            assert.strictEqual(ended, 0, "still Suspended: its product's turn is not free");
            next = [waiting(), record()];
            loop.poke();
            await loop.stop();
            assert.strictEqual(ended, 1);
        });

        it("resume: one release by id, or every ready one; the worst exit code", async () => {
            const one = deps();
            assert.strictEqual(await resume({ id: "r1", json: false, noWait: true }, one.d), 0);
            assert.deepStrictEqual(one.engine().calls, ["resume r1 --no-wait"]);

            const none = deps();
            assert.strictEqual(await resume({ products: ["web"], json: false }, none.d), 0);
            assert.deepStrictEqual(none.engine().calls, ["resumeReady web"]);
            assert.match(none.io.stdout.join("\n"), /no Suspended release is ready to resume/);

            const engine = new FakeEngine();
            engine.ready = [record(), waiting()];
            const all = deps({ engine });
            assert.strictEqual(await resume({ json: true }, all.d), 4);
            assert.deepStrictEqual(JSON.parse(all.io.stdout.join("\n")), [
                { id: "r20261123-120000-abcd", status: "Succeeded" },
                { id: "r20261123-120000-abcd", status: "Suspended" },
            ]);
            engine.ready = [record({ status: "Failed" }), waiting()];
            assert.strictEqual(await resume({ json: true }, deps({ engine }).d), 1);
        });
    });

    it("hold, release-hold and rollback parse their flags; --as, else the CI's actor", () => {
        const build = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
            const line = parseCommandLine(argv, () => "USAGE");
            assert.strictEqual(line.kind, "command");
            const l = line as Extract<typeof line, { kind: "command" }>;
            return buildOptions(
                l.command,
                l.values,
                l.positionals,
                settingsFrom({ noColor: false }, env, "/w", false),
            );
        };
        assert.deepStrictEqual(
            build(["hold", "--product", "web", "--environment", "prod", "--reason", "why", "--as", "me"], {
                GITHUB_ACTOR: "gh",
            }),
            { product: "web", environment: "prod", by: "me", reason: "why", json: false },
        );
        assert.deepStrictEqual(
            build(["release-hold", "--product", "web", "--environment", "prod"], {
                GITLAB_USER_LOGIN: "gl",
                USER: "u",
            }),
            { product: "web", environment: "prod", by: "gl", json: false },
        );
        assert.deepStrictEqual(
            build(["rollback", "--product", "web", "--environment", "prod", "--to", "r1", "--json"], {
                USER: "u",
            }),
            { product: "web", environment: "prod", by: "u", toRelease: "r1", json: true },
        );
        assert.throws(
            () =>
                build([
                    "rollback",
                    "--product",
                    "web",
                    "--environment",
                    "prod",
                    "--to",
                    "r1",
                    "--to-version",
                    "1",
                ]),
            /either --to RELEASE_ID or --to-version V, not both/,
        );
        assert.throws(
            () => build(["hold", "--product", "web"]),
            /missing --environment: the environment to hold/,
        );
        assert.strictEqual(
            (
                build(["promote", "--product", "web", "--from", "qa", "--to", "prod", "--override-hold"]) as {
                    overrideHold?: boolean;
                }
            ).overrideHold,
            true,
        );
        assert.ok(!("overrideHold" in build(["trigger", "--product", "web", "--flow", "seq"])));
    });

    it("values are printed on one line, escaped; an Error run is red like Failed", async () => {
        const io = terminal(true);
        const hostile = record({
            version: "2.0.0\x1b[2J\nFAKE",
            environments: [
                {
                    ...record().environments[0],
                    applications: [
                        {
                            ...record().environments[0].applications[0],
                            changes: [
                                { file: "values.yaml", path: "$.x", from: "a\nb", to: "\x1b]0;title\x07" },
                            ],
                            preAction: { workflow: "smoke", status: "Error", log: "boom\x1b[31m" },
                        },
                    ],
                },
            ],
        });
        await release({ id: hostile.id, json: false }, deps({ io, result: hostile }).d);
        const all = io.stdout.join("\n");
        assert.ok(!all.includes("\x1b[2J") && !all.includes("\x1b]0;") && !all.includes("\nFAKE"), all);
        assert.match(all, /version 2\.0\.0\\u001b\[2J\\nFAKE/);
        assert.match(all, /\$\.x: a\\nb → \\u001b\]0;title\\u0007/);
        assert.match(all, /pre-action smoke {2}\x1b\[31mError\x1b\[39m/, "Error is painted red");
        assert.match(all, /\| boom\\u001b\[31m/);
    });

    it("watch --once prints one line per commit; the loop gets the interval and the stop signal", async () => {
        const io = terminal();
        const outcomes: TriggerOutcome[] = [
            {
                product: "web",
                application: "web-dev",
                commit: "c".repeat(40),
                subject: "deploy\x1b[2J",
                flow: "seq",
                releaseId: "r1",
                status: "Succeeded",
            },
            {
                product: "web",
                application: "web-dev",
                commit: "d".repeat(40),
                subject: "typo",
                skipped: "no flow's trigger selectors match",
            },
        ];
        let ran = undefined as RunOptions | undefined;
        let runs = 0;
        let asked: { products?: readonly string[] } | undefined;
        const watcher: CliWatcher = {
            pollOnce: async () => outcomes,
            run: async (o) => {
                ran = o;
                runs++;
                o.onOutcomes?.(outcomes.slice(1));
            },
            prompt: () => undefined,
        };
        const controller = new AbortController();
        const engine = new FakeEngine();
        const d = {
            io,
            clock,
            watcher: async (o: { products?: readonly string[] }) => ((asked = o), watcher),
            stopSignal: () => controller.signal,
            engine: async () => engine,
        };
        assert.strictEqual(await watch({ products: ["web"], intervalMs: 30_000, once: true }, d), 0);
        assert.deepStrictEqual(asked?.products, ["web"]);
        assert.deepStrictEqual(io.stdout, [
            `web-dev cccccccccccc "deploy\\u001b[2J" → flow seq: release r1 Succeeded`,
            `web-dev dddddddddddd "typo": no flow's trigger selectors match`,
        ]);
        assert.strictEqual(runs, 0, "--once does not loop");
        assert.deepStrictEqual(engine.calls, [], "--once resumes nothing");
        assert.strictEqual(await watch({ intervalMs: 30_000, once: false }, d), 0);
        // Running, it also resumes waiting releases whose wait (or flow limit) is over, as serve does.
        assert.deepStrictEqual(engine.calls, ["resumeReady  --no-wait"]);
        assert.strictEqual(ran?.intervalMs, 30_000);
        assert.strictEqual(ran?.signal, controller.signal);
        assert.match(io.stderr.join("\n"), /polling every 30s/);
        assert.strictEqual(io.stdout.length, 3);
    });

    it("serve: listens, prompts the watcher on a signed push, stops on the signal; a busy port is exit 3", async () => {
        const io = terminal();
        let prompts = 0;
        const controller = new AbortController();
        let started!: () => void;
        const running = new Promise<void>((r) => (started = r));
        const watcher: CliWatcher = {
            pollOnce: async () => [],
            run: async (o) => {
                started();
                await new Promise((r) => o.signal.addEventListener("abort", r, { once: true }));
            },
            prompt: () => void prompts++,
        };
        const d = {
            io,
            clock,
            watcher: async () => watcher,
            stopSignal: () => controller.signal,
            engine: async () => new FakeEngine(),
            catalog: () => buildCatalog({}).catalog,
        };
        const opts: ServeCommandOptions = { port: 0, host: "127.0.0.1", secret: "s" };
        const done = serve(opts, d);
        await running;
        const base = /^listening on (http:\S+)$/.exec(io.stdout[0])![1];
        const url = `${base}/webhooks/github`;
        const body = "{}";
        const res = await fetch(url, {
            method: "POST",
            body,
            headers: {
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": "d-1",
                "X-Hub-Signature-256": `sha256=${createHmac("sha256", "s").update(body).digest("hex")}`,
            },
        });
        assert.strictEqual(res.status, 202);
        assert.strictEqual(prompts, 1);

        const port = Number(new URL(url).port);
        await assert.rejects(
            serve({ ...opts, port }, d),
            (e: unknown) => e instanceof EnvironmentError && e.message.includes(`127.0.0.1:${port}`),
        );
        controller.abort();
        assert.strictEqual(await done, 0);
    });

    it("serve without a webhook secret: the API answers, webhooks are off (404), and one line says so", async () => {
        const io = terminal();
        let prompts = 0;
        const controller = new AbortController();
        let started!: () => void;
        const running = new Promise<void>((r) => (started = r));
        const watcher: CliWatcher = {
            pollOnce: async () => [],
            run: async (o) => {
                started();
                await new Promise((r) => o.signal.addEventListener("abort", r, { once: true }));
            },
            prompt: () => void prompts++,
        };
        const done = serve(
            { port: 0, host: "127.0.0.1" },
            {
                io,
                clock,
                watcher: async () => watcher,
                stopSignal: () => controller.signal,
                engine: async () => new FakeEngine(),
                catalog: () => buildCatalog({}).catalog,
            },
        );
        await running;
        try {
            const base = /^listening on (http:\S+)$/.exec(io.stdout[0])![1];
            assert.strictEqual((await fetch(`${base}/api/v1/products`)).status, 200);
            const body = "{}";
            const hook = await fetch(`${base}/webhooks/github`, {
                method: "POST",
                body,
                headers: {
                    "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": `sha256=${createHmac("sha256", "").update(body).digest("hex")}`,
                },
            });
            assert.strictEqual(hook.status, 404);
            assert.strictEqual(prompts, 0);
            assert.ok(
                io.stderr.includes(`[serve] API ${base}/api/v1 (described at ${base}/api/v1/openapi.json)`),
            );
            assert.deepStrictEqual(
                io.stderr.filter((l) => /webhooks/.test(l)),
                [
                    `[serve] webhooks off: set PROMOTIONS_WEBHOOK_SECRET to the GitHub webhook's secret to take pushes at ${base}/webhooks/github`,
                ],
                "one line says so",
            );
        } finally {
            controller.abort();
        }
        assert.strictEqual(await done, 0);
    });

    describe("doctor", () => {
        const located: EngineLocation = {
            pulumi: "/opt/pulumi/bin/pulumi",
            version: "v3.259.0",
            languageHost: "/opt/pulumi/bin/pulumi-language-nodejs",
            dynamicProviderHost: "/opt/pulumi/bin/pulumi-resource-pulumi-nodejs",
            source: "cache",
        };
        function system(
            stackLs: () => Promise<{ stdout: string; stderr: string }>,
        ): SystemProbes & { runs: string[] } {
            const runs: string[] = [];
            return {
                runs,
                locateEngine: async () => located,
                exec: async (file, args, o) => {
                    runs.push(
                        `${path.basename(file)} ${args.join(" ")} ${o.env?.PULUMI_BACKEND_URL ?? ""}`.trim(),
                    );
                    return file === "git" ? { stdout: "git version 2.39.5\n", stderr: "" } : stackLs();
                },
            };
        }
        const base = (over: Partial<DoctorCommandOptions>): DoctorCommandOptions => ({
            configPath: fixture,
            configNamed: true,
            stateUrl: `file://${tempDir("doctor")}/state`,
            passphrase: "p",
            cacheDir: "/cache",
            ...over,
        });

        it("exits 0 when everything is there: a writable file:// backend, valid definitions", async () => {
            const io = terminal();
            const sys = system(() => Promise.reject(new Error("not for file://")));
            assert.strictEqual(await doctor(base({}), { io, system: sys }), 0, io.stdout.join("\n"));
            assert.match(
                io.stdout.join("\n"),
                /ok +state backend +file:\/\/\S+\/state \(will be created in /,
            );
            assert.match(io.stdout.join("\n"), /ok +config +\S+codefresh-published/);
            assert.deepStrictEqual(sys.runs, ["git --version"]);
        });

        it("says which dynamic-provider host the promote stacks get: this project's, or the SDK's of an older shim", async () => {
            const old = path.join(tempDir("doctor-shim"), "pulumi-resource-pulumi-nodejs");
            fs.writeFileSync(
                old,
                '#!/bin/sh\nexec node "$PWD/node_modules/@pulumi/pulumi/cmd/dynamic-provider" "$@"\n',
            );
            const ours = path.resolve(__dirname, "../../../../scripts/pulumi-resource-pulumi-nodejs");
            for (const [shim, said] of [
                [ours, /ok +dynamic providers +\S+ \(the promote stacks run this project's host\)/],
                [
                    old,
                    /ok +dynamic providers +\S+ \(the SDK's host for every stack, .*'bash scripts\/install\.sh' installs ours\)/,
                ],
            ] as const) {
                const io = terminal();
                const sys = {
                    ...system(() => Promise.reject(new Error("not for file://"))),
                    locateEngine: async () => ({ ...located, dynamicProviderHost: shim }),
                };
                assert.strictEqual(await doctor(base({}), { io, system: sys }), 0, io.stdout.join("\n"));
                assert.match(io.stdout.join("\n"), said);
            }
        });

        it("asks a remote backend through the engine and exits 3 with Pulumi's reason; a missing config too", async () => {
            const io = terminal();
            const sys = system(() =>
                Promise.reject(
                    Object.assign(new Error("Command failed"), {
                        stderr: 'error: read ".pulumi/meta.yaml": NoSuchBucket\n',
                    }),
                ),
            );
            const opts = base({ stateUrl: "s3://no-such-bucket-zz", configPath: "/nonexistent/defs" });
            assert.strictEqual(await doctor(opts, { io, system: sys }), 3);
            assert.deepStrictEqual(sys.runs, [
                "git --version",
                "pulumi stack ls --all --non-interactive s3://no-such-bucket-zz",
            ]);
            const out = io.stdout.join("\n");
            assert.match(
                out,
                /FAIL state backend +s3:\/\/no-such-bucket-zz: read "\.pulumi\/meta\.yaml": NoSuchBucket/,
            );
            assert.match(out, /FAIL config +1 problem: .*\/nonexistent\/defs does not exist/);
            // Each reason is printed once (above); the last line names what failed.
            assert.deepStrictEqual(io.stderr, ["error: 2 checks failed (state backend, config): see above"]);
            assert.strictEqual(out.match(/does not exist/g)?.length, 1);
        });

        it("no definitions at the default ./promotions is a next step, exit 0; named by --config, a failure", async () => {
            const fresh = path.join(tempDir("doctor-fresh"), "promotions");
            const io = terminal();
            const sys = system(() => Promise.reject(new Error("not for file://")));
            const opts = base({ configPath: fresh, configNamed: false });
            assert.strictEqual(await doctor(opts, { io, system: sys }), 0, io.stdout.join("\n"));
            const out = io.stdout.join("\n");
            const shown = path.relative(process.cwd(), fresh);
            const next = /^next config +no definitions at (\S+): run `promote init` or `npm run demo`$/m.exec(
                out,
            );
            assert.strictEqual(next?.[1], shown.startsWith("..") ? fresh : `./${shown}`, out);
            assert.strictEqual(out.match(/no definitions/g)?.length, 1, "printed once");
            assert.doesNotMatch(out, /FAIL/);
            assert.deepStrictEqual(io.stderr, []);

            const named = terminal();
            assert.strictEqual(await doctor({ ...opts, configNamed: true }, { io: named, system: sys }), 3);
            assert.match(named.stdout.join("\n"), /FAIL config +1 problem: .*promotions does not exist/);
            assert.deepStrictEqual(named.stderr, ["error: 1 check failed (config): see above"]);
        });

        it("reads every stack it owns, and fails naming a damaged one with the command restoring its good copy", async () => {
            const state = path.join(tempDir("doctor-damaged"), "state");
            const stacks = path.join(state, ".pulumi", "stacks");
            const checkpoint = JSON.stringify({ version: 3, checkpoint: { latest: { resources: [] } } });
            for (const project of ["promotions", "promotions-releases", "promotions-access"]) {
                fs.mkdirSync(path.join(stacks, project), { recursive: true });
                fs.writeFileSync(path.join(stacks, project, "web.json"), checkpoint);
            }
            fs.writeFileSync(path.join(state, ".pulumi", "meta.yaml"), "version: 1\n");
            const healthy = terminal();
            const opts = base({ stateUrl: `file://${state}` });
            assert.strictEqual(
                await doctor(opts, { io: healthy, system: system(() => Promise.reject(new Error("x"))) }),
                0,
            );
            assert.match(
                healthy.stdout.join("\n"),
                /ok +state files +3 stacks of promotions, promotions-releases, promotions-access read/,
            );

            const damaged = path.join(stacks, "promotions-releases", "web.json");
            fs.writeFileSync(`${damaged}.bak`, checkpoint);
            fs.writeFileSync(damaged, checkpoint.slice(0, 25));
            const io = terminal();
            assert.strictEqual(
                await doctor(opts, { io, system: system(() => Promise.reject(new Error("x"))) }),
                3,
            );
            const out = io.stdout.join("\n");
            assert.ok(
                out.includes(`FAIL state files`) &&
                    out.includes(`1 of 3 stacks cannot be read`) &&
                    out.includes(`${damaged} is damaged`),
                out,
            );
            assert.ok(out.includes(`fix: cp '${damaged}.bak' '${damaged}'`), out);
        });

        it("fails when a stack's settings file lost the salt its checkpoint records (a write cut short)", async () => {
            const state = path.join(tempDir("doctor-settings"), "state");
            const stacks = path.join(state, ".pulumi", "stacks", "promotions-releases");
            fs.mkdirSync(stacks, { recursive: true });
            fs.writeFileSync(path.join(state, ".pulumi", "meta.yaml"), "version: 1\n");
            const salt = "v1:OTusOaO18iU=:v1:Mx5ohScynWecGd4J:m9ZWzLKNrtoS5U25AXxS0uULFtFROw==";
            fs.writeFileSync(
                path.join(stacks, "web.json"),
                JSON.stringify({
                    version: 3,
                    checkpoint: {
                        latest: { resources: [], secrets_providers: { type: "passphrase", state: { salt } } },
                    },
                }),
            );
            const settings = path.join(state, "workspaces", "promotions-releases", "Pulumi.web.yaml");
            fs.mkdirSync(path.dirname(settings), { recursive: true });
            const opts = base({ stateUrl: `file://${state}` });
            const run = async () => {
                const io = terminal();
                const code = await doctor(opts, { io, system: system(() => Promise.reject(new Error("x"))) });
                return { code, out: io.stdout.join("\n") };
            };
            fs.writeFileSync(settings, `encryptionsalt: ${salt}\n`);
            assert.strictEqual((await run()).code, 0);
            fs.writeFileSync(settings, "");
            const { code, out } = await run();
            assert.strictEqual(code, 3, out);
            assert.ok(
                out.includes(
                    `${settings} does not hold the salt of stack promotions-releases/web's passphrase`,
                ),
                out,
            );
            assert.ok(out.includes(`fix: printf 'encryptionsalt: %s\\n' '${salt}' > '${settings}'`), out);
        });

        it("a file:// backend under a file, and a backend that does not answer, fail", async () => {
            const dir = tempDir("doctor-file");
            fs.writeFileSync(path.join(dir, "plain"), "");
            const io = terminal();
            const opts = base({ stateUrl: `file://${dir}/plain/state` });
            assert.strictEqual(
                await doctor(opts, { io, system: system(() => Promise.reject(new Error("x"))) }),
                3,
            );
            assert.match(
                io.stdout.join("\n"),
                /FAIL state backend +file:\/\/\S+: \S+plain is not a directory/,
            );
            const slow = terminal();
            const hung = system(() =>
                Promise.reject(Object.assign(new Error("killed"), { killed: true, signal: "SIGTERM" })),
            );
            assert.strictEqual(
                await doctor(base({ stateUrl: "https://api.example" }), { io: slow, system: hung }),
                3,
            );
            assert.match(
                slow.stdout.join("\n"),
                /FAIL state backend +https:\/\/api\.example: no answer within 20 s/,
            );
        });
    });
});

// The option types the commands take are the ones args.ts builds.
const _typecheck: CommandOptions<"doctor"> = {} as DoctorCommandOptions;
void _typecheck;
