import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PolicyEvent } from "@pulumi/pulumi/automation";
import { resolvePolicy } from "../../../components/promotionPolicy.merge";
import type { EnvironmentDefinition } from "../../../components/environment";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import {
    blockViolating,
    packSets,
    policyViolations,
    withPolicyPacks,
} from "../../../engine/governance/policyPacks";
import { policySubject } from "../../../engine/record/policySubject";
import { plannedResources, resourceGroups } from "../../../engine/pulumi/promoteProgram";
import type {
    EnvironmentRecord,
    PlannedEnvironment,
    ReleasePlan,
} from "../../../engine/record/releaseRecord";
import { InvalidInputError } from "../../../model/errors";

const guardrails = path.join(packageRoot, "examples", "policy-packs", "promotion-guardrails");

const app = (env: string) => ({
    name: `web-${env}`,
    namespace: "web",
    repoURL: "file:///repo",
    targetRevision: "main",
    path: `apps/web/${env}`,
});
const env = (
    name: string,
    dependsOn: string[],
    extra: Partial<PlannedEnvironment> = {},
): PlannedEnvironment => ({
    name,
    dependsOn,
    action: "commit",
    applications: [app(name)],
    ...extra,
});
const plan = (environments: PlannedEnvironment[]): ReleasePlan => ({
    trigger: "dev",
    timeoutMs: 60_000,
    concurrency: "queue",
    environments,
});
const record = (e: PlannedEnvironment): EnvironmentRecord => ({
    name: e.name,
    status: "Pending",
    dependsOn: e.dependsOn,
    applications: [],
});
const candidate = {
    sourceApplication: "web-dev",
    sourceRepoURL: "file:///repo",
    sourcePath: "apps/web/dev",
    sourceCommit: "c0ffee",
    version: "2.0.0-rc.1",
    files: [
        {
            file: "values.yaml",
            entries: [
                { path: ["image", "repository"], value: "ghcr.io/acme/web" },
                { path: ["image", "tag"], value: "2.0.0-rc.1" },
            ],
        },
        { file: "raw.txt", content: Buffer.from("hello").toString("base64") },
    ],
};

