import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkDefinitions, lookupDefinitions } from "../../../components/config";
import { formatIssue } from "../../../components/issues";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

/** A Slack incoming-webhook URL is itself the secret: it must never reach the cache readable. */
const webhookSecret = "XyZsecretPart0123456789";

const doc = (apiVersion: string, kind: string, name: string, body: string, meta = "") =>
    `---\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${meta}${body}`;

const application = (name: string, env: string | undefined, tag = "main") =>
    doc(
        "argoproj.io/v1alpha1",
        "Application",
        name,
        `spec:\n  source: { repoURL: "https://git.example/gitops.git", path: apps/${name}, targetRevision: ${tag} }\n` +
            "  destination: { server: https://nowhere.example, namespace: x }\n",
        `  annotations: { codefresh.io/product: web${env ? `, promotions/environment: ${env}` : ""} }\n`,
    );

/**
 * Definitions with something in every part of the result: a note (a commitMessage trigger without `*`), a warning
 * (an application in no environment), a skipped manifest (a ServiceAccount), a notification holding a secret.
 */
function writeDefinitions(dir: string): void {
    fs.mkdirSync(path.join(dir, "apps"), { recursive: true });
    fs.writeFileSync(
        path.join(dir, "promotions.yaml"),
        [
            doc("promotions/v1alpha1", "Environment", "dev", "spec: { kind: non-production }\n"),
            doc("promotions/v1alpha1", "Environment", "qa", "spec: { kind: non-production }\n"),
            doc(
                "codefresh.io/v1beta1",
                "Product",
                "web",
                "spec:\n  promotionFlows:\n    - name: seq\n      gitTriggerSelectors:\n" +
                    "        - { key: commitMessage, operator: In, values: [deploy] }\n" +
                    "  promotionTemplate:\n    promotion:\n      values.yaml: { jsonPaths: [$.image.tag] }\n",
            ),
            doc(
                "codefresh.io/v1beta1",
                "PromotionFlow",
                "seq",
                "spec:\n  triggerEnvironment: dev\n  steps:\n    - { environment: qa, dependsOn: [dev] }\n",
            ),
            doc(
                "promotions/v1alpha1",
                "PromotionNotification",
                "chat",
                `spec:\n  url: https://hooks.slack.com/services/T000/B000/${webhookSecret}\n`,
            ),
            doc("v1", "ServiceAccount", "runner", ""),
        ].join(""),
    );
    fs.writeFileSync(path.join(dir, "apps", "dev.yaml"), application("web-dev", "dev"));
    fs.writeFileSync(path.join(dir, "apps", "qa.yaml"), application("web-qa", "qa"));
    fs.writeFileSync(path.join(dir, "apps", "stray.yaml"), application("web-stray", undefined));
}

