import * as assert from "assert";
import type { RunningCli } from "../../support/cli";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { OidcIssuer } from "../../support/oidcIssuer";
import type { PostgresServer } from "../../support/postgres";
import { startPostgres } from "../../support/postgres";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
    readonly status: number;
    readonly text: string;
    readonly body: Record<string, unknown> & { error?: { code: string; message: string } };
}

interface Decision {
    readonly decision: string;
    readonly user: string;
}
interface Env {
    readonly name: string;
    readonly status: string;
    readonly approval?: { readonly decisions: readonly Decision[] };
}

/** Environments gated the same way, one per race: each gets a second approval and a rejection at once. */
const rounds = Array.from({ length: 10 }, (_, i) => `p${i + 1}`);
/** Decided by two CLI processes at once, acting on the state directly. */
const cliRounds = ["c1", "c2"];
/** One person under two names. */
const solo = "solo";

/**
 * Decisions on approval gates against a real `promote serve` (and real CLI processes), several at once: of a
 * second approval and a rejection sent together, exactly one is recorded and answered 200, the other 409 saying
 * what happened, and what the release then does follows the one answered 200. One person known by two names
 * (an API token's user, an OIDC email, a proxy's headers) counts once.
 */
describe("promote serve: decisions at once, and who is one person", function () {
    this.timeout(900_000);

    let dir: string;
    let repo: GitopsRepo;
    let args: string[];
    let env: Record<string, string>;
    let issuer: OidcIssuer;
    let serve: RunningCli;
    let base: string;

    async function call(p: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
        const res = await fetch(`${base}${p}`, {
            method: body === undefined ? "GET" : "POST",
            headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        return { status: res.status, text, body: JSON.parse(text) as Answer["body"] };
    }

    async function cli(...rest: string[]) {
        const r = await runCli([...args, ...rest], { env });
        assert.strictEqual(r.code, 0, r.stderr);
        return r;
    }

    async function token(user: string): Promise<Record<string, string>> {
        const r = await cli(
            "token",
            "create",
            "--user",
            user,
            "--group",
            "release-managers",
            "--as",
            "admin",
        );
        return { Authorization: `Bearer ${r.stdout.trim()}` };
    }

    before(async () => {
        dir = tempDir("server-decisions");
        const gated = [...rounds, ...cliRounds, solo];
        const s = cliScenario(dir, {
            environments: [{ name: "dev" }, ...gated.map((name) => ({ name, kind: "production" as const }))],
            flows: [
                {
                    name: "gates",
                    triggerEnvironment: "dev",
                    steps: gated.map((environment) => ({
                        environment,
                        dependsOn: ["dev"],
                        policy: {
                            approval: { approvers: [{ group: "release-managers" }], minApprovals: 2 },
                        },
                    })),
                },
            ],
        });
        ({ repo, args } = s);
        env = { ...s.env, PROMOTIONS_WEBHOOK_SECRET: "decisions-spec-webhook-secret" };
        issuer = await OidcIssuer.start();
    });

    after(async () => {
        serve?.child.kill("SIGTERM");
        await serve?.done;
        serve?.killGroup();
        await issuer?.close();
        removeTempDirs();
    });

    it("of an approval and a rejection at once, one is recorded (200) and the other refused (409); the release follows", async () => {
        const rm1 = await token("rm1");
        const rm2 = await token("rm2");
        const rm3 = await token("rm3");
        serve = startCli(
            [
                ...args,
                "serve",
                "--port",
                "0",
                "--oidc-issuer",
                issuer.url,
                "--oidc-audience",
                "promotions",
                "--trusted-proxy",
                "127.0.0.1/32",
            ],
            { env },
        );
        await serve.waitFor(/listening on http:\S+/, 60_000);
        base = /listening on (http:\S+)/.exec(serve.output())![1];

        // Every gated environment waits, nothing written there.
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "2.0.0"'));
        const trigger = await runCli(
            [...args, "trigger", "--product", "web", "--flow", "gates", "--no-wait", "--json"],
            {
                env,
            },
        );
        assert.strictEqual(trigger.code, 4, trigger.stderr);
        const id = (JSON.parse(trigger.stdout) as { id: string }).id;
        const decide = (verb: "approve" | "reject", who: Record<string, string>, environment: string) =>
            call(`/api/v1/releases/${id}/${verb}`, who, { environment });

        // One approval of two everywhere.
        for (const e of [...rounds, ...cliRounds]) {
            const first = await decide("approve", rm1, e);
            assert.strictEqual(first.status, 200, first.text);
        }

        // The races, through the API, one round per environment: a second approval and a rejection sent together.
        const answers: { e: string; approved: Answer; rejected: Answer }[] = [];
        for (const e of rounds) {
            const [approved, rejected] = await Promise.all([
                decide("approve", rm2, e),
                decide("reject", rm3, e),
            ]);
            answers.push({ e, approved, rejected });
        }
        for (const { e, approved, rejected } of answers) {
            const statuses = [approved.status, rejected.status].sort();
            assert.deepStrictEqual(statuses, [200, 409], `${e}: ${approved.text} / ${rejected.text}`);
            const lost = approved.status === 409 ? approved : rejected;
            assert.strictEqual(lost.body.error?.code, "conflict", lost.text);
            assert.match(
                lost.body.error?.message ?? "",
                new RegExp(
                    `environment "${e}" of release ${id} was already (rejected by rm3|approved \\(2/2: rm1, rm2\\)): your (approval|rejection) was not recorded`,
                ),
            );
        }

        // The races, two CLI processes acting on the state at once (serve is not involved).
        for (const e of cliRounds) {
            const [approved, rejected] = await Promise.all(
                (["approve", "reject"] as const).map((verb, i) =>
                    runCli(
                        [
                            ...args,
                            verb,
                            id,
                            "--environment",
                            e,
                            "--as",
                            `cli${i}`,
                            "--group",
                            "release-managers",
                        ],
                        { env },
                    ),
                ),
            );
            const codes = [approved.code, rejected.code].sort();
            assert.deepStrictEqual(codes, [0, 2], `${e}: ${approved.stderr} / ${rejected.stderr}`);
            const lost = approved.code === 2 ? approved : rejected;
            assert.match(lost.stderr, /was already (rejected|approved).*was not recorded/);
        }

        // One person as the token's user `rm2` and as the OIDC email or the proxy's email rm2@example.com:
        // counted once, the second decision refused naming the first.
        const first = await decide("approve", rm2, solo);
        assert.strictEqual(first.status, 200, first.text);
        const jwt = await issuer.sign({
            sub: "u-rm2",
            email: "rm2@example.com",
            groups: ["release-managers"],
        });
        const asEmail = await decide("approve", { Authorization: `Bearer ${jwt}` }, solo);
        assert.strictEqual(asEmail.status, 403, asEmail.text);
        assert.match(asEmail.body.error?.message ?? "", /rm2@example\.com already approved .* \(as rm2\)/);
        const viaProxy = await decide(
            "reject",
            { "X-Forwarded-Email": "RM2@example.com", "X-Forwarded-Groups": "release-managers" },
            solo,
        );
        assert.strictEqual(viaProxy.status, 403, viaProxy.text);

        // The last gate: another person's approval counts. Then serve resumes the release.
        const rm3solo = await decide("approve", rm3, solo);
        assert.strictEqual(rm3solo.status, 200, rm3solo.text);
        let release: { status: string; environments: Env[] } | undefined;
        for (let i = 0; i < 600; i++) {
            const r = await call(`/api/v1/releases/${id}`, rm1);
            release = r.body as unknown as typeof release;
            if (["Succeeded", "Failed", "Terminated"].includes(release!.status)) {
                break;
            }
            await sleep(1000);
        }
        assert.ok(release && ["Failed", "Succeeded"].includes(release.status), JSON.stringify(release));

        // Each environment did what its 200 said, and its record holds exactly that decision.
        const byName = new Map(release.environments.map((e) => [e.name, e]));
        for (const { e, rejected } of answers) {
            const stored = byName.get(e)!;
            const decisions = stored.approval?.decisions.map((d) => `${d.user} ${d.decision}`);
            const values = repo.read(`apps/web/${e}/values.yaml`);
            if (rejected.status === 200) {
                assert.deepStrictEqual(
                    [stored.status, decisions],
                    ["Failed", ["rm1 approved", "rm3 rejected"]],
                    `${e}: ${JSON.stringify(stored)}`,
                );
                assert.match(values, /tag: "1\.0\.0"/, `${e} was rejected (200) and must be left untouched`);
            } else {
                assert.deepStrictEqual(
                    [stored.status, decisions],
                    ["Succeeded", ["rm1 approved", "rm2 approved"]],
                    `${e}: ${JSON.stringify(stored)}`,
                );
                assert.match(values, /tag: "2\.0\.0"/, `${e} was approved (200)`);
            }
        }
        const soloDecisions = byName.get(solo)!.approval?.decisions.map((d) => d.user);
        assert.deepStrictEqual(soloDecisions, ["rm2", "rm3"], "one decision per person");
        assert.strictEqual(byName.get(solo)!.status, "Succeeded");
    });
});

/**
 * The same races between CLI processes acting on a `postgres://` state directly: the stored record is read
 * under Pulumi's lock there too, so one decision of each pair is recorded and the other exits 2.
 */
describe("decisions at once on a postgres:// state (CLI processes)", function () {
    this.timeout(900_000);
    let pg: PostgresServer;

    before(async () => {
        pg = await startPostgres();
    });
    after(async () => {
        await pg?.stop();
        removeTempDirs();
    });

    it("of an approval and a rejection from two processes at once, one is recorded and the other exits 2", async () => {
        const dir = tempDir("pg-decisions");
        const gated = ["g1", "g2", "g3"];
        const s = cliScenario(dir, {
            environments: [{ name: "dev" }, ...gated.map((name) => ({ name, kind: "production" as const }))],
            flows: [
                {
                    name: "gates",
                    triggerEnvironment: "dev",
                    steps: gated.map((environment) => ({
                        environment,
                        dependsOn: ["dev"],
                        policy: {
                            approval: { approvers: [{ group: "release-managers" }], minApprovals: 2 },
                        },
                    })),
                },
            ],
        });
        const args = [...s.args.slice(0, s.args.indexOf("--state")), "--state", pg.url];
        const run = (...rest: string[]) => runCli([...args, ...rest], { env: s.env });
        s.repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
        s.repo.edit("apps/web/dev/Chart.yaml", (t) =>
            t.replace('appVersion: "1.0.0"', 'appVersion: "2.0.0"'),
        );
        const trigger = await run("trigger", "--product", "web", "--flow", "gates", "--no-wait", "--json");
        assert.strictEqual(trigger.code, 4, trigger.stderr);
        const id = (JSON.parse(trigger.stdout) as { id: string }).id;
        const as = (user: string) => ["--as", user, "--group", "release-managers"];
        for (const e of gated) {
            const first = await run("approve", id, "--environment", e, ...as("rm1"));
            assert.strictEqual(first.code, 0, first.stderr);
            const [approved, rejected] = await Promise.all([
                run("approve", id, "--environment", e, ...as("rm2")),
                run("reject", id, "--environment", e, ...as("rm3")),
            ]);
            assert.deepStrictEqual(
                [approved.code, rejected.code].sort(),
                [0, 2],
                `${e}: ${approved.stderr} / ${rejected.stderr}`,
            );
            const lost = approved.code === 2 ? approved : rejected;
            assert.match(
                lost.stderr,
                /was already (rejected by rm3|approved \(2\/2: rm1, rm2\)).*was not recorded/,
            );
            const shown = await run("release", id, "--json");
            const env = (JSON.parse(shown.stdout) as { environments: Env[] }).environments.find(
                (x) => x.name === e,
            );
            assert.deepStrictEqual(
                env?.approval?.decisions.map((d) => `${d.user} ${d.decision}`),
                rejected.code === 0 ? ["rm1 approved", "rm3 rejected"] : ["rm1 approved", "rm2 approved"],
                `${e}: the record holds the decision answered 0`,
            );
        }
    });
});
