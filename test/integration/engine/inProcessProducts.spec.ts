import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import { buildCatalog } from "../../../components/catalog";
import { productsInOneRepository, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const products = ["web", "api", "worker"];

/**
 * One process (as `promote serve` is) running releases of several products at once: each release's update is
 * an inline Pulumi program of its own, with gates as resource hooks and records written meanwhile.
 */
describe("releases of several products at once in one process", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("each product's update registers its own resources and records; every commit lands once", async () => {
        const dir = tempDir("in-process");
        const { repo, defs: base } = productsInOneRepository(dir, products);
        const marks = path.join(dir, "marks");
        fs.writeFileSync(marks, "");
        const defs: Definitions = {
            ...base,
            // Every environment has a pre- and a post-action gate of a second: hooks of three updates overlap.
            promotionPolicies: [
                {
                    name: "gated",
                    priority: 1,
                    selector: {},
                    policy: { action: "commit", preAction: "gate", postAction: "gate" },
                },
            ],
            promotionWorkflows: [
                { kind: "local", name: "gate", command: `echo "$ENVIRONMENT" >> ${marks}; exec sleep 1` },
            ],
        };
        const { catalog, issues } = buildCatalog(defs);
        assert.deepStrictEqual(issues, []);
        for (const p of products) {
            repo.edit(`apps/${p}/dev/Chart.yaml`, (t) =>
                t.replace('appVersion: "1.0.0"', 'appVersion: "2.0.0"'),
            );
            repo.edit(`apps/${p}/dev/values.yaml`, (t) => t.replace('tag: "1.0.0"', 'tag: "2.0.0"'));
        }
        const engine = await testPromoteEngine(dir, catalog);
        const records = await Promise.all(
            products.map((product) => engine.release({ product, target: { flow: "seq" } })),
        );
        for (const [i, r] of records.entries()) {
            assert.strictEqual(r.product, products[i]);
            assert.strictEqual(r.status, "Succeeded", `${r.product}: ${r.error ?? ""}`);
            assert.deepStrictEqual(
                repo
                    .log()
                    .filter((c) => c.body.includes(`Promotion-Release: ${r.id}`))
                    .map((c) => c.subject)
                    .sort(),
                [`promote ${r.product} 2.0.0 to prod`, `promote ${r.product} 2.0.0 to qa`],
            );
            const listed = await engine.releases(r.product);
            assert.deepStrictEqual(
                listed.map((l) => [l.id, l.status]),
                [[r.id, "Succeeded"]],
            );
            assert.strictEqual(
                listed[0].environments
                    .flatMap((e) => e.applications)
                    .flatMap((a) => [a.preAction, a.postAction])
                    .filter((run) => run?.status === "Succeeded").length,
                4,
                `${r.product}: its own four gate runs are on its record`,
            );
        }
        // 3 products × 2 environments × 2 gates ran.
        assert.strictEqual(fs.readFileSync(marks, "utf8").split("\n").filter(Boolean).length, 12);
    });
});
