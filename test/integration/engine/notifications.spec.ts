import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { redact } from "../../../model/redact";
import { CloudEventsReceiver } from "../../support/cloudEventsReceiver";
import { gitopsRepoFor } from "../../support/gitops";
import { scenarioDefinitions, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const secret = "notification-signing-secret-42";

describe("outbound notifications (real engine, local receivers)", function () {
    this.timeout(90_000);
    after(removeTempDirs);

    const receivers = {
        ok: new CloudEventsReceiver({ secret }),
        flaky: new CloudEventsReceiver({ secret, downFor: 3 }),
        down: new CloudEventsReceiver({ secret, alwaysDown: true }),
    };
    after(() => Promise.all(Object.values(receivers).map((r) => r.close())));

    it("posts started, the environments' events and succeeded, signed; retries a receiver that is down at first; one that is always down does not fail the release", async () => {
        const urls = {
            ok: await receivers.ok.start(),
            flaky: await receivers.flaky.start(),
            down: await receivers.down.start(),
        };
        const dir = tempDir("notify");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa", "prod"]);
        const defs = scenarioDefinitions({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
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
        const { catalog, issues } = buildCatalog({
            ...defs,
            promotionNotifications: [
                // The receivers listen on loopback: these notifications opt in to private networks.
                { name: "ok", url: urls.ok, secretEnv: "NOTIFY_SECRET", allowPrivateNetworks: true },
                {
                    name: "flaky",
                    url: urls.flaky,
                    events: ["promotions.release.*"],
                    secretEnv: "NOTIFY_SECRET",
                    allowPrivateNetworks: true,
                },
                {
                    name: "down",
                    url: urls.down,
                    events: ["promotions.release.*"],
                    products: { names: ["web"] },
                    secretEnv: "NOTIFY_SECRET",
                    allowPrivateNetworks: true,
                },
                // Another product's notification hears nothing of this one.
                {
                    name: "elsewhere",
                    url: urls.ok,
                    products: { tags: ["other-team"] },
                    allowPrivateNetworks: true,
                },
            ],
        });
        assert.deepStrictEqual(issues.map(formatIssue), []);
        const warnings: string[] = [];
        const engine = await testPromoteEngine(dir, catalog, {
            notifications: {
                env: { NOTIFY_SECRET: secret },
                warn: (line) => warnings.push(line),
                retry: { attempts: 4, startingDelayMs: 50, maxDelayMs: 200, timeoutMs: 5000 },
            },
        });
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "1.1.0"'));
        repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "1.1.0"'));

        const record = await engine.release({ product: "web", target: { flow: "seq" } });
        assert.strictEqual(record.status, "Succeeded", JSON.stringify(publicRecord(record), null, 2));
        assert.strictEqual(record.error, undefined);
        await engine.notificationsSettled();

        // Everything, in order, each a signed CloudEvent about this release.
        const got = receivers.ok.received;
        const types = got.map(
            (r) =>
                `${r.event.type}${"name" in (r.event.data as object) ? ` ${(r.event.data as { name: string }).name}` : ""}`,
        );
        assert.strictEqual(types[0], "promotions.release.started", types.join("\n"));
        assert.strictEqual(types.at(-1), "promotions.release.succeeded", types.join("\n"));
        for (const env of ["qa", "prod"]) {
            assert.ok(types.includes(`promotions.environment.succeeded ${env}`), types.join("\n"));
            assert.ok(
                types.indexOf(`promotions.environment.started ${env}`) <
                    types.indexOf(`promotions.environment.succeeded ${env}`),
                types.join("\n"),
            );
        }
        assert.ok(
            types.indexOf("promotions.environment.succeeded qa") <
                types.indexOf("promotions.environment.started prod"),
        );
        for (const r of got) {
            assert.ok(r.signatureValid, `bad signature on ${r.event.type}`);
            assert.strictEqual(r.contentType, "application/cloudevents+json");
            assert.strictEqual(r.event.specversion, "1.0");
            assert.strictEqual(r.event.subject, record.id);
            assert.strictEqual(r.event.source, "/promotions/products/web");
            assert.ok(!JSON.stringify(r.event).includes(secret));
        }
        assert.strictEqual(new Set(got.map((r) => r.event.id)).size, got.length, "one id per event");
        const final = got.at(-1)!.event.data as { status: string; version: string; environments: unknown[] };
        assert.deepStrictEqual([final.status, final.version], ["Succeeded", "1.1.0"]);

        // Down for its first three connections: it still gets both, in order.
        assert.deepStrictEqual(receivers.flaky.types(), [
            "promotions.release.started",
            "promotions.release.succeeded",
        ]);
        assert.ok(receivers.flaky.received.every((r) => r.signatureValid));

        // Always down: the first event tried 4 times, the next once (the receiver is known down), one warning
        // each, naming no path and no secret.
        assert.strictEqual(receivers.down.requests, 5);
        assert.strictEqual(warnings.length, 2, warnings.join("\n"));
        for (const w of warnings) {
            assert.match(
                w,
                /PromotionNotification "down": promotions\.release\.\w+ of release r\S+ not delivered to http:\/\/127\.0\.0\.1:\d+\/… after [41] attempt\(s\): HTTP 503/,
            );
        }
        assert.strictEqual(redact(secret), "***", "the secret is known to the redactor");
    });
});
