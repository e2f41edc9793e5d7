import * as assert from "assert";
import * as dns from "node:dns/promises";
import * as os from "node:os";
import type { PromotionNotificationDefinition } from "../../../components/promotionNotification";
import type { CloudEvent, HttpSend, NotifierOptions } from "../../../engine/notifications/notifications";
import {
    cloudEvent,
    NotificationEvents,
    Notifier,
    signatureHeader,
    signBody,
    verifySignature,
} from "../../../engine/notifications/notifications";
import type { EnvironmentRecord, ReleaseRecord } from "../../../engine/record/releaseRecord";
import type { ProgressEvent } from "../../../engine/release/releaseRun";
import { nonPublicAddress } from "../../../model/networkAddress";
import { redact, secrets } from "../../../model/redact";
import type { EnvironmentStatus, ReleaseStatus } from "../../../model/status";
import { CloudEventsReceiver } from "../../support/cloudEventsReceiver";

const env = (
    name: string,
    status: EnvironmentStatus,
    more: Partial<EnvironmentRecord> = {},
): EnvironmentRecord => ({
    name,
    status,
    dependsOn: [],
    applications: [],
    ...more,
});

const release = (
    status: ReleaseStatus,
    environments: EnvironmentRecord[],
    more: Partial<ReleaseRecord> = {},
) =>
    ({
        id: "r1",
        product: "trioapp",
        flow: "f",
        status,
        createdAt: "2026-11-23T00:00:00Z",
        sourceApplication: "trioapp-dev",
        sourceCommit: "abc123",
        version: "1.2.0",
        environments,
        attempts: 1,
        ...more,
    }) as unknown as ReleaseRecord;

const r = (
    status: ReleaseStatus,
    environments: EnvironmentRecord[],
    more?: Partial<ReleaseRecord>,
): ProgressEvent => ({
    type: "release",
    release: release(status, environments, more),
});
const e = (environment: EnvironmentRecord): ProgressEvent => ({
    type: "environment",
    releaseId: "r1",
    environment,
});

describe("notifications: events from progress", () => {
    it("a release that succeeds: started, each environment once per status, succeeded", () => {
        const n = new NotificationEvents();
        const types = [
            r("Running", [env("qa", "Pending"), env("prod", "Pending")]),
            e(env("qa", "Running")),
            e(env("qa", "Running")),
            e(env("qa", "Succeeded")),
            e(env("prod", "Running")),
            e(env("prod", "Succeeded")),
            r("Succeeded", [env("qa", "Succeeded"), env("prod", "Succeeded")]),
        ].flatMap((p) =>
            n.events(p).map((x) => `${x.type} ${(x.data as { name?: string }).name ?? ""}`.trim()),
        );
        assert.deepStrictEqual(types, [
            "promotions.release.started",
            "promotions.environment.started qa",
            "promotions.environment.succeeded qa",
            "promotions.environment.started prod",
            "promotions.environment.succeeded prod",
            "promotions.release.succeeded",
        ]);
    });

    it("held environments are skipped at once; a step hook's failure seen only on the final record is reported; suspend and resume is no new start", () => {
        const n = new NotificationEvents();
        const types = [
            r("Running", [env("qa", "Pending"), env("prod", "Skipped", { reason: "held" })]),
            e(env("qa", "Running")),
            e(env("qa", "Suspended", { waitKind: "soak" })),
            r("Suspended", [env("qa", "Suspended"), env("prod", "Skipped")]),
            e(env("qa", "Running")),
            r("Running", [env("qa", "Running"), env("prod", "Skipped")]),
            e(env("qa", "Succeeded")),
            r("Failed", [env("qa", "Failed", { error: "onSuccess failed" }), env("prod", "Skipped")]),
            // A retry is a new attempt: started again.
            r("Running", [env("qa", "Pending"), env("prod", "Skipped")], { attempts: 2 }),
        ].flatMap((p) => n.events(p).map((x) => x.type));
        assert.deepStrictEqual(types, [
            "promotions.release.started",
            "promotions.environment.skipped",
            "promotions.environment.started",
            "promotions.environment.suspended",
            "promotions.release.suspended",
            "promotions.environment.succeeded",
            "promotions.environment.failed",
            "promotions.release.failed",
            "promotions.release.started",
            "promotions.environment.skipped",
        ]);
    });

    it("a CloudEvent carries the release id as subject and redacted data", () => {
        secrets.add("hunter2-secret-value");
        try {
            const ce = cloudEvent(
                {
                    type: "promotions.release.failed",
                    release: "r1",
                    product: "trio app",
                    data: { error: "token hunter2-secret-value refused" },
                },
                new Date("2026-11-23T10:00:00Z"),
                "id-1",
            );
            assert.deepStrictEqual(ce, {
                specversion: "1.0",
                id: "id-1",
                source: "/promotions/products/trio%20app",
                type: "promotions.release.failed",
                time: "2026-11-23T10:00:00.000Z",
                subject: "r1",
                datacontenttype: "application/json",
                data: { error: "token *** refused" },
            });
        } finally {
            secrets.forget("hunter2-secret-value");
        }
    });
});

