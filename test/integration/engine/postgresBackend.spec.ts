import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import { enginePath, packageRoot } from "../../../engine/pulumi/engineLocator";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { ReleaseStore } from "../../../engine/store/releaseStore";
import { stackSeen, storedStackNames } from "../../../engine/pulumi/stateBackend";
import { PostgresKvStore, storeTable } from "../../../engine/store/postgres";
import { runCli, startCli } from "../../support/cli";
import { testEngine } from "../../support/engine";
import type { GitopsRepo } from "../../support/gitops";
import type { PostgresServer } from "../../support/postgres";
import { startPostgres } from "../../support/postgres";
import { productsInOneRepository, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const products = ["web", "api", "worker"] as const;
const passphrase = "postgres-backend-test-passphrase";
const password = "pg-url-password-4f1c9e";

/**
 * Three products with dev → qa → prod in one repository, and a 2 s gate before web reaches prod (so a
 * release can be caught, and killed, while it runs).
 */
function setup(dir: string, stateUrl: string) {
    const { repo, defs: base } = productsInOneRepository(dir, products);
    const marks = path.join(dir, "marks");
    fs.writeFileSync(marks, "");
    const defs: Definitions = {
        ...base,
        promotionPolicies: [
            {
                name: "web-prod-gate",
                priority: 1,
                selector: { product: { names: ["web"] }, targetEnvironment: { names: ["prod"] } },
                policy: { action: "commit", preAction: "pause" },
            },
        ],
        promotionWorkflows: [
            {
                kind: "local",
                name: "pause",
                // 2 s, or as many as the file `pause` says.
                command: `echo "$ENVIRONMENT $$" >> ${marks}; exec sleep $(cat ${path.join(dir, "pause")} 2>/dev/null || echo 2)`,
            },
        ],
    };
    const config = writeConfigModule(dir, defs);
    /** One runner: its own clone cache and identity, the shared backend. */
    const runner = (n: number) => ({
        n,
        args: ["--config", config, "--state", stateUrl],
        as: ["--as", `runner-${n}`],
        env: {
            PROMOTIONS_GIT_CACHE: path.join(dir, `runner-${n}`, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: passphrase,
        },
    });
    const setVersion = (product: string, version: string) => {
        repo.edit(`apps/${product}/dev/values.yaml`, (t) => t.replace(/tag: "[^"]+"/, `tag: "${version}"`));
        repo.edit(`apps/${product}/dev/Chart.yaml`, (t) =>
            t.replace(/appVersion: "[^"]+"/, `appVersion: "${version}"`),
        );
    };
    return { dir, repo, runner, setVersion, marks };
}

const promotionCommits = (repo: GitopsRepo, id: string) =>
    repo
        .log()
        .filter((c) => c.body.includes(`Promotion-Release: ${id}`))
        .map((c) => c.subject)
        .sort();

const record = (stdout: string) => JSON.parse(stdout) as ReleaseRecord;

describe("a PostgreSQL state backend shared by several runners", function () {
    this.timeout(600_000);
    let pg: PostgresServer;
    let stateUrl: string;

    before(async () => {
        pg = await startPostgres();
        // A password in the URL (trust auth ignores it): it must never reach a file, the state or the output.
        stateUrl = pg.url.replace("postgres@", `postgres:${password}@`);
    });
    after(async () => {
        await pg?.stop();
        removeTempDirs();
    });

    it("4 runners release 3 products into one repository at once: queues hold, nothing lost, a killed runner's release is retried by another", async () => {
        const dir = tempDir("pg-runners");
        const { repo, runner, setVersion, marks } = setup(dir, stateUrl);

        // Two releases of each product, started from different runners while the first is still running.
        const started: { product: string; version: string; by: number; cli: ReturnType<typeof startCli> }[] =
            [];
        const trigger = (product: string, version: string, by: number) => {
            const r = runner(by);
            const cli = startCli(
                [...r.args, "trigger", "--product", product, "--flow", "seq", ...r.as, "--json"],
                { env: r.env },
            );
            started.push({ product, version, by, cli });
            return cli;
        };
        for (const [i, product] of products.entries()) {
            setVersion(product, "2.0.0");
            await trigger(product, "2.0.0", i + 1).waitFor(new RegExp(`release r\\S+ \\(${product}`));
        }
        for (const [i, product] of products.entries()) {
            setVersion(product, "3.0.0");
            trigger(product, "3.0.0", ((i + 3) % 4) + 1);
        }
        const results = await Promise.all(started.map((s) => s.cli.done));
        for (const [i, r] of results.entries()) {
            assert.strictEqual(r.code, 0, `${started[i].product} ${started[i].version}:\n${r.stderr}`);
        }
        const records = results.map((r) => record(r.stdout));
        for (const [i, r] of records.entries()) {
            const s = started[i];
            assert.strictEqual(r.status, "Succeeded", JSON.stringify(r));
            assert.strictEqual(r.initiator?.user, `runner-${s.by}`);
            assert.deepStrictEqual(
                promotionCommits(repo, r.id),
                [`promote ${s.product} ${s.version} to prod`, `promote ${s.product} ${s.version} to qa`],
                `one commit per environment for ${r.id}`,
            );
        }
        for (const product of products) {
            const [first, second] = records.filter((r) => r.product === product);
            assert.ok(
                Date.parse(second.startedAt!) >= Date.parse(first.finishedAt!),
                `${product}: the second release ran after the first ended (queue across runners)`,
            );
            assert.match(repo.read(`apps/${product}/prod/values.yaml`), /tag: "3\.0\.0"/);
            // Any runner lists the same records, each once.
            const list = await runCli([...runner(4).args, "releases", "--product", product, "--json"], {
                env: runner(4).env,
            });
            assert.strictEqual(list.code, 0, list.stderr);
            assert.deepStrictEqual(
                (JSON.parse(list.stdout) as ReleaseRecord[]).map((r) => [r.id, r.status]),
                [
                    [second.id, "Succeeded"],
                    [first.id, "Succeeded"],
                ],
            );
        }
        assert.strictEqual(
            repo.log().filter((c) => c.body.includes("Promotion-Release:")).length,
            12,
            "every promotion commit is on the branch, none twice",
        );

        // Runner 1 is killed (the whole process group, as a lost machine) while web waits on its prod gate;
        // runner 2 takes the release over with retry.
        setVersion("web", "4.0.0");
        fs.writeFileSync(marks, "");
        const one = runner(1);
        const killed = startCli([...one.args, "trigger", "--product", "web", "--flow", "seq", ...one.as], {
            env: one.env,
        });
        const deadline = Date.now() + 120_000;
        while (!fs.readFileSync(marks, "utf8").includes("prod")) {
            assert.ok(Date.now() < deadline && killed.child.exitCode === null, killed.output());
            await new Promise((r) => setTimeout(r, 100));
        }
        killed.killGroup();
        await killed.done;
        const id = /release (r\S+) \(web/.exec(killed.output())![1];
        assert.deepStrictEqual(promotionCommits(repo, id), ["promote web 4.0.0 to qa"]);

        const two = runner(2);
        const retried = await runCli([...two.args, "retry", id, ...two.as, "--json"], { env: two.env });
        assert.strictEqual(retried.code, 0, retried.stdout + retried.stderr);
        const done = record(retried.stdout);
        assert.strictEqual(done.status, "Succeeded");
        assert.deepStrictEqual(
            (done.audit ?? []).map((a) => [a.action, a.user]),
            [
                ["trigger", "runner-1"],
                ["retry", "runner-2"],
            ],
        );
        assert.deepStrictEqual(promotionCommits(repo, id), [
            "promote web 4.0.0 to prod",
            "promote web 4.0.0 to qa",
        ]);

        // The records live in the database, in the release store's table: one row per release.
        const web = await new ReleaseStore(new PostgresKvStore(stateUrl), "web").list();
        for (const r of [...records.filter((r) => r.product === "web"), done]) {
            assert.ok(
                web.some((w) => w.id === r.id && w.status === "Succeeded"),
                `${r.id} is in the store`,
            );
        }
        const storeRows = await pg.query<{ key: string; value: unknown }>(
            `SELECT key, value::text AS value FROM ${storeTable}`,
        );
        for (const product of ["api", "web", "worker"]) {
            assert.ok(
                storeRows.some((r) => r.key.startsWith(`releases/${product}/r/`)),
                `${product}'s records`,
            );
        }
        // The promote stack, read with the plain Pulumi CLI, carries its last release in its outputs.
        const engine = await testEngine();
        const outputs = JSON.parse(
            execFileSync(
                engine.pulumi,
                ["stack", "output", "--json", "--stack", "organization/promotions/web"],
                {
                    cwd: dir,
                    encoding: "utf8",
                    // Only what the plain CLI needs: a reader of the stack, not one of our processes.
                    env: {
                        HOME: process.env.HOME ?? "/",
                        PULUMI_BACKEND_URL: pg.url,
                        PULUMI_CONFIG_PASSPHRASE: passphrase,
                        PULUMI_SKIP_UPDATE_CHECK: "true",
                        PATH: enginePath(engine, process.env.PATH ?? ""),
                    },
                },
            ),
        ) as { releaseId?: string; release?: { id: string } };
        assert.strictEqual(outputs.release?.id, outputs.releaseId);
        assert.ok(web.some((w) => w.id === outputs.releaseId));
        assert.strictEqual(await stackSeen(stateUrl, "promotions", "web"), "exists");
        assert.strictEqual(await stackSeen(stateUrl, "promotions", "nothing"), "absent");
        assert.deepStrictEqual((await storedStackNames(stateUrl, "promotions"))?.sort(), [
            "api",
            "web",
            "worker",
        ]);
        const rows = await pg.query<{ key: string; data: unknown }>(
            "SELECT key, data::text AS data FROM pulumi_state",
        );
        assert.ok(rows.some((r) => r.key.endsWith(".pulumi/stacks/promotions/web.json")));
        const stored = rows.map((r) =>
            Buffer.from(String(r.data).replace(/^.*"data":"|"}$/g, ""), "base64").toString(),
        );
        for (const text of [
            ...stored,
            ...rows.map((r) => String(r.data)),
            ...storeRows.map((r) => String(r.value)),
        ]) {
            assert.ok(!text.includes(password), "the URL's password is not in the state");
            assert.ok(!text.includes(passphrase), "the passphrase is not in the state");
        }
        for (const r of [...results, retried]) {
            assert.ok(!(r.stdout + r.stderr).includes(password), "the URL's password is not printed");
        }
        for (const where of [dir, path.join(packageRoot, ".promotions")]) {
            const grep = spawnSync("grep", ["-rl", "--exclude-dir=gitops.git", password, where], {
                encoding: "utf8",
            });
            assert.strictEqual(grep.stdout, "", `no file holds the URL's password`);
        }
    });
    it("a runner on another host that stops beating is taken over by retry, not before", async () => {
        // Each runner gets a host of its own: a UTS namespace with its own hostname (as root), so the runners
        // cannot see each other's processes by pid and judge liveness by the heartbeat in the backend.
        assert.strictEqual(
            spawnSync("unshare", ["--uts", "true"]).status,
            0,
            "this test needs `unshare --uts` (root, util-linux) to give each runner a host of its own",
        );
        const dir = tempDir("pg-hosts");
        const { repo, runner, setVersion, marks } = setup(dir, stateUrl);
        fs.writeFileSync(path.join(dir, "pause"), "60");
        const onHost = (host: string, n: number, command: string[]) => {
            const r = runner(n);
            const promote = path.join(packageRoot, "bin", "promote");
            return startCli(
                [
                    "--uts",
                    "sh",
                    "-c",
                    `hostname ${host} && exec "$0" "$@"`,
                    promote,
                    ...r.args,
                    ...command,
                    "--as",
                    `runner-${n}`,
                ],
                { env: { ...r.env, PROMOTIONS_HEARTBEAT_SECONDS: "2" }, bin: "unshare" },
            );
        };
        setVersion("web", "5.0.0");
        const a = onHost("host-a", 1, ["trigger", "--product", "web", "--flow", "seq"]);
        const deadline = Date.now() + 120_000;
        while (!fs.readFileSync(marks, "utf8").includes("prod")) {
            assert.ok(Date.now() < deadline && a.child.exitCode === null, a.output());
            await new Promise((r) => setTimeout(r, 100));
        }
        const id = /release (r\S+) \(web/.exec(a.output())![1];
        // The stored record, as another host reads it from the backend.
        const hostStore = new ReleaseStore(new PostgresKvStore(stateUrl), "web");
        const show = async () => {
            const record = await hostStore.get(id);
            assert.ok(record, `${id} is stored with its record`);
            return record;
        };
        const first = await show();
        assert.strictEqual(first.owner?.host, "host-a");
        assert.strictEqual(first.owner?.heartbeatMs, 2000);
        // The running release beats (each beat is a record write).
        const since = Date.parse(first.heartbeatAt ?? first.startedAt ?? "");
        let later = first;
        const beaten = (r: ReleaseRecord) => r.heartbeatAt !== undefined && Date.parse(r.heartbeatAt) > since;
        for (const until = Date.now() + 60_000; !beaten(later);) {
            assert.ok(Date.now() < until, `no heartbeat after ${first.heartbeatAt}`);
            await new Promise((r) => setTimeout(r, 250));
            later = await show();
        }
        // Alive (it just beat): another host's retry is refused.
        const early = await onHost("host-b", 2, ["retry", id]).done;
        assert.strictEqual(early.code, 2, early.stdout + early.stderr);
        assert.match(early.stderr, /is Running: only Failed or Terminated releases can be retried/);

        // host-a is lost; once six beats (12 s) are missed, host-b takes the release over.
        a.killGroup();
        await a.done;
        fs.writeFileSync(path.join(dir, "pause"), "0");
        const lastBeat = (await show()).heartbeatAt;
        assert.ok(lastBeat, "every write of a running release carries its heartbeat");
        const last = Date.parse(lastBeat);
        await new Promise((r) => setTimeout(r, Math.max(0, last + 12_500 - Date.now())));
        const taken = await onHost("host-b", 2, ["retry", id, "--json"]).done;
        assert.strictEqual(taken.code, 0, taken.stdout + taken.stderr);
        const done = record(taken.stdout);
        assert.strictEqual(done.status, "Succeeded");
        assert.deepStrictEqual(
            (done.audit ?? []).map((e) => [e.action, e.user]),
            [
                ["trigger", "runner-1"],
                ["retry", "runner-2"],
            ],
        );
        assert.deepStrictEqual(promotionCommits(repo, id), [
            "promote web 5.0.0 to prod",
            "promote web 5.0.0 to qa",
        ]);
    });
});
