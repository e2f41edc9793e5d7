import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCatalog } from "../../../components/catalog";
import { formatIssue } from "../../../components/issues";
import { loadManifests } from "../../../components/manifests";
import { permissionDefinitions } from "../../support/permissionRules";

/** The matrix's definitions with the given permission rules instead of its own. */
const issuesOf = (...rules: Record<string, unknown>[]) =>
    buildCatalog({ ...permissionDefinitions(), promotionPermissions: rules as never }).issues.map(
        formatIssue,
    );

describe("PromotionPermission validation", () => {
    it("accepts the matrix's rules and gives them to the catalog as permissions, sorted by name", () => {
        const { catalog, issues } = buildCatalog(permissionDefinitions());
        assert.deepStrictEqual(issues.map(formatIssue), []);
        assert.deepStrictEqual(
            catalog.permissions?.map((p) => [p.name, p.actions.join(",")]),
            [
                ["admins", "admin"],
                ["developers-non-production", "promote,trigger,retry"],
                ["release-managers", "promote,approve,rollback,hold,retry,terminate"],
            ],
        );
    });

    it("a catalog without rules has none", () => {
        const { catalog } = buildCatalog({ ...permissionDefinitions(), promotionPermissions: undefined });
        assert.deepStrictEqual(catalog.permissions, []);
    });

    const rule = { name: "r", subjects: [{ group: "developers" }], actions: ["promote"] };
    const table: { name: string; rule: Record<string, unknown>; want: RegExp[] }[] = [
        {
            name: "an unknown action, by name, with the list",
            rule: { ...rule, actions: ["promote", "deploy"] },
            want: [
                /PromotionPermission "r": actions\[1\]: unknown action "deploy": use one of view, promote, trigger, retry, resume, terminate, approve, rollback, hold, override-window, override-policy, admin/,
            ],
        },
        {
            name: "empty subjects",
            rule: { ...rule, subjects: [] },
            want: [/PromotionPermission "r": subjects: no subjects: list who the rule allows/],
        },
        {
            name: "missing subjects",
            rule: { name: "r", actions: ["view"] },
            want: [/PromotionPermission "r": subjects: required field is missing/],
        },
        {
            name: "empty actions",
            rule: { ...rule, actions: [] },
            want: [/actions: no actions: list what the rule allows/],
        },
        {
            name: "a subject with both user and group, and one with neither",
            rule: { ...rule, subjects: [{ user: "a", group: "b" }, {}] },
            want: [/subjects\[0\]: give either user: NAME or group: NAME/, /subjects\[1\]: give either user/],
        },
        {
            name: "an unknown subject field",
            rule: { ...rule, subjects: [{ team: "x" }] },
            want: [
                /subjects\[0\]: unknown field "team"/,
                /subjects\[0\]: give either user: NAME or group: NAME/,
            ],
        },
        {
            name: "unknown environment, product and flow names, each with its field and the fix",
            rule: {
                ...rule,
                environments: { names: ["qa", "prdo"] },
                products: { names: ["shopp"] },
                flows: { names: ["to-qa", "nightly"] },
            },
            want: [
                /PromotionPermission "r": environments\.names\[1\]: unknown environment "prdo": define it as an Environment, fix the name, or use "\*" for every environment/,
                /PromotionPermission "r": products\.names\[0\]: unknown product "shopp": define it as a Product/,
                /PromotionPermission "r": flows\.names\[1\]: unknown flow "nightly": define it as a PromotionFlow/,
            ],
        },
        {
            name: "an unknown environment kind",
            rule: { ...rule, environments: { kinds: ["prod"] } },
            want: [/environments\.kinds\[0\]/],
        },
        {
            name: "admin with a scope (admins are unrestricted)",
            rule: { ...rule, actions: ["admin"], products: { names: ["shop"] } },
            want: [/actions: admin allows every action everywhere.*remove them, or list the actions/],
        },
        {
            name: "an unknown scope field",
            rule: { ...rule, environments: { name: ["qa"] } },
            want: [/environments: unknown field "name"/],
        },
    ];
    for (const t of table) {
        it(`refuses ${t.name}`, () => {
            const issues = issuesOf(t.rule);
            assert.strictEqual(issues.length, t.want.length, issues.join("\n"));
            t.want.forEach((w, i) => assert.match(issues[i], w));
        });
    }

    it("accepts * for every environment, product and flow", () => {
        assert.deepStrictEqual(
            issuesOf({
                ...rule,
                environments: { names: ["*"] },
                products: { names: ["*"] },
                flows: { names: ["*"] },
            }),
            [],
        );
    });

    it("reads kind: PromotionPermission from YAML, with the file and line in its issues", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "permission-yaml-"));
        try {
            fs.writeFileSync(
                path.join(dir, "rules.yaml"),
                [
                    "apiVersion: promotions/v1alpha1",
                    "kind: Environment",
                    "metadata: { name: prod }",
                    "spec: { kind: production }",
                    "---",
                    "apiVersion: promotions/v1alpha1",
                    "kind: PromotionPermission",
                    "metadata: { name: release-managers }",
                    "spec:",
                    "  subjects: [{ group: release-managers }, { user: ann }]",
                    "  actions: [promote, approve]",
                    "  environments: { kinds: [production] }",
                    "---",
                    "apiVersion: promotions/v1alpha1",
                    "kind: PromotionPermission",
                    "metadata: { name: typo }",
                    "spec:",
                    "  subjects: [{ group: devs }]",
                    "  actions: [promot]",
                    "",
                ].join("\n"),
            );
            const { definitions, issues } = loadManifests(dir);
            assert.deepStrictEqual(issues, []);
            const built = buildCatalog(definitions);
            assert.deepStrictEqual(built.catalog.permissions?.[0], {
                name: "release-managers",
                subjects: [{ group: "release-managers" }, { user: "ann" }],
                actions: ["promote", "approve"],
                environments: { kinds: ["production"] },
            });
            assert.deepStrictEqual(built.issues.map(formatIssue).length, 1);
            assert.match(
                formatIssue(built.issues[0]),
                /rules\.yaml:14: PromotionPermission "typo": actions\[0\]: unknown action "promot"/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