describe("the definitions cache", () => {
    let defs = "";
    let cache = "";
    beforeEach(() => {
        defs = tempDir("defs-cache");
        cache = path.join(tempDir("defs-cache-dir"), "definitions");
        writeDefinitions(defs);
    });
    after(removeTempDirs);

    const cached = () => lookupDefinitions(defs, {}, { dir: cache });

    it("gives on a hit exactly what a fresh parse gives: catalog, problems, warnings, notes, skipped", () => {
        const fresh = checkDefinitions(defs);
        assert.deepStrictEqual(fresh.issues.map(formatIssue), []);
        assert.ok(fresh.warnings.length > 0 && fresh.notes.length > 0 && fresh.skipped.length > 0, "fixture");
        const miss = cached();
        const hit = cached();
        assert.deepStrictEqual([miss.cached, hit.cached], [false, true]);
        assert.deepStrictEqual(miss.checked, fresh);
        assert.deepStrictEqual(hit.checked, fresh);
    });

    it("keeps invalid definitions' problems too, in the same order", () => {
        fs.appendFileSync(
            path.join(defs, "promotions.yaml"),
            doc("codefresh.io/v1beta1", "PromotionFlow", "bad", "spec:\n  steps: [{ environment: prod }]\n"),
        );
        const fresh = checkDefinitions(defs);
        assert.ok(fresh.issues.length > 0, "fixture has problems");
        cached();
        const hit = cached();
        assert.strictEqual(hit.cached, true);
        assert.deepStrictEqual(hit.checked.issues, fresh.issues);
        assert.deepStrictEqual(hit.checked, fresh);
    });

    it("sees a file changed with the same size and modification time", () => {
        const file = path.join(defs, "apps", "qa.yaml");
        const mtime = new Date("2026-01-02T03:04:05Z");
        fs.utimesSync(file, mtime, mtime);
        assert.strictEqual(cached().cached, false);
        assert.strictEqual(cached().cached, true);
        const before = fs.statSync(file);
        const text = fs.readFileSync(file, "utf8");
        const edited = text.replace("targetRevision: main", "targetRevision: mast");
        assert.notStrictEqual(edited, text);
        fs.writeFileSync(file, edited);
        fs.utimesSync(file, mtime, mtime);
        const after = fs.statSync(file);
        assert.deepStrictEqual([after.size, after.mtimeMs], [before.size, before.mtimeMs]);

        const seen = cached();
        assert.strictEqual(seen.cached, false);
        const qa = seen.checked.catalog.products[0].applications.find((a) => a.name === "web-qa");
        assert.strictEqual(qa?.targetRevision, "mast");
        assert.deepStrictEqual(seen.checked, checkDefinitions(defs));
        assert.strictEqual(cached().cached, true, "the new content is kept in turn");
    });

    it("sees a file added or renamed", () => {
        cached();
        fs.renameSync(path.join(defs, "apps", "stray.yaml"), path.join(defs, "apps", "stray2.yaml"));
        const renamed = cached();
        assert.strictEqual(renamed.cached, false);
        assert.deepStrictEqual(renamed.checked, checkDefinitions(defs));
        fs.writeFileSync(path.join(defs, "apps", "prod.yaml"), application("web-qa2", "qa"));
        const added = cached();
        assert.strictEqual(added.cached, false);
        assert.ok(added.checked.catalog.products[0].applications.some((a) => a.name === "web-qa2"));
    });

    it("ignores a corrupt or cut-short entry and writes it anew", () => {
        cached();
        const [entry] = fs.readdirSync(cache);
        const file = path.join(cache, entry);
        const good = fs.readFileSync(file);
        for (const damaged of [
            Buffer.from("not a cache entry"),
            good.subarray(0, good.length - 10),
            Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1] ^ 1])]),
            Buffer.alloc(0),
        ]) {
            fs.writeFileSync(file, damaged);
            const again = cached();
            assert.strictEqual(again.cached, false);
            assert.deepStrictEqual(again.checked, checkDefinitions(defs));
            assert.strictEqual(cached().cached, true, "rebuilt");
        }
    });

    it("holds nothing of the definitions readable (a webhook URL is a secret)", () => {
        const fresh = checkDefinitions(defs);
        assert.ok(JSON.stringify(fresh.catalog).includes(webhookSecret), "fixture: the catalog holds it");
        cached();
        assert.deepStrictEqual(filesContaining(cache, webhookSecret), []);
        assert.deepStrictEqual(filesContaining(cache, "web-stray"), []);
        const [entry] = fs.readdirSync(cache);
        assert.strictEqual(fs.statSync(path.join(cache, entry)).mode & 0o077, 0, "this user's alone");
    });

    it("loads a JS module every time (running it may give another answer)", () => {
        const module = path.join(tempDir("defs-module"), "defs.js");
        fs.writeFileSync(module, "module.exports = { environments: [{ name: 'dev' }] };\n");
        const load = () => lookupDefinitions(module, {}, { dir: cache });
        assert.deepStrictEqual([load().cached, load().cached], [false, false]);
        assert.deepStrictEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], []);
    });
});