describe("policy packs: what a pack sees", () => {
    it("gives each promotion its environment, kind, tags, product, version and every value written", () => {
        const prod = env("prod", ["qa"], { kind: "production", tags: ["eu"] });
        const subject = policySubject(
            { product: "web", flow: "seq", candidate },
            prod,
            resourceGroups(prod)[0],
        );
        assert.deepStrictEqual(subject, {
            product: "web",
            flow: "seq",
            environment: "prod",
            kind: "production",
            tags: ["eu"],
            version: "2.0.0-rc.1",
            sourceCommit: "c0ffee",
            applications: ["web-prod"],
            values: [
                { file: "values.yaml", path: "$.image.repository", value: "ghcr.io/acme/web" },
                { file: "values.yaml", path: "$.image.tag", value: "2.0.0-rc.1" },
                { file: "raw.txt", path: "$", value: "hello" },
            ],
        });
    });

    it("resolves and checks pack directories, adds --policy-pack packs, and the environment's kind and tags", () => {
        const envs = [env("qa", ["dev"]), env("prod", ["qa"], { policyPacks: ["promotion-guardrails"] })];
        const defs = [
            { name: "qa", kind: "non-production" as const, tags: [] },
            { name: "prod", kind: "production" as const, tags: ["eu"] },
        ];
        const base = path.dirname(guardrails);
        const resolved = withPolicyPacks(envs, defs, [], base);
        assert.strictEqual(resolved[0], envs[0], "an environment without packs is left as it is");
        assert.deepStrictEqual(
            [resolved[1].policyPacks, resolved[1].kind, resolved[1].tags],
            [[guardrails], "production", ["eu"]],
        );
        const both = withPolicyPacks(envs, defs, [guardrails], base);
        assert.deepStrictEqual(
            both.map((e) => e.policyPacks),
            [[guardrails], [guardrails]],
        );
        assert.deepStrictEqual(packSets(both), [{ packs: [guardrails], environments: ["qa", "prod"] }]);
        assert.deepStrictEqual(packSets(envs.slice(0, 1)), []);

        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pack-"));
        try {
            assert.throws(
                () => withPolicyPacks(envs, defs, [empty], base),
                (e: unknown) =>
                    e instanceof InvalidInputError &&
                    /has no PulumiPolicy\.yaml/.test(e.message) &&
                    /"qa"/.test(e.message),
            );
            assert.throws(
                () => withPolicyPacks(envs, defs, ["no-such-pack"], base),
                (e: unknown) =>
                    e instanceof InvalidInputError && /"no-such-pack" does not exist/.test(e.message),
            );
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("merges policyPacks like the other fields: the flow step wins, else the first policy that sets it", () => {
        const target = {
            product: { name: "web", tags: [] },
            environment: {
                name: "prod",
                kind: "production",
                clusters: [],
                tags: [],
            } as unknown as EnvironmentDefinition,
        };
        const policies = [
            { name: "b", priority: 2, selector: {}, policy: { policyPacks: ["b"] } },
            { name: "a", priority: 1, selector: {}, policy: { policyPacks: ["a"] } },
        ];
        const fromPolicy = resolvePolicy(policies, target);
        assert.deepStrictEqual(
            [fromPolicy.policyPacks, fromPolicy.sources.policyPacks],
            [["a"], { policy: "a" }],
        );
        const inline = resolvePolicy(policies, target, { policyPacks: ["step"] });
        assert.deepStrictEqual(
            [inline.policyPacks, inline.sources.policyPacks],
            [["step"], { inline: true }],
        );
    });
});

describe("policy packs: verdicts", () => {
    const envs = [env("qa", ["dev"]), env("prod", ["qa"]), env("dr", ["prod"]), env("perf", ["dev"])];
    const resources = plannedResources("web", plan(envs), false);
    const urn = (name: string) => resources.find((r) => r.group.environment === name)!.urn;
    const event = (
        environment: string,
        level: "mandatory" | "warning",
        policy: string,
        detail: string,
    ): PolicyEvent => ({
        resourceUrn: urn(environment),
        message: `The description of ${policy}.\n${detail}\n`,
        color: "never",
        policyName: policy,
        policyPackName: "promotion-guardrails",
        policyPackVersion: "0.1.0",
        policyPackVersionTag: "0.1.0",
        enforcementLevel: level,
    });

    it("reads the engine's policy events as violations of the environments they name", () => {
        const events = [
            event("prod", "mandatory", "no-prerelease", "version 2.0.0-rc.1 is a pre-release"),
            event("prod", "mandatory", "no-prerelease", "version 2.0.0-rc.1 is a pre-release"),
            event("qa", "warning", "digest", "image x:1 is not pinned by digest"),
            { ...event("qa", "warning", "digest", "stack-wide"), resourceUrn: undefined },
        ];
        assert.deepStrictEqual(policyViolations(events, resources, ["qa", "prod"]), [
            {
                environment: "prod",
                pack: "promotion-guardrails",
                policy: "no-prerelease",
                level: "mandatory",
                message: "version 2.0.0-rc.1 is a pre-release",
            },
            {
                environment: "qa",
                pack: "promotion-guardrails",
                policy: "digest",
                level: "advisory",
                message: "image x:1 is not pinned by digest",
            },
        ]);
        assert.deepStrictEqual(
            policyViolations(events, resources, ["qa"]).map((v) => v.environment),
            ["qa"],
        );
    });

    it("fails the violating environment, skips what follows it, and leaves independent ones in the update", () => {
        const violations = policyViolations(
            [
                event("prod", "mandatory", "no-prerelease", "version 2.0.0-rc.1 is a pre-release"),
                event("perf", "warning", "digest", "not pinned"),
            ],
            resources,
            ["qa", "prod", "dr", "perf"],
        );
        const out = blockViolating(plan(envs), envs.map(record), violations);
        assert.deepStrictEqual(
            out.plan.environments.map((e) => e.name),
            ["qa", "perf"],
        );
        assert.deepStrictEqual(
            (out.plan.untargeted ?? []).map((e) => e.name),
            ["prod", "dr"],
        );
        const by = (n: string) => out.environments.find((e) => e.name === n)!;
        assert.strictEqual(by("qa").status, "Pending");
        assert.strictEqual(by("perf").status, "Pending", "an advisory violation blocks nothing");
        assert.deepStrictEqual([by("prod").status, by("prod").reason], ["Failed", "policy"]);
        assert.strictEqual(
            by("prod").error,
            "policy no-prerelease (pack promotion-guardrails): version 2.0.0-rc.1 is a pre-release",
        );
        assert.deepStrictEqual([by("dr").status, by("dr").reason], ["Skipped", "upstream policy"]);
        assert.match(by("dr").error ?? "", /prod failed a policy/);

        const none = blockViolating(
            plan(envs),
            envs.map(record),
            violations.filter((v) => v.level !== "mandatory"),
        );
        assert.deepStrictEqual(none.plan, plan(envs));
    });
});

describe("the example pack's rules (examples/policy-packs/promotion-guardrails)", () => {
    const rules = require(path.join(guardrails, "rules.js")) as {
        images(s: object): { where: string; ref: string }[];
        noPreReleaseInProduction(s: object): string[];
        allowedRegistries(s: object, allowed: string[]): string[];
        pinnedByDigest(s: object): string[];
    };
    const subject = (kind: string, tag: string, extra: object[] = []) => ({
        environment: "prod",
        kind,
        version: tag,
        values: [
            { file: "values.yaml", path: "$.image.repository", value: "ghcr.io/acme/web" },
            { file: "values.yaml", path: "$.image.tag", value: tag },
            ...extra,
        ],
    });

    it("no -rc or -SNAPSHOT into production, anything into other environments", () => {
        assert.match(rules.noPreReleaseInProduction(subject("production", "2.0.0-rc.1"))[0], /2\.0\.0-rc\.1/);
        assert.match(rules.noPreReleaseInProduction(subject("production", "2.0.0-SNAPSHOT"))[0], /SNAPSHOT/);
        assert.deepStrictEqual(rules.noPreReleaseInProduction(subject("production", "2.0.0")), []);
        assert.deepStrictEqual(rules.noPreReleaseInProduction(subject("production", "2.0.0-rcx")), []);
        assert.deepStrictEqual(rules.noPreReleaseInProduction(subject("non-production", "2.0.0-rc.1")), []);
    });

    it("images only from the allowed registries; digests advised", () => {
        const s = subject("production", "2.0.0", [
            { file: "values.yaml", path: "$.sidecar", value: { image: "docker.io/library/nginx:1" } },
        ]);
        assert.deepStrictEqual(
            rules.images(s).map((i) => i.ref),
            ["ghcr.io/acme/web:2.0.0", "docker.io/library/nginx:1"],
        );
        const refused = rules.allowedRegistries(s, ["ghcr.io/acme"]);
        assert.strictEqual(refused.length, 1);
        assert.match(refused[0], /docker\.io\/library\/nginx:1 .*not an allowed registry \(ghcr\.io\/acme\)/);
        assert.deepStrictEqual(rules.allowedRegistries(s, ["ghcr.io/acme", "docker.io"]), []);
        assert.deepStrictEqual(rules.allowedRegistries(s, ["ghcr.io/ac"]).length, 2, "a prefix ends at a /");
        assert.strictEqual(rules.pinnedByDigest(s).length, 2);
        const pinned = subject("production", "2.0.0", [
            { file: "values.yaml", path: "$.image.digest", value: "sha256:abc" },
        ]);
        assert.deepStrictEqual(rules.pinnedByDigest(pinned), []);
    });
});
