import * as assert from "assert";
import { notificationFeatures } from "../../../cli/commands/serve";
import { secrets } from "../../../model/redact";
import { Health } from "../../../server/health";

describe("readiness", () => {
    const secret = "health-spec-secret-value-41";
    afterEach(() => secrets.forget(secret));

    it("ready only when every check passes; a failure keeps its reason, redacted; a hung check fails on its bound", async () => {
        secrets.add(secret);
        let runs = 0;
        const health = new Health({
            timeoutMs: 50,
            checks: [
                { name: "a", check: async () => (runs++, "fine") },
                {
                    name: "b",
                    check: async () => {
                        throw new Error(`cannot reach postgres://u:${secret}@db/x`);
                    },
                },
                { name: "c", check: () => new Promise<string>(() => undefined) },
            ],
            features: [{ name: "webhooks", on: false, detail: "off" }],
        });
        const [r, again] = await Promise.all([health.readiness(), health.readiness()]);
        assert.strictEqual(runs, 1, "concurrent probes share one round of checks");
        assert.strictEqual(r, again);
        assert.strictEqual(r.ready, false);
        assert.deepStrictEqual(r.checks, [
            { name: "a", ok: true, detail: "fine" },
            { name: "b", ok: false, detail: "cannot reach postgres://u:***@db/x" },
            { name: "c", ok: false, detail: "no answer within 0.05 s" },
        ]);
        await health.readiness();
        assert.strictEqual(runs, 2, "a later probe checks again");
    });

    it("a notification whose secretEnv is unset is listed off, by the variable's name", () => {
        const catalog = {
            promotionNotifications: [
                { name: "chat", url: "https://hooks.example.com/x", events: ["*"], secretEnv: "CHAT_SECRET" },
                { name: "audit", url: "https://audit.example.com/x", events: ["*"] },
            ],
        };
        assert.deepStrictEqual(notificationFeatures(catalog, {}), [
            { name: "notification chat", on: false, detail: "off: CHAT_SECRET (secretEnv) is not set" },
            { name: "notification audit", on: true, detail: "on" },
        ]);
        assert.strictEqual(notificationFeatures(catalog, { CHAT_SECRET: "s" })[0].on, true);
    });
});
