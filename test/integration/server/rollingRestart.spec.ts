import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import type { RunningCli } from "../../support/cli";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import type { PostgresServer } from "../../support/postgres";
import { startPostgres } from "../../support/postgres";
import { productsInOneRepository, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const passphrase = "rolling-restart-test-passphrase";

/** What the test reads of a release over the API (nothing of how records are kept). */
interface Release {
    readonly id: string;
    readonly product: string;
    readonly status: string;
    readonly waitKind?: string;
    readonly sourceCommit: string;
    readonly environments: readonly {
        readonly name: string;
        readonly status: string;
        readonly waitKind?: string;
    }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two `promote serve` replicas on one PostgreSQL backend, restarted one after the other as a Kubernetes rolling
 * update does (SIGTERM, then a new process), while one release runs a workflow gate and another waits for an
 * approval. Black-box: processes, HTTP, git and files only. Two products in one repository, dev → qa → prod:
 * web's qa runs a gate that finishes when the test says (it writes `start` and `end` lines to a marks file),
 * and every prod waits for alice's approval.
 */
describe("promote serve: a rolling restart of two replicas on one backend", function () {
    this.timeout(900_000);

    let pg: PostgresServer;
    let dir: string;
    let repo: GitopsRepo;
    let marks: string;
    let args: string[];
    let env: Record<string, string>;
    const replicas: RunningCli[] = [];
    /** The replica the first test leaves running. */
    let last: { cli: RunningCli } | undefined;

    before(async () => {
        pg = await startPostgres();
        dir = tempDir("rolling-restart");
        const made = productsInOneRepository(dir, ["web", "api"]);
        repo = made.repo;
        marks = path.join(dir, "marks");
        fs.writeFileSync(marks, "");
        // The gate runs until the file go-<release id> exists.
        const go = path.join(dir, "go");
        const defs: Definitions = {
            ...made.defs,
            promotionPolicies: [
                {
                    name: "web-qa-gate",
                    priority: 1,
                    selector: { product: { names: ["web"] }, targetEnvironment: { names: ["qa"] } },
                    policy: { action: "commit", preAction: "slow-check" },
                },
                {
                    name: "prod-approval",
                    priority: 2,
                    selector: { targetEnvironment: { names: ["prod"] } },
                    policy: { approval: { approvers: [{ user: "alice" }] } },
                },
            ],
            promotionWorkflows: [
                {
                    kind: "local",
                    name: "slow-check",
                    command:
                        `echo "start $PRODUCT_NAME $ENVIRONMENT" >> ${marks}; ` +
                        `while [ ! -e ${go}-$RELEASE_ID ]; do sleep 0.2; done; ` +
                        `echo "end $PRODUCT_NAME $ENVIRONMENT" >> ${marks}`,
                },
            ],
        };
        const gitConfig = path.join(dir, "gitconfig");
        fs.writeFileSync(gitConfig, "[user]\n\tname = Rolling Test\n\temail = rolling@example.com\n");
        args = ["--config", writeConfigModule(dir, defs), "--state", pg.url];
        env = {
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            GIT_CONFIG_GLOBAL: gitConfig,
            GIT_CONFIG_NOSYSTEM: "1",
            ...(process.env.PULUMI_PROMOTIONS_CACHE
                ? { PULUMI_PROMOTIONS_CACHE: process.env.PULUMI_PROMOTIONS_CACHE }
                : {}),
        };
        // Version 2.0.0 in dev before any replica starts: the trigger watchers start at this tip.
        for (const product of ["web", "api"]) {
            repo.edit(`apps/${product}/dev/values.yaml`, (t) => t.replace(/tag: "[^"]+"/, 'tag: "2.0.0"'));
            repo.edit(`apps/${product}/dev/Chart.yaml`, (t) =>
                t.replace(/appVersion: "[^"]+"/, 'appVersion: "2.0.0"'),
            );
        }
    });

    after(async () => {
        for (const r of replicas) {
            r.child.kill("SIGTERM");
        }
        await Promise.all(replicas.map((r) => r.done));
        replicas.forEach((r) => r.killGroup());
        await pg?.stop();
        removeTempDirs();
    });

    /** One replica: its own clone cache (a pod's volume), the shared backend; resolves with its base URL. */
    async function start(
        name: string,
        grace = "5m",
    ): Promise<{ cli: RunningCli; url: string; name: string }> {
        const cli = startCli(
            [...args, "serve", "--port", "0", "--log-format", "text", "--shutdown-grace", grace],
            {
                env: {
                    ...env,
                    PROMOTIONS_GIT_CACHE: path.join(dir, `cache-${name}`),
                    PROMOTIONS_RUNTIME: name,
                },
                bareEnv: true,
            },
        );
        replicas.push(cli);
        // "listening" is said once its start-up reads of the stored releases are done.
        await cli.waitFor(/listening on http:\S+/, 120_000);
        return { cli, url: /listening on (http:\S+)/.exec(cli.output())![1], name };
    }

    /** SIGTERM, as the kubelet sends it; resolves with the exit code once the process is gone. */
    async function stop(r: { cli: RunningCli }): Promise<number | null> {
        r.cli.child.kill("SIGTERM");
        const { code } = await r.cli.done;
        return code;
    }

    async function api<T>(url: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
        const res = await fetch(`${url}/api/v1${p}`, {
            method: body === undefined ? "GET" : "POST",
            headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        return { status: res.status, text, body: JSON.parse(text) as T };
    }

    /** Polls a release over the API until `ok` holds (or the process under test gives up: the test times out). */
    async function until(url: string, id: string, ok: (r: Release) => boolean): Promise<Release> {
        for (;;) {
            const r = await api<Release>(url, `/releases/${encodeURIComponent(id)}`);
            if (r.status === 200 && ok(r.body)) {
                return r.body;
            }
            await sleep(250);
        }
    }

    const waitingApproval = (r: Release) =>
        r.status === "Suspended" &&
        r.environments.some((e) => e.name === "prod" && e.waitKind === "approval");

    async function untilMarked(line: string): Promise<void> {
        while (!fs.readFileSync(marks, "utf8").split("\n").includes(line)) {
            await sleep(100);
        }
    }

    /** The promotion commits in the repository, as "<release> <environment>" (the engine's trailer and subject). */
    function promotionCommits(): string[] {
        return repo
            .log()
            .map((c) => {
                const id = /Promotion-Release: (\S+)/.exec(c.body)?.[1];
                const env = / to (\S+)$/.exec(c.subject)?.[1];
                return id ? `${id} ${env}` : undefined;
            })
            .filter((x): x is string => x !== undefined)
            .sort();
    }

    it("loses no release, reruns no finished gate, makes no duplicate commit; the approval stays decidable", async () => {
        const token = (
            await runCli([...args, "token", "create", "--user", "alice", "--as", "admin"], {
                env,
                bareEnv: true,
            })
        ).stdout.trim();
        assert.match(token, /\S{16,}/, "an API token for alice");
        const alice = { Authorization: `Bearer ${token}` };

        let a = await start("replica-a");
        let b = await start("replica-b");

        // web on replica A (its qa gate will be running), api on replica B (it will wait for approval in prod).
        const web = await api<Release>(a.url, "/releases", { product: "web", flow: "seq" });
        assert.strictEqual(web.status, 202, web.text);
        const first = await api<Release>(b.url, "/releases", { product: "api", flow: "seq" });
        assert.strictEqual(first.status, 202, first.text);
        const webId = web.body.id;
        const apiId = first.body.id;
        await untilMarked("start web qa");
        await until(b.url, apiId, waitingApproval);

        // The rolling update, first replica: A gets SIGTERM while web's qa gate runs. The gate under way finishes
        // in the process that started it; web then reaches its approval, which A hands over, and A exits.
        a.cli.child.kill("SIGTERM");
        await a.cli.waitFor(/shutting down: no new work/);
        // Draining: the process is still there (the gate holds it), and takes no new connection.
        await assert.rejects(fetch(`${a.url}/healthz`), /fetch failed/);
        assert.strictEqual(a.cli.child.exitCode, null, "A waits for the gate under way");
        fs.writeFileSync(`${path.join(dir, "go")}-${webId}`, "");
        assert.strictEqual((await a.cli.done).code, 0, a.cli.output());
        assert.match(a.cli.output(), /shut down: nothing left running here/);
        const handed = await until(b.url, webId, waitingApproval);
        assert.strictEqual(handed.environments.find((e) => e.name === "qa")?.status, "Succeeded");
        a = await start("replica-a2");

        // Second replica: B holds api, waiting for approval in prod; it hands it over and exits.
        assert.strictEqual(await stop(b), 0, b.cli.output());
        assert.match(b.cli.output(), /shut down: nothing left running here/);
        b = await start("replica-b2");

        // web's approval, decided through a new replica: it resumes web, which ends.
        const approved = await api(b.url, `/releases/${webId}/approve`, { environment: "prod" }, alice);
        assert.strictEqual(approved.status, 200, approved.text);
        const ended = await until(a.url, webId, (r) => r.status === "Succeeded" || r.status === "Failed");
        assert.strictEqual(ended.status, "Succeeded", JSON.stringify(ended));

        // Both down: api approved on the state, and a push to api's dev. The next start resumes the one and
        // releases the other (its poll catches up).
        assert.strictEqual(await stop(a), 0, a.cli.output());
        assert.strictEqual(await stop(b), 0, b.cli.output());
        const decided = await runCli([...args, "approve", apiId, "--environment", "prod", "--as", "alice"], {
            env,
            bareEnv: true,
        });
        assert.strictEqual(decided.code, 0, decided.stderr);
        // One commit (the watcher releases each commit that touches the application, in order).
        repo.commit(
            {
                "apps/api/dev/values.yaml": repo
                    .read("apps/api/dev/values.yaml")
                    .replace(/tag: "[^"]+"/, 'tag: "3.0.0"'),
                "apps/api/dev/Chart.yaml": repo
                    .read("apps/api/dev/Chart.yaml")
                    .replace(/appVersion: "[^"]+"/, 'appVersion: "3.0.0"'),
            },
            "api 3.0.0",
        );
        a = await start("replica-a3");
        const resumed = await until(a.url, apiId, (r) => r.status === "Succeeded" || r.status === "Failed");
        assert.strictEqual(resumed.status, "Succeeded", JSON.stringify(resumed));
        let pushed: { id: string } | undefined;
        while (!pushed) {
            const page = await api<{ releases: { id: string; version?: string }[] }>(
                a.url,
                "/releases?product=api",
            );
            pushed = page.body.releases.find((r) => r.version === "3.0.0");
            await sleep(250);
        }
        const second = await until(a.url, pushed.id, waitingApproval);
        assert.strictEqual(second.environments.find((e) => e.name === "qa")?.status, "Succeeded");

        // Nothing lost, nothing twice: the releases, the gate runs, the commits.
        const listed = async (product: string) =>
            (await api<{ releases: { id: string }[] }>(a.url, `/releases?product=${product}`)).body.releases
                .map((r) => r.id)
                .sort();
        assert.deepStrictEqual(await listed("web"), [webId]);
        assert.deepStrictEqual(await listed("api"), [apiId, pushed.id].sort());
        assert.deepStrictEqual(
            fs.readFileSync(marks, "utf8").trim().split("\n"),
            ["start web qa", "end web qa"],
            "web's qa gate ran once, in replica A, across both restarts",
        );
        assert.deepStrictEqual(
            promotionCommits(),
            [`${apiId} prod`, `${apiId} qa`, `${pushed.id} qa`, `${webId} prod`, `${webId} qa`].sort(),
            "one commit per release and environment",
        );
        last = a;
    });

    it("past --shutdown-grace it exits 1 naming the release it leaves; retry resumes that release from any runner", async () => {
        assert.ok(last, "the first test's replica");
        assert.strictEqual(await stop(last), 0, last.cli.output());
        // A push while no replica runs; the next one releases it at start, and its qa gate runs (until go-<id>).
        repo.commit(
            {
                "apps/web/dev/values.yaml": repo
                    .read("apps/web/dev/values.yaml")
                    .replace(/tag: "[^"]+"/, 'tag: "4.0.0"'),
                "apps/web/dev/Chart.yaml": repo
                    .read("apps/web/dev/Chart.yaml")
                    .replace(/appVersion: "[^"]+"/, 'appVersion: "4.0.0"'),
            },
            "web 4.0.0",
        );
        const starts = () =>
            fs
                .readFileSync(marks, "utf8")
                .split("\n")
                .filter((l) => l === "start web qa").length;
        const before = starts();
        const g = await start("replica-g", "3s");
        while (starts() === before) {
            await sleep(100);
        }
        const page = await api<{ releases: { id: string; version?: string }[] }>(
            g.url,
            "/releases?product=web",
        );
        const id = page.body.releases.find((r) => r.version === "4.0.0")?.id;
        assert.ok(id, page.text);

        assert.strictEqual(await stop(g), 1, g.cli.output());
        assert.match(
            g.cli.output(),
            new RegExp(
                `grace period \\(3s, --shutdown-grace\\) over: exiting with release ${id} still running here`,
            ),
        );
        // Any runner takes it over: the gate that did not finish runs again, the commit is made once.
        fs.writeFileSync(`${path.join(dir, "go")}-${id}`, "");
        const retried = await runCli([...args, "retry", id, "--no-wait", "--json"], {
            env: { ...env, PROMOTIONS_GIT_CACHE: path.join(dir, "cache-runner") },
            bareEnv: true,
        });
        assert.strictEqual(retried.code, 4, retried.stderr);
        const record = JSON.parse(retried.stdout) as Release;
        assert.strictEqual(record.status, "Suspended");
        assert.strictEqual(record.environments.find((e) => e.name === "qa")?.status, "Succeeded");
        assert.deepStrictEqual(
            promotionCommits().filter((c) => c.startsWith(`${id} `)),
            [`${id} qa`],
        );
    });
});
