import * as assert from "assert";
import { getEventListeners } from "events";
import * as http from "http";
import type { AddressInfo } from "net";
import { waitForHealthy } from "../../../../provider/health/argoCd";

/** An Argo CD that always answers "Progressing", counting the polls. */
async function progressingArgoCd(): Promise<{ url: string; polls: () => number; stop: () => Promise<void> }> {
    let polls = 0;
    const server = http.createServer((_req, res) => {
        polls++;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(
            JSON.stringify({
                status: { sync: { status: "OutOfSync", revision: "abc" }, health: { status: "Progressing" } },
            }),
        );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        polls: () => polls,
        stop: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

describe("waitForHealthy", () => {
    it("aborting ends the wait between polls at once, as Terminated", async () => {
        const argo = await progressingArgoCd();
        try {
            const controller = new AbortController();
            const wait = waitForHealthy({
                // An hour between polls and a day to wait: only the abort can end this within the test's timeout.
                config: { url: argo.url, pollIntervalMs: 3_600_000 },
                application: { name: "web-qa", namespace: "argocd" },
                commitSha: "0123456789abcdef",
                contains: async () => false,
                timeoutMs: 86_400_000,
                signal: controller.signal,
            });
            while (argo.polls() === 0) {
                await new Promise((r) => setImmediate(r));
            }
            controller.abort();
            const result = await wait;
            assert.strictEqual(result.status, "Terminated");
            assert.strictEqual(argo.polls(), 1);
            assert.strictEqual(getEventListeners(controller.signal, "abort").length, 0);
        } finally {
            await argo.stop();
        }
    });

    it("the sleeps between polls do not pile up abort listeners", async () => {
        const argo = await progressingArgoCd();
        try {
            const controller = new AbortController();
            const result = await waitForHealthy({
                config: { url: argo.url, pollIntervalMs: 1 },
                application: { name: "web-qa", namespace: "argocd" },
                commitSha: "0123456789abcdef",
                contains: async () => false,
                timeoutMs: 200,
                signal: controller.signal,
            });
            assert.strictEqual(result.status, "TimedOut");
            assert.ok(argo.polls() > 3, `polled ${argo.polls()} times`);
            assert.strictEqual(getEventListeners(controller.signal, "abort").length, 0);
        } finally {
            await argo.stop();
        }
    });
});
