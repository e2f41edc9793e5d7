import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { loadManifests } from "../../../components/manifests";
import { resolvePolicy } from "../../../components/promotionPolicy.merge";
import type { EnvironmentDefinition } from "../../../components/environment";

const issuesOf = (window: Record<string, unknown>) =>
    buildCatalog({ promotionWindows: [{ name: "freeze", ...window } as never] }).issues.map(formatIssue);

describe("PromotionWindow validation", () => {
    const valid = {
        mode: "deny" as const,
        schedule: "0 18 * * 5",
        duration: "60h",
        environments: { kinds: ["production" as const] },
    };

    it("accepts a cron window and a start/end window, defaults timeZone UTC and onClosed wait", () => {
        const { catalog, issues } = buildCatalog({
            promotionWindows: [
                { name: "weekend", ...valid, timeZone: "Europe/Berlin" },
                {
                    name: "xmas",
                    mode: "deny" as const,
                    start: "2026-12-24T00:00:00+01:00",
                    end: "2026-12-27T00:00:00+01:00",
                    environments: { names: ["*"] },
                },
            ],
        });
        assert.deepStrictEqual(issues.map(formatIssue), []);
        assert.deepStrictEqual(
            catalog.promotionWindows?.map((w) => [w.name, w.timeZone, w.onClosed]),
            [
                ["weekend", "Europe/Berlin", "wait"],
                ["xmas", "UTC", "wait"],
            ],
        );
    });

    const table: { name: string; window: Record<string, unknown>; want: RegExp }[] = [
        {
            name: "invalid cron",
            window: { ...valid, schedule: "0 25 * * 5" },
            want: /schedule.*"0 25 \* \* 5" is not a valid cron expression.*give 5 fields/,
        },
        {
            name: "a cron of 6 fields",
            window: { ...valid, schedule: "0 0 18 * * 5" },
            want: /schedule.*has 6 field\(s\): give 5/,
        },
        {
            name: "unknown time zone",
            window: { ...valid, timeZone: "Mars/Olympus" },
            want: /timeZone.*"Mars\/Olympus" is not a known IANA time zone: use a name such as/,
        },
        {
            name: "a schedule without duration",
            window: { ...valid, duration: undefined },
            want: /duration.*a schedule needs a duration/,
        },
        {
            name: "neither schedule nor start/end",
            window: { mode: "deny", environments: { names: ["prod"] } },
            want: /start.*required: give schedule/,
        },
        {
            name: "start without an offset",
            window: {
                mode: "deny",
                start: "2026-12-24T00:00",
                end: "2026-12-25T00:00:00Z",
                environments: { names: ["prod"] },
            },
            want: /start.*not an ISO time with an offset/,
        },
        {
            name: "end before start",
            window: {
                mode: "deny",
                start: "2026-12-25T00:00:00Z",
                end: "2026-12-24T00:00:00Z",
                environments: { names: ["prod"] },
            },
            want: /end.*must be after start/,
        },
        {
            name: "no selectors at all",
            window: { ...valid, environments: undefined },
            want: /PromotionWindow "freeze".*environments.*would cover every environment of every product.*names: \["\*"\]/,
        },
        {
            name: "empty selectors",
            window: { ...valid, environments: { names: [] }, products: {} },
            want: /would cover every environment/,
        },
        { name: "an unknown mode", window: { ...valid, mode: "block" }, want: /mode/ },
    ];
    for (const c of table) {
        it(`refuses ${c.name}, naming the entity and field`, () => {
            const issues = issuesOf(c.window);
            assert.ok(
                issues.some((i) => c.want.test(i)),
                `expected an issue matching ${c.want}, got:\n${issues.join("\n")}`,
            );
        });
    }

    it("reads the YAML kind promotions/v1alpha1 PromotionWindow", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "windows-"));
        try {
            fs.writeFileSync(
                path.join(dir, "w.yaml"),
                [
                    "apiVersion: promotions/v1alpha1",
                    "kind: PromotionWindow",
                    "metadata: { name: weekend }",
                    "spec:",
                    "  mode: deny",
                    '  schedule: "0 18 * * 5"',
                    "  duration: 60h",
                    "  timeZone: Europe/Berlin",
                    "  environments: { kinds: [production] }",
                    "  onClosed: fail",
                ].join("\n"),
            );
            const { definitions, issues } = loadManifests(dir);
            assert.deepStrictEqual(issues, []);
            const built = buildCatalog(definitions);
            assert.deepStrictEqual(built.issues.map(formatIssue), []);
            assert.strictEqual(built.catalog.promotionWindows?.[0].onClosed, "fail");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("soakTime in policies", () => {
    const env = { name: "prod", kind: "production", clusters: [], tags: [] } as EnvironmentDefinition;
    const product = { name: "web", tags: [] };

    it("is merged field by field: the flow step's value wins, else the first policy that sets it", () => {
        const policies = [
            { name: "slow", priority: 10, selector: {}, policy: { soakTime: "2h" } },
            { name: "pr", priority: 5, selector: {}, policy: { action: "pr" as const } },
        ];
        const fromPolicy = resolvePolicy(policies, { product, environment: env });
        assert.strictEqual(fromPolicy.soakTime, "2h");
        assert.deepStrictEqual(fromPolicy.sources.soakTime, { policy: "slow" });
        const inline = resolvePolicy(policies, { product, environment: env }, { soakTime: "30m" });
        assert.strictEqual(inline.soakTime, "30m");
        assert.deepStrictEqual(inline.sources.soakTime, { inline: true });
        assert.strictEqual(resolvePolicy([], { product, environment: env }).soakTime, undefined);
    });

    it("refuses a soakTime that is not a duration", () => {
        const { issues } = buildCatalog({
            promotionPolicies: [{ name: "p", priority: 1, policy: { soakTime: "soon" } }],
        });
        assert.ok(
            issues.map(formatIssue).some((i) => /policy\.soakTime/.test(i)),
            issues.map(formatIssue).join("\n"),
        );
    });

    it("refuses soak times that add up to the flow's promotionTimeoutLimit, naming both", () => {
        const defs = (limit: string) => ({
            environments: [{ name: "dev" }, { name: "qa" }, { name: "prod" }],
            products: [{ name: "web", promotionFlows: [{ name: "f" }] }],
            promotionFlows: [
                {
                    name: "f",
                    triggerEnvironment: "dev",
                    promotionTimeoutLimit: limit,
                    steps: [
                        { environment: "qa", dependsOn: ["dev"], policy: { soakTime: "30m" } },
                        { environment: "prod", dependsOn: ["qa"], policy: { soakTime: "40m" } },
                    ],
                },
            ],
        });
        const soakIssues = (limit: string) =>
            buildCatalog(defs(limit))
                .issues.map(formatIssue)
                .filter((i) => /soak/.test(i));
        assert.deepStrictEqual(soakIssues("2h"), []);
        const found = soakIssues("1h");
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /PromotionFlow "f".*promotionTimeoutLimit.*"prod".*1h10m.*1h/);
    });
});
