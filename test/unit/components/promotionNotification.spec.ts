import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { loadManifests } from "../../../components/manifests";
import {
    eventFilterMatches,
    eventTypesOf,
    notificationCoversProduct,
    notificationWants,
} from "../../../components/notificationEvents";

const issuesOf = (notification: Record<string, unknown>, products: { name: string }[] = []) =>
    buildCatalog({
        products,
        promotionNotifications: [{ name: "chat", ...notification } as never],
    }).issues.map(formatIssue);

describe("PromotionNotification validation", () => {
    it("accepts a notification, defaults events to every event", () => {
        const { catalog, issues } = buildCatalog({
            products: [{ name: "trioapp" }],
            promotionNotifications: [
                {
                    name: "chat",
                    url: "https://hooks.example.com/promotions",
                    events: ["promotions.release.*", "promotions.environment.failed"],
                    products: { names: ["trioapp"] },
                    secretEnv: "CHAT_SECRET",
                },
                { name: "audit", url: "http://127.0.0.1:9000/", allowPrivateNetworks: true },
            ],
        });
        assert.deepStrictEqual(issues.map(formatIssue), []);
        assert.deepStrictEqual(
            catalog.promotionNotifications?.map((n) => [n.name, n.events]),
            [
                ["audit", ["promotions.*"]],
                ["chat", ["promotions.release.*", "promotions.environment.failed"]],
            ],
        );
    });

    const table: { name: string; notification: Record<string, unknown>; want: RegExp }[] = [
        {
            name: "an unknown event type, by name",
            notification: { url: "https://x.example", events: ["promotions.release.finished"] },
            want: /PromotionNotification "chat".*events\[0\].*unknown event type "promotions\.release\.finished": use one of promotions\.release\.started.*or a pattern with \*/,
        },
        {
            name: "a pattern matching nothing",
            notification: { url: "https://x.example", events: ["promotions.flow.*"] },
            want: /events\[0\].*unknown event type "promotions\.flow\.\*"/,
        },
        {
            name: "a URL that is not http(s)",
            notification: { url: "ftp://x.example/hook" },
            want: /url.*is not an http\(s\) URL: give the receiver's address/,
        },
        {
            name: "a URL with credentials",
            notification: { url: "https://user:pw@x.example/hook" },
            want: /url.*must not carry credentials: sign the events with secretEnv/,
        },
        {
            name: "an unknown field",
            notification: { url: "https://x.example", secret: "abc" },
            want: /unknown field "secret"/,
        },
    ];
    for (const c of table) {
        it(`refuses ${c.name}`, () => {
            const found = issuesOf(c.notification);
            assert.ok(
                found.some((i) => c.want.test(i)),
                `no issue matches ${c.want}:\n${found.join("\n")}`,
            );
        });
    }

    for (const url of [
        "http://127.0.0.1:9000/hooks",
        "http://localhost:9000/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hooks",
        "http://172.20.1.1/hooks",
        "http://192.168.0.10/hooks",
        "http://[::1]:9000/hooks",
        "http://[fe80::1]/hooks",
        "http://[fd00::1]/hooks",
        "http://0.0.0.0:9000/hooks",
        "http://2130706433/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
    ]) {
        it(`refuses a non-public address without allowPrivateNetworks, and accepts it with it: ${url}`, () => {
            const found = issuesOf({ url });
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.match(
                found[0],
                /^PromotionNotification "chat": url: points at \S+, which is not a public address \((loopback|link-local|private|unspecified)\): .*set allowPrivateNetworks: true if it is on your network on purpose$/,
            );
            assert.deepStrictEqual(issuesOf({ url, allowPrivateNetworks: true }), []);
        });
    }

    it("accepts public addresses and names without allowPrivateNetworks", () => {
        for (const url of ["https://hooks.example.com/p", "http://8.8.8.8/p", "http://172.32.0.1/p"]) {
            assert.deepStrictEqual(issuesOf({ url }), [], url);
        }
    });

    it("refuses a secret written where its variable's name belongs, without repeating it", () => {
        const found = issuesOf({ url: "https://x.example", secretEnv: "s3cr3t-v@lue!" });
        assert.ok(
            found.some((i) => /secretEnv.*give the NAME of the variable holding the signing secret/.test(i)),
            found.join("\n"),
        );
        assert.ok(!found.join("\n").includes("s3cr3t-v@lue!"), found.join("\n"));
    });

    it("refuses an unknown product, naming the known ones", () => {
        const found = issuesOf({ url: "https://x.example", products: { names: ["nope"] } }, [
            { name: "trioapp" },
        ]);
        assert.ok(
            found.some((i) => /products\.names.*unknown product "nope": one of trioapp, or "\*"/.test(i)),
            found.join("\n"),
        );
    });

    it("reads kind: PromotionNotification from YAML", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "notify-"));
        try {
            fs.writeFileSync(
                path.join(dir, "notify.yaml"),
                [
                    "apiVersion: promotions/v1alpha1",
                    "kind: PromotionNotification",
                    "metadata: { name: chat }",
                    "spec:",
                    "  url: https://hooks.example.com/promotions",
                    '  events: ["promotions.release.*"]',
                    "  secretEnv: CHAT_SECRET",
                    "---",
                    "apiVersion: promotions/v1alpha1",
                    "kind: PromotionNotification",
                    "metadata: { name: local }",
                    "spec:",
                    "  url: http://10.0.0.7:8080/promotions",
                    "  allowPrivateNetworks: true",
                ].join("\n"),
            );
            const { definitions, issues } = loadManifests(dir);
            assert.deepStrictEqual(issues, []);
            const { catalog, issues: more } = buildCatalog(definitions);
            assert.deepStrictEqual(more.map(formatIssue), []);
            assert.deepStrictEqual(catalog.promotionNotifications, [
                {
                    name: "chat",
                    url: "https://hooks.example.com/promotions",
                    events: ["promotions.release.*"],
                    secretEnv: "CHAT_SECRET",
                },
                {
                    name: "local",
                    url: "http://10.0.0.7:8080/promotions",
                    events: ["promotions.*"],
                    allowPrivateNetworks: true,
                },
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("PromotionNotification filters", () => {
    it("matches event types exactly or with * patterns", () => {
        assert.ok(eventFilterMatches("promotions.release.*", "promotions.release.failed"));
        assert.ok(!eventFilterMatches("promotions.release.*", "promotions.environment.failed"));
        assert.ok(eventFilterMatches("promotions.*.failed", "promotions.environment.failed"));
        assert.ok(eventFilterMatches("*", "promotions.environment.skipped"));
        assert.ok(!eventFilterMatches("promotions.release.failed", "promotions.release.failedx"));
        assert.ok(!eventFilterMatches("promotions.release.failed", "promotionsXrelease.failed"));
        assert.deepStrictEqual(eventTypesOf("promotions.*.suspended"), [
            "promotions.release.suspended",
            "promotions.environment.suspended",
        ]);
        assert.ok(
            notificationWants({ events: ["promotions.environment.*"] }, "promotions.environment.started"),
        );
        assert.ok(!notificationWants({ events: ["promotions.environment.*"] }, "promotions.release.started"));
    });

    it("selects products by name and tag", () => {
        const app = { name: "trioapp", tags: ["team-a"] };
        assert.ok(notificationCoversProduct({}, app));
        assert.ok(notificationCoversProduct({ products: { names: ["*"] } }, app));
        assert.ok(notificationCoversProduct({ products: { names: ["trioapp"] } }, app));
        assert.ok(!notificationCoversProduct({ products: { names: ["other"] } }, app));
        assert.ok(notificationCoversProduct({ products: { tags: ["team-b", "team-a"] } }, app));
        assert.ok(!notificationCoversProduct({ products: { tags: ["team-b"] } }, app));
        assert.ok(!notificationCoversProduct({ products: { names: ["trioapp"], tags: ["team-b"] } }, app));
    });
});
