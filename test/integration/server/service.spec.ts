import * as assert from "assert";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import type { RunningCli } from "../../support/cli";
import { startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { gitopsRepoFor } from "../../support/gitops";
import { parsePrometheusText, valueOf } from "../../support/promText";
import { scenarioDefinitions, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ship(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
}

const webhookSecret = "service-spec-webhook-secret-6b1f";
const passphrase = "service-spec-state-passphrase-93ad";

/**
 * `promote serve` as a service (issue 27): `/healthz`, `/readyz` (ready, and not ready with the reason while the
 * process stays up), Prometheus `/api/v1/metrics` parsed strictly and moving as a release runs through the real
 * engine, Git and a local gate, and JSON log lines that carry the release's fields and never a secret.
 */
describe("promote serve: health, metrics and logs", function () {
    this.timeout(300_000);

    let dir: string;
    let repo: GitopsRepo;
    let config: string;
    let env: Record<string, string>;
    let serve: RunningCli | undefined;

    async function startServe(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
        serve = startCli([...args, "serve", "--port", "0"], { env: { ...env, ...extraEnv } });
        await serve.waitFor(/listening on http:\S+/, 60_000);
        return /listening on (http:\S+)/.exec(serve.output())![1].replace(/\/$/, "");
    }

    async function stopServe(): Promise<string> {
        serve?.child.kill("SIGTERM");
        const r = await serve?.done;
        serve?.killGroup();
        serve = undefined;
        return r?.stderr ?? "";
    }

    async function scrape(base: string) {
        const res = await fetch(`${base}/api/v1/metrics`);
        assert.strictEqual(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
        return parsePrometheusText(await res.text());
    }

    async function release(base: string, version: string): Promise<ReleaseRecord> {
        ship(repo, version);
        const res = await fetch(`${base}/api/v1/releases`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ product: "web", from: "dev", to: "qa" }),
        });
        let record = (await res.json()) as ReleaseRecord;
        assert.strictEqual(res.status, 202, JSON.stringify(record));
        for (let i = 0; record.status === "Queued" || record.status === "Running"; i++) {
            assert.ok(i < 240, "the release did not end within 2 minutes");
            await sleep(500);
            record = (await (await fetch(`${base}/api/v1/releases/${record.id}`)).json()) as ReleaseRecord;
        }
        return record;
    }

    before(() => {
        dir = tempDir("service");
        repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        const failing = path.join(dir, "fail-gate");
        const defs: Definitions = scenarioDefinitions({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }],
            // No flow: a push through the webhook starts nothing, so every release here is one the test started.
            flows: [],
            workflows: [
                {
                    name: "qa-checks",
                    kind: "local",
                    // Fails, printing the webhook secret, while the file exists: its error must reach no log line.
                    command: [
                        "/bin/sh",
                        "-c",
                        `if [ -e '${failing}' ]; then echo "leaked ${webhookSecret}"; exit 3; fi; echo checked`,
                    ],
                },
            ],
            policies: [
                {
                    name: "qa-gate",
                    priority: 10,
                    selector: { targetEnvironment: { names: ["qa"] } },
                    policy: { preAction: "qa-checks" },
                },
            ],
        });
        config = writeConfigModule(dir, defs);
        env = {
            PROMOTIONS_GIT_CACHE: path.join(dir, "git-cache"),
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PROMOTIONS_WEBHOOK_SECRET: webhookSecret,
        };
    });

    after(async () => {
        await stopServe();
        removeTempDirs();
    });

    it("/healthz and /readyz answer without credentials; /readyz names what is off and leaks no secret", async () => {
        const base = await startServe(["--config", config, "--state", `file://${path.join(dir, "state")}`]);
        fs.mkdirSync(path.join(dir, "state"), { recursive: true });
        const health = await fetch(`${base}/healthz`);
        assert.strictEqual(health.status, 200);
        assert.deepStrictEqual(await health.json(), { status: "ok" });

        const ready = await fetch(`${base}/readyz`);
        const text = await ready.text();
        assert.strictEqual(ready.status, 200, text);
        const body = JSON.parse(text) as {
            ready: boolean;
            checks: { name: string; ok: boolean }[];
            features: { name: string; on: boolean; detail: string }[];
        };
        assert.deepStrictEqual(
            body.checks.map((c) => [c.name, c.ok]),
            [
                ["state backend", true],
                ["definitions", true],
                ["engine", true],
            ],
        );
        assert.deepStrictEqual(
            body.features.map((f) => [f.name, f.on]),
            [
                ["webhooks", true],
                ["git host tokens", false],
                ["oidc", false],
                ["argocd", false],
            ],
        );
        assert.match(body.features[3].detail, /PROMOTIONS_ARGOCD_URL is not set/);
        assert.ok(!text.includes(webhookSecret) && !text.includes(passphrase), text);

        // The definitions go missing under a running server: not ready, saying why; the process stays up.
        const moved = `${config}.away`;
        fs.renameSync(config, moved);
        try {
            const gone = await fetch(`${base}/readyz`);
            const goneText = await gone.text();
            assert.strictEqual(gone.status, 503, goneText);
            const failed = (JSON.parse(goneText) as typeof body).checks.filter((c) => !c.ok);
            assert.deepStrictEqual(
                failed.map((c) => c.name),
                ["definitions"],
            );
            assert.match(goneText, /not ready/);
            assert.strictEqual((await fetch(`${base}/healthz`)).status, 200);
        } finally {
            fs.renameSync(moved, config);
        }
        assert.strictEqual((await fetch(`${base}/readyz`)).status, 200);
        await stopServe();
    });

    it("/readyz with an unreachable postgres:// state backend: 503 naming it, its password masked", async () => {
        const base = await startServe([
            "--config",
            config,
            "--state",
            "postgres://promoter:pg-pass-7f3e9a@127.0.0.1:1/promotions",
        ]);
        const res = await fetch(`${base}/readyz`);
        const text = await res.text();
        assert.strictEqual(res.status, 503, text);
        const body = JSON.parse(text) as {
            ready: boolean;
            checks: { name: string; ok: boolean; detail: string }[];
        };
        assert.strictEqual(body.ready, false);
        const state = body.checks.find((c) => c.name === "state backend")!;
        assert.strictEqual(state.ok, false);
        assert.match(state.detail, /postgres:\/\/promoter:\*\*\*@127\.0\.0\.1:1\/promotions: .*ECONNREFUSED/);
        assert.ok(!text.includes("pg-pass-7f3e9a"), text);
        assert.deepStrictEqual(
            body.checks.filter((c) => c.ok).map((c) => c.name),
            ["definitions", "engine"],
        );
        assert.strictEqual((await fetch(`${base}/healthz`)).status, 200, "the process stays up");
        await stopServe();
    });

    it("/api/v1/metrics parses strictly and moves as releases run; JSON log lines carry the fields, never a secret", async () => {
        const base = await startServe(["--config", config, "--state", `file://${path.join(dir, "state")}`]);
        const before = await scrape(base);
        for (const family of [
            "promotions_releases_total",
            "promotions_release_duration_seconds",
            "promotions_environment_duration_seconds",
            "promotions_releases_queued",
            "promotions_releases_waiting",
            "promotions_gate_runs_total",
            "promotions_gate_run_duration_seconds",
            "promotions_webhook_deliveries_total",
            "promotions_notification_deliveries_total",
            "promotions_git_push_retries_total",
            "promotions_git_push_conflicts_total",
        ]) {
            assert.ok(before.has(family), `no ${family} in the scrape`);
        }
        const succeeded = { product: "web", flow: "manual", status: "Succeeded" };
        const gate = { kind: "preAction", workflow: "qa-checks", result: "Succeeded" };
        const count = (f: typeof before, name: string, labels: Record<string, string>) =>
            valueOf(f, name, labels);

        const ok = await release(base, "2.0.0");
        assert.strictEqual(ok.status, "Succeeded", ok.error);
        // A signed push and a forged one, through the webhook.
        const payload = JSON.stringify({ ref: "refs/heads/main" });
        const signature = `sha256=${createHmac("sha256", webhookSecret).update(payload).digest("hex")}`;
        // The forged one's delivery id is the passphrase: the line that rejects it must not show it.
        for (const [sig, delivery] of [
            [signature, "d-1"],
            [`sha256=${"0".repeat(64)}`, passphrase],
        ]) {
            const res = await fetch(`${base}/webhooks/github`, {
                method: "POST",
                headers: {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": delivery,
                    "X-Hub-Signature-256": sig,
                },
                body: payload,
            });
            await res.arrayBuffer();
        }
        fs.writeFileSync(path.join(dir, "fail-gate"), "");
        const failed = await release(base, "3.0.0");
        assert.strictEqual(failed.status, "Failed");

        // The API reads the stored record, which can be Failed a moment before the engine's last event.
        let after = await scrape(base);
        const failedSoFar = () =>
            count(after, "promotions_releases_total", { ...succeeded, status: "Failed" }) -
            count(before, "promotions_releases_total", { ...succeeded, status: "Failed" });
        for (let i = 0; failedSoFar() === 0; i++) {
            assert.ok(i < 60, "the Failed release never reached the metrics");
            await sleep(500);
            after = await scrape(base);
        }
        assert.strictEqual(
            count(after, "promotions_releases_total", succeeded) -
                count(before, "promotions_releases_total", succeeded),
            1,
        );
        const failedLabels = { ...succeeded, status: "Failed" };
        assert.strictEqual(
            count(after, "promotions_releases_total", failedLabels) -
                count(before, "promotions_releases_total", failedLabels),
            1,
        );
        assert.strictEqual(
            count(after, "promotions_release_duration_seconds_count", succeeded) -
                count(before, "promotions_release_duration_seconds_count", succeeded),
            1,
        );
        const qa = { product: "web", environment: "qa", status: "Succeeded" };
        assert.strictEqual(
            count(after, "promotions_environment_duration_seconds_count", qa) -
                count(before, "promotions_environment_duration_seconds_count", qa),
            1,
        );
        assert.strictEqual(
            count(after, "promotions_gate_runs_total", gate) -
                count(before, "promotions_gate_runs_total", gate),
            1,
        );
        assert.strictEqual(
            count(after, "promotions_gate_run_duration_seconds_count", gate),
            count(after, "promotions_gate_runs_total", gate),
        );
        const gateFailed = { ...gate, result: "Failed" };
        assert.strictEqual(count(after, "promotions_gate_runs_total", gateFailed), 1);
        assert.strictEqual(count(after, "promotions_webhook_deliveries_total", { result: "accepted" }), 1);
        assert.strictEqual(
            count(after, "promotions_webhook_deliveries_total", { result: "bad_signature" }),
            1,
        );
        assert.strictEqual(count(after, "promotions_releases_waiting", {}), 0);
        // Bounded labels: no release id anywhere in the scrape.
        for (const f of after.values()) {
            for (const s of f.samples) {
                for (const v of Object.values(s.labels)) {
                    assert.ok(v !== ok.id && v !== failed.id, `${s.name} has the release id as a label`);
                }
            }
        }

        const stderr = await stopServe();
        const lines = stderr.split("\n").filter((l) => l.trim() !== "");
        const parsed = lines.map((l) => {
            try {
                return JSON.parse(l) as Record<string, unknown>;
            } catch {
                throw new Error(`a log line that is not JSON: ${l}`);
            }
        });
        for (const p of parsed) {
            assert.strictEqual(typeof p.time, "string");
            assert.strictEqual(typeof p.level, "string");
            assert.strictEqual(typeof p.msg, "string");
        }
        const about = (id: string, environment: string, status: string) =>
            parsed.find(
                (p) =>
                    p.release === id &&
                    p.product === "web" &&
                    p.environment === environment &&
                    p.status === status,
            );
        assert.ok(about(ok.id, "qa", "Succeeded"), `no line of ${ok.id} qa Succeeded in:\n${stderr}`);
        const failedLine = about(failed.id, "qa", "Failed");
        assert.ok(failedLine, `no line of ${failed.id} qa Failed in:\n${stderr}`);
        assert.strictEqual(failedLine.level, "warn");
        assert.ok(
            parsed.some(
                (p) =>
                    p.release === ok.id &&
                    p.product === "web" &&
                    p.flow === "manual" &&
                    p.status === "Succeeded",
            ),
        );
        assert.ok(!stderr.includes(webhookSecret), "the webhook secret reached a log line");
        assert.ok(!stderr.includes(passphrase), "the passphrase reached a log line");
        assert.ok(
            parsed.some(
                (p) => p.level === "warn" && /rejected webhook delivery \*\*\*: bad/.test(String(p.msg)),
            ),
            `no redacted line of the forged delivery in:\n${stderr}`,
        );
    });
});