describe("notifications: signing", () => {
    it("signs as GitHub does (its documented example) and verifies in constant time", () => {
        const secret = "It's a Secret to Everybody";
        const sig = signBody(secret, "Hello, World!");
        assert.strictEqual(sig, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        assert.ok(verifySignature(secret, "Hello, World!", sig));
        assert.ok(!verifySignature(secret, "Hello, World?", sig));
        assert.ok(!verifySignature("another secret", "Hello, World!", sig));
        assert.ok(!verifySignature(secret, "Hello, World!", undefined));
        assert.ok(!verifySignature(secret, "Hello, World!", "sha256=00"));
    });
});

interface Post {
    url: string;
    body: string;
    headers: Record<string, string>;
}

/** A client that answers from a script of statuses (a number) or network errors ("down"), then 204. */
function fakeSend(script: (number | "down")[]): { send: HttpSend; posts: Post[] } {
    const posts: Post[] = [];
    const send: HttpSend = async (url, init) => {
        posts.push({ url, body: init.body, headers: { ...init.headers } });
        const next = script.shift() ?? 204;
        if (next === "down") {
            throw Object.assign(new Error("connect ECONNREFUSED 203.0.113.1:443"), { code: "ECONNREFUSED" });
        }
        return { status: next };
    };
    return { send, posts };
}

const chat: PromotionNotificationDefinition = {
    name: "chat",
    url: "https://hooks.example.com/T000/secret-path",
    events: ["promotions.release.*"],
    secretEnv: "CHAT_SECRET",
};
const secret = "notify-signing-secret-1234";

function notifier(
    send: HttpSend | undefined,
    more: Partial<NotifierOptions> = {},
): { notifier: Notifier; warnings: string[] } {
    const warnings: string[] = [];
    const n = new Notifier({
        notifications: [chat],
        products: [{ name: "trioapp", tags: [] }],
        secretOf: (name) => (name === "CHAT_SECRET" ? secret : undefined),
        warn: (line) => warnings.push(line),
        retry: { attempts: 4, startingDelayMs: 1, maxDelayMs: 2, timeoutMs: 1000 },
        ...(send ? { send } : {}),
        ...more,
    });
    return { notifier: n, warnings };
}

const run = [
    r("Running", [env("qa", "Pending")]),
    e(env("qa", "Running")),
    e(env("qa", "Succeeded")),
    r("Succeeded", [env("qa", "Succeeded")]),
];

describe("notifications: delivery", function () {
    // Real timers with tiny delays, and one real local HTTP server: generous on a loaded machine.
    this.timeout(20_000);
    afterEach(() => secrets.forget(secret));

    it("posts the wanted events in order, as signed CloudEvents, and registers the secret with the redactor", async () => {
        const { send, posts } = fakeSend([]);
        const { notifier: n, warnings } = notifier(send);
        run.forEach(n.progress);
        await n.idle();
        assert.deepStrictEqual(warnings, []);
        const events = posts.map((p) => JSON.parse(p.body) as CloudEvent);
        assert.deepStrictEqual(
            events.map((ce) => ce.type),
            ["promotions.release.started", "promotions.release.succeeded"],
        );
        for (const p of posts) {
            assert.strictEqual(p.url, chat.url);
            assert.strictEqual(p.headers["content-type"], "application/cloudevents+json");
            assert.ok(verifySignature(secret, p.body, p.headers[signatureHeader]));
        }
        assert.strictEqual(events[1].subject, "r1");
        assert.strictEqual((events[1].data as { status: string }).status, "Succeeded");
        assert.strictEqual(redact(`x ${secret} y`), "x *** y");
    });

    it("counts each event delivered or given up in the metrics sink it is given", async () => {
        const { send } = fakeSend(["down", "down", "down", "down"]);
        const counted: string[] = [];
        const { notifier: n } = notifier(send, { metrics: { notification: (r) => counted.push(r) } });
        run.forEach(n.progress);
        await n.idle();
        assert.deepStrictEqual(counted, ["failed", "delivered"]);
    });

    it("retries network errors and 5xx, then delivers", async () => {
        const { send, posts } = fakeSend(["down", 503, 429]);
        const { notifier: n, warnings } = notifier(send);
        n.progress(run[0]);
        await n.idle();
        assert.strictEqual(posts.length, 4);
        assert.deepStrictEqual(warnings, []);
        assert.strictEqual(
            new Set(posts.map((p) => JSON.parse(p.body).id)).size,
            1,
            "the same event each time",
        );
    });

    it("gives up after its attempts with one warning that shows no path of the URL, and goes on with the next event", async () => {
        const { send, posts } = fakeSend(["down", "down", "down", "down"]);
        const { notifier: n, warnings } = notifier(send);
        run.forEach(n.progress);
        await n.idle();
        assert.strictEqual(posts.length, 5);
        assert.strictEqual(warnings.length, 1, warnings.join("\n"));
        assert.match(
            warnings[0],
            /PromotionNotification "chat": promotions\.release\.started of release r1 not delivered to https:\/\/hooks\.example\.com\/… after 4 attempt\(s\): connect ECONNREFUSED/,
        );
        assert.ok(!warnings[0].includes("secret-path"));
        assert.strictEqual(JSON.parse(posts[4].body).type, "promotions.release.succeeded");
    });

    it("after giving up, tries later events once each until the receiver answers again", async () => {
        const { send, posts } = fakeSend(["down", "down", "down", "down", "down", 204]);
        const { notifier: n, warnings } = notifier(send);
        const second = { ...(run[0] as { release: ReleaseRecord }).release, id: "r2" };
        const third = { ...(run[0] as { release: ReleaseRecord }).release, id: "r3" };
        n.progress(run[0]);
        n.progress({ type: "release", release: second });
        n.progress({ type: "release", release: third });
        await n.idle();
        assert.deepStrictEqual(
            posts.map((p) => JSON.parse(p.body).subject),
            ["r1", "r1", "r1", "r1", "r2", "r3"],
        );
        assert.strictEqual(warnings.length, 2, warnings.join("\n"));
        assert.match(warnings[1], /release r2 not delivered .* after 1 attempt\(s\)/);
    });

    it("does not retry a 4xx refusal", async () => {
        const { send, posts } = fakeSend([400]);
        const { notifier: n, warnings } = notifier(send);
        n.progress(run[0]);
        await n.idle();
        assert.strictEqual(posts.length, 1);
        assert.match(warnings[0], /after 1 attempt\(s\): HTTP 400/);
    });

    it("drops events beyond its bounded queue with a warning", async () => {
        const { send, posts } = fakeSend([]);
        const { notifier: n, warnings } = notifier(send, { queueLimit: 1 });
        const releases = ["a", "b", "c"].map((id) => ({
            ...(run[0] as { release: ReleaseRecord }).release,
            id,
        }));
        releases.forEach((rel) => n.progress({ type: "release", release: rel }));
        await n.idle();
        // The first is taken off the queue at once; the second waits; the third finds the queue full.
        assert.deepStrictEqual(
            posts.map((p) => JSON.parse(p.body).subject),
            ["a", "b"],
        );
        assert.match(
            warnings.join("\n"),
            /1 events already wait .*promotions\.release\.started of release c dropped/,
        );
    });

    it("filters by product; without its secret a notification is not sent, with a warning naming the variable", async () => {
        const { send, posts } = fakeSend([]);
        const { notifier: n, warnings } = notifier(send, {
            notifications: [
                { ...chat, name: "other", secretEnv: undefined, products: { names: ["other"] } },
                { ...chat, name: "unset", secretEnv: "UNSET_SECRET" },
            ],
        });
        run.forEach(n.progress);
        await n.idle();
        assert.strictEqual(posts.length, 0);
        assert.deepStrictEqual(warnings, [
            'PromotionNotification "unset": environment variable UNSET_SECRET (secretEnv) is not set: its events are not sent; set it to the signing secret',
        ]);
    });

    it("delivers to a receiver that drops its first connections, with signatures it verifies", async () => {
        const receiver = new CloudEventsReceiver({ secret, downFor: 2 });
        const url = await receiver.start();
        try {
            const { notifier: n, warnings } = notifier(undefined, {
                notifications: [{ ...chat, url, allowPrivateNetworks: true }],
            });
            run.forEach(n.progress);
            await n.idle();
            assert.deepStrictEqual(warnings, []);
            assert.deepStrictEqual(receiver.types(), [
                "promotions.release.started",
                "promotions.release.succeeded",
            ]);
            assert.ok(receiver.received.every((x) => x.signatureValid));
            assert.ok(receiver.received.every((x) => x.contentType === "application/cloudevents+json"));
            assert.strictEqual(receiver.requests, 4);
        } finally {
            await receiver.close();
        }
    });
});

describe("notifications: where events may go", function () {
    this.timeout(20_000);
    afterEach(() => secrets.forget(secret));

    it("refuses a literal non-public address at delivery too (a catalog built without validation): nothing reaches the receiver", async () => {
        const receiver = new CloudEventsReceiver({ secret });
        const url = await receiver.start();
        try {
            const { notifier: n, warnings } = notifier(undefined, { notifications: [{ ...chat, url }] });
            run.forEach(n.progress);
            await n.idle();
            assert.strictEqual(receiver.requests, 0);
            assert.match(
                warnings[0],
                /PromotionNotification "chat": promotions\.release\.started of release r1 not delivered to http:\/\/127\.0\.0\.1:\d+\/… after 1 attempt\(s\): 127\.0\.0\.1 is not a public address \(loopback\): not sent; set allowPrivateNetworks: true/,
            );
        } finally {
            await receiver.close();
        }
    });

    it("refuses a name that resolves to a non-public address when connecting: nothing reaches the receiver", async () => {
        // This machine's name resolves (in /etc/hosts, as on most machines) to a loopback or private address;
        // the receiver listens on every address so that, unguarded, the POST would reach it.
        const name = os.hostname();
        const resolved = await dns.lookup(name, { all: true });
        assert.ok(
            resolved.length > 0 && resolved.every((a) => nonPublicAddress(a.address) !== undefined),
            `this test needs ${name} to resolve to non-public addresses only: ${JSON.stringify(resolved)}`,
        );
        const receiver = new CloudEventsReceiver({ secret, host: "0.0.0.0" });
        const port = new URL(await receiver.start()).port;
        try {
            const url = `http://${name}:${port}/hooks/promotions`;
            const { notifier: n, warnings } = notifier(undefined, { notifications: [{ ...chat, url }] });
            run.forEach(n.progress);
            await n.idle();
            assert.strictEqual(receiver.requests, 0);
            assert.match(
                warnings[0],
                new RegExp(
                    `not delivered to http://${name}:${port}/… after 1 attempt\\(s\\): ${name} resolves to \\S+, which is not a public address \\(\\S+\\): not connected; set allowPrivateNetworks: true`,
                ),
            );

            // With the opt-in, the same name is delivered to.
            const allowed = notifier(undefined, {
                notifications: [{ ...chat, url, allowPrivateNetworks: true }],
            });
            run.forEach(allowed.notifier.progress);
            await allowed.notifier.idle();
            assert.deepStrictEqual(allowed.warnings, []);
            assert.deepStrictEqual(receiver.types(), [
                "promotions.release.started",
                "promotions.release.succeeded",
            ]);
        } finally {
            await receiver.close();
        }
    });

    it("fails a redirect at once, naming its status and where it points (host only), and does not follow it", async () => {
        const target = new CloudEventsReceiver({ secret });
        const targetUrl = await target.start();
        const receiver = new CloudEventsReceiver({ secret, redirectTo: `${targetUrl}/secret-path` });
        const url = await receiver.start();
        try {
            const { notifier: n, warnings } = notifier(undefined, {
                notifications: [
                    { ...chat, url, events: ["promotions.release.started"], allowPrivateNetworks: true },
                ],
            });
            n.progress(run[0]);
            await n.idle();
            assert.strictEqual(receiver.requests, 1, "one attempt");
            assert.strictEqual(target.requests, 0, "not followed");
            assert.strictEqual(warnings.length, 1, warnings.join("\n"));
            assert.match(
                warnings[0],
                /not delivered to http:\/\/127\.0\.0\.1:\d+\/… after 1 attempt\(s\): HTTP 302 redirect to http:\/\/127\.0\.0\.1:\d+\/…: redirects are not followed; set url to where the receiver is$/,
            );
            assert.ok(!warnings[0].includes("secret-path"), warnings[0]);
        } finally {
            await Promise.all([receiver.close(), target.close()]);
        }
    });

    it("a receiver that does not answer in time: the warning says so", async () => {
        const receiver = new CloudEventsReceiver({ secret, hang: true });
        const url = await receiver.start();
        try {
            const { notifier: n, warnings } = notifier(undefined, {
                notifications: [
                    { ...chat, url, events: ["promotions.release.started"], allowPrivateNetworks: true },
                ],
                retry: { attempts: 2, startingDelayMs: 1, maxDelayMs: 2, timeoutMs: 100 },
            });
            n.progress(run[0]);
            await n.idle();
            assert.strictEqual(receiver.requests, 2);
            assert.match(warnings.join("\n"), /after 2 attempt\(s\): no answer within 100 ms$/);
        } finally {
            await receiver.close();
        }
    });

    it("settle: bounds the wait for a receiver that hangs, then stops and says what was not delivered", async () => {
        const receiver = new CloudEventsReceiver({ secret, hang: true });
        const url = await receiver.start();
        try {
            const { notifier: n, warnings } = notifier(undefined, {
                notifications: [{ ...chat, url, allowPrivateNetworks: true }],
                retry: { attempts: 6, startingDelayMs: 1, maxDelayMs: 2, timeoutMs: 600_000 },
            });
            run.forEach(n.progress);
            await receiver.waitForRequests(1);
            const undelivered = await n.settle(50);
            assert.deepStrictEqual(undelivered, [
                { notification: "chat", receiver: `${new URL(url).origin}/…`, events: 2 },
            ]);
            assert.deepStrictEqual(warnings, [], "one summary, no warning per event");
            // Stopped: later events are not sent.
            run.forEach(n.progress);
            await n.idle();
            assert.strictEqual(receiver.requests, 1);
        } finally {
            await receiver.close();
        }
    });
});
