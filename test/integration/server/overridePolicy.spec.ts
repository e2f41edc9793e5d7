import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import type { RunningCli } from "../../support/cli";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ship(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
}

/** This machine's first address that is not loopback (the network a caller comes from), if it has one. */
function networkAddress(): string | undefined {
    return Object.values(os.networkInterfaces())
        .flat()
        .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
}

/**
 * `promote serve` with qa gated by a policy's pre-action (issue 23, items 2 and 11), over the real engine, Git and
 * local workflows: a user who may only promote cannot swap the gate, through the API or the CLI acting through
 * the server; one with `override-policy` can, and the record and its audit say so; and with `--insecure-no-auth`
 * a caller from the network is recorded by its address.
 */
describe("promote serve: override-policy, and anonymous callers from the network", function () {
    this.timeout(300_000);

    let dir: string;
    let repo: GitopsRepo;
    let args: string[];
    let env: Record<string, string>;
    let serve: RunningCli | undefined;
    const marker = (workflow: string) => path.join(dir, `${workflow}.ran`);

    async function cli(extraEnv: Record<string, string>, ...rest: string[]) {
        return runCli([...args, ...rest], { env: { ...env, ...extraEnv } });
    }

    async function token(user: string, group: string): Promise<string> {
        const r = await cli({}, "token", "create", "--user", user, "--group", group, "--as", "admin");
        assert.strictEqual(r.code, 0, r.stderr);
        return r.stdout.trim();
    }

    async function startServe(...rest: string[]): Promise<string> {
        serve = startCli([...args, "serve", "--port", "0", ...rest], { env });
        await serve.waitFor(/listening on http:\S+/, 60_000);
        return /listening on (http:\S+)/.exec(serve.output())![1].replace(/\/$/, "");
    }

    async function stopServe() {
        serve?.child.kill("SIGTERM");
        await serve?.done;
        serve?.killGroup();
        serve = undefined;
    }

    before(() => {
        dir = tempDir("override-policy");
        repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        const gate = (name: string) => ({
            name,
            kind: "local" as const,
            command: ["/bin/sh", "-c", `echo "$RELEASE_ID" >> '${marker(name)}'`],
        });
        const defs: Definitions = {
            ...scenarioDefinitions({
                product: "web",
                repoURL: repo.url,
                environments: [{ name: "dev" }, { name: "qa" }],
                flows: [
                    {
                        name: "seq",
                        triggerEnvironment: "dev",
                        steps: [{ environment: "qa", dependsOn: ["dev"] }],
                    },
                ],
                workflows: [gate("qa-checks"), gate("noop")],
                policies: [
                    {
                        name: "qa-gate",
                        priority: 10,
                        selector: { targetEnvironment: { names: ["qa"] } },
                        policy: { preAction: "qa-checks" },
                    },
                ],
            }),
            promotionPermissions: [
                {
                    name: "developers",
                    subjects: [{ group: "developers" }],
                    actions: ["promote"],
                    environments: { kinds: ["non-production"] },
                },
                {
                    name: "gatekeepers",
                    subjects: [{ group: "gatekeepers" }],
                    actions: ["promote", "override-policy"],
                    environments: { kinds: ["non-production"] },
                },
                {
                    name: "anyone-to-qa",
                    subjects: [{ user: "anonymous" }],
                    actions: ["promote"],
                    environments: { names: ["qa"] },
                },
            ],
        };
        args = ["--config", writeConfigModule(dir, defs), "--state", `file://${path.join(dir, "state")}`];
        env = {
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: "test-state-passphrase",
            PROMOTIONS_WEBHOOK_SECRET: "override-policy-spec-webhook-secret",
        };
    });

    after(async () => {
        await stopServe();
        removeTempDirs();
    });

    it("the CLI through the server: --pre-action against qa's policy needs override-policy; with it, it is recorded", async () => {
        const dev1 = await token("dev1", "developers");
        const keeper = await token("keeper", "gatekeepers");
        const base = await startServe();
        ship(repo, "2.0.0");
        const tip = repo.tip();
        const promote = [
            "promote",
            "--product",
            "web",
            "--from",
            "dev",
            "--to",
            "qa",
            "--pre-action",
            "noop",
        ];

        const refused = await cli({ PROMOTIONS_SERVER: base, PROMOTIONS_TOKEN: dev1 }, ...promote);
        assert.strictEqual(refused.code, 2, `${refused.stdout}\n${refused.stderr}`);
        assert.match(
            refused.stderr,
            /answered 403: .*user "dev1".*add a rule with action override-policy covering it/,
        );
        assert.match(refused.stderr, /preAction "noop" instead of "qa-checks" \(policy "qa-gate"\)/);
        assert.strictEqual(repo.tip(), tip, "nothing was pushed");
        const none = await cli({}, "releases", "--product", "web", "--json");
        assert.deepStrictEqual(JSON.parse(none.stdout), [], "no release was started");

        const done = await cli({ PROMOTIONS_SERVER: base, PROMOTIONS_TOKEN: keeper }, ...promote, "--json");
        assert.strictEqual(done.code, 0, `${done.stdout}\n${done.stderr}`);
        const record = JSON.parse(done.stdout) as ReleaseRecord;
        assert.strictEqual(record.status, "Succeeded");
        const overrides = [{ field: "preAction", policy: "qa-checks", source: "qa-gate", chosen: "noop" }];
        assert.deepStrictEqual(record.policyOverrides, [{ environment: "qa", overrides }]);
        assert.deepStrictEqual(
            record.audit?.map(({ at: _at, ...e }) => e),
            [
                { action: "promote", user: "keeper", via: "token", environment: "qa" },
                { action: "override-policy", user: "keeper", via: "token", environment: "qa", overrides },
            ],
        );
        // The chosen gate ran in place of the policy's, and the state's record says the same.
        assert.strictEqual(fs.readFileSync(marker("noop"), "utf8").trim(), record.id);
        assert.ok(!fs.existsSync(marker("qa-checks")), "the policy's gate ran too");
        const stored = JSON.parse((await cli({}, "release", record.id, "--json")).stdout) as ReleaseRecord;
        assert.deepStrictEqual(stored.policyOverrides, record.policyOverrides);
        assert.match(
            (await cli({}, "release", record.id)).stdout,
            /policy overridden: qa preAction "noop" instead of "qa-checks" \(policy "qa-gate"\) by keeper/,
        );
        await stopServe();
    });

    it("--insecure-no-auth: a caller from the network is recorded by its address, not as loopback", async function () {
        const address = networkAddress();
        if (address === undefined) {
            this.skip(); // no network interface here: nothing but loopback can call
        }
        const listening = await startServe("--host", "0.0.0.0", "--insecure-no-auth");
        const base = `http://${address}:${new URL(listening).port}`;
        const me = (await (await fetch(`${base}/api/v1/me`)).json()) as Record<string, unknown>;
        assert.deepStrictEqual(me, { user: "anonymous", groups: [], via: "network", address });

        ship(repo, "3.0.0");
        const res = await fetch(`${base}/api/v1/releases`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ product: "web", from: "dev", to: "qa" }),
        });
        const started = (await res.json()) as ReleaseRecord;
        assert.strictEqual(res.status, 202, JSON.stringify(started));
        let record = started;
        for (let i = 0; record.status === "Queued" || record.status === "Running"; i++) {
            assert.ok(i < 240, "the release did not end within 2 minutes");
            await sleep(500);
            record = (await (await fetch(`${base}/api/v1/releases/${record.id}`)).json()) as ReleaseRecord;
        }
        assert.strictEqual(record.status, "Succeeded", record.error);
        assert.deepStrictEqual(record.initiator, { user: "anonymous", via: "network", address });
        assert.deepStrictEqual(
            record.audit?.map(({ at: _at, ...e }) => e),
            [{ action: "promote", user: "anonymous", via: "network", address, environment: "qa" }],
        );
        await stopServe();
    });
});
