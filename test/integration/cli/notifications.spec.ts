import * as assert from "assert";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { CloudEventsReceiver } from "../../support/cloudEventsReceiver";
import { runCli } from "../../support/cli";
import { cliScenario, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

function setup(name: string, notifications: Record<string, unknown>[]) {
    const dir = tempDir(name);
    const { repo, args, env, defs } = cliScenario(dir, {
        environments: [{ name: "dev" }, { name: "qa" }],
        flows: [
            {
                name: "seq",
                triggerEnvironment: "dev",
                steps: [{ environment: "qa", dependsOn: ["dev"] }],
            },
        ],
    });
    writeConfigModule(dir, { ...defs, promotionNotifications: notifications as never });
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
    return { repo, args, env };
}

describe("promote and its notifications (real CLI, local receivers)", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("a receiver on a loopback address is refused without allowPrivateNetworks: validate and trigger exit 2 naming the field and the fix, and nothing reaches it", async () => {
        const receiver = new CloudEventsReceiver();
        const url = await receiver.start();
        try {
            const { args, env } = setup("notify-refused", [{ name: "local", url }]);
            const want =
                /PromotionNotification "local": url: points at 127\.0\.0\.1, which is not a public address \(loopback\): .*set allowPrivateNetworks: true if it is on your network on purpose/;
            const validated = await runCli([...args, "validate"], { env });
            assert.strictEqual(validated.code, 2, validated.stdout + validated.stderr);
            assert.match(validated.stdout + validated.stderr, want);
            const triggered = await runCli([...args, "trigger", "--product", "web", "--flow", "seq"], {
                env,
            });
            assert.strictEqual(triggered.code, 2, triggered.stderr);
            assert.match(triggered.stderr, want);
            assert.strictEqual(receiver.requests, 0);
        } finally {
            await receiver.close();
        }
    });

    it("a receiver that hangs holds the exit for PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS at most, then one line says what was not delivered", async () => {
        const hang = new CloudEventsReceiver({ hang: true });
        const ok = new CloudEventsReceiver();
        const urls = { hang: await hang.start(), ok: await ok.start() };
        try {
            const { args, env } = setup("notify-hang", [
                // One event, sent as the release ends: it is in flight when the command is done.
                {
                    name: "hang",
                    url: urls.hang,
                    events: ["promotions.release.succeeded"],
                    allowPrivateNetworks: true,
                },
                { name: "ok", url: urls.ok, events: ["promotions.release.*"], allowPrivateNetworks: true },
            ]);
            const r = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
                env: { ...env, PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS: "1" },
            });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual((JSON.parse(r.stdout) as ReleaseRecord).status, "Succeeded");
            const port = new URL(urls.hang).port;
            const lines = r.stderr.split("\n").filter((l) => /notification/i.test(l));
            assert.deepStrictEqual(lines, [
                `warning: notifications not delivered within 1 s of the command's end (PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS): "hang" (http://127.0.0.1:${port}/…) 1 event`,
            ]);
            // Given up when the wait ended: not retried (a retry comes only after the POST's own 5 s timeout).
            assert.strictEqual(hang.requests, 1);
            // The receiver that answers got everything before the command ended.
            assert.deepStrictEqual(ok.types(), [
                "promotions.release.started",
                "promotions.release.succeeded",
            ]);
        } finally {
            await Promise.all([hang.close(), ok.close()]);
        }
    });
});
