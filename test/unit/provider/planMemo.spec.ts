import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PlanMemo, planKey, plansInMemory } from "../../../provider/planMemo";
import type { ApplicationPlan, ReleaseCandidate, RepositoryFiles } from "../../../provider/promotion";
import { planApplication, readCandidate } from "../../../provider/promotion";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** One commit's files, planned with or without a memo kept in `memoFile`. */
class Files implements RepositoryFiles {
    readonly url = "file:///fake/gitops.git";
    readonly planMemo?: () => PlanMemo;
    constructor(
        readonly files: Record<string, string | Buffer>,
        memoFile?: string,
    ) {
        if (memoFile) {
            this.planMemo = () => PlanMemo.at(memoFile);
        }
    }

    async readFile(_commit: string, file: string): Promise<Buffer | undefined> {
        const e = this.files[file];
        return e === undefined ? undefined : Buffer.from(e);
    }
    async readFiles(commit: string, files: readonly string[]): Promise<Map<string, Buffer>> {
        const out = new Map<string, Buffer>();
        for (const f of files) {
            const b = await this.readFile(commit, f);
            if (b) {
                out.set(f, b);
            }
        }
        return out;
    }
    async listFiles(): Promise<string[]> {
        return Object.keys(this.files);
    }
    async symlinks(): Promise<Set<string>> {
        return new Set();
    }
}

const source = [
    "image:\n  repository: ghcr.io/acme/web\n  tag: 2.0.0 # the candidate\n",
    "images:\n  - name: web\n    newTag: 2.0.0\n  - name: worker\n    newTag: 9.9.9\n",
    "resources: { limits: { cpu: 500m } }\nfeatures: [a, b]\n",
].join("---\n");

/** Targets of every kind of edit: a scalar, a filter, a key added, a flow mapping, non-ASCII bytes, none. */
const targets: Record<string, string | Buffer> = {
    "apps/a/values.yaml":
        "# the web app\nimage:\n  repository: ghcr.io/acme/web\n  tag: 1.0.0 # the candidate\nreplicas: 2\n",
    "apps/b/values.yaml": "images:\n  - name: worker\n    newTag: 1.1.1\n  - name: web\n    newTag: 1.0.0\n",
    "apps/c/values.yaml": "image:\n  repository: ghcr.io/acme/web\n",
    "apps/d/values.yaml": "resources: { limits: { cpu: 250m } }\nfeatures: [a]\n",
    "apps/e/values.yaml": Buffer.from("# caf\xe9 (Latin-1)\nimage: { tag: '1.0.0' }\n", "latin1"),
    "apps/f/values.yaml":
        "image:\n  repository: ghcr.io/acme/web\n  tag: 2.0.0\nresources: { limits: { cpu: 500m } }\nfeatures: [a, b]\n",
    "apps/g/values.yaml": "images:\n  - name: db\n    newTag: 1.0.0\n",
};

const template = {
    promotion: {
        "values.yaml": {
            jsonPaths: [
                "$.image.tag",
                "$.images[?(@.name == 'web')].newTag",
                "$.resources.limits.cpu",
                "$.features",
            ],
        },
    },
};

async function candidate(): Promise<ReleaseCandidate> {
    const repo = new Files({ "apps/src/values.yaml": source.split("---\n").join("") });
    return readCandidate(repo, "c1", { application: "src", path: "apps/src" }, template);
}

const apps = Object.keys(targets).map((f) => ({ name: f.split("/")[1], path: path.posix.dirname(f) }));

async function planAll(repo: Files, c: ReleaseCandidate): Promise<ApplicationPlan[]> {
    return Promise.all(apps.map((a) => planApplication(repo, "c1", a, c)));
}

/** A plan as plain data (its file contents as text), for comparing. */
const plain = (p: ApplicationPlan) => ({
    ...p,
    files: [...p.files].map(([f, b]) => [f, b.toString("latin1")]),
});

describe("planMemo: what planning found, kept between commands", () => {
    after(removeTempDirs);

    it("a plan read from the memo is the plan made without one, for every kind of edit", async () => {
        const c = await candidate();
        const memoFile = path.join(tempDir("memo"), "plans");
        const made = (await planAll(new Files(targets), c)).map(plain);
        assert.ok(made.some((p) => p.files.length > 0) && made.some((p) => p.files.length === 0));
        assert.ok(
            made.some((p) => p.missing.length > 0),
            "a filter selecting nothing is reported",
        );
        const first = (await planAll(new Files(targets, memoFile), c)).map(plain);
        PlanMemo.at(memoFile).flush();
        // The same file by another name is another instance in this process: it reads what was written.
        const reread = `${path.dirname(memoFile)}/./${path.basename(memoFile)}`;
        const second = (await planAll(new Files(targets, reread), c)).map(plain);
        assert.deepStrictEqual(first, made);
        assert.deepStrictEqual(second, made);
    });

    it("is found by the file's bytes, its path and the values written; nothing else", async () => {
        const c = await candidate();
        const memoFile = path.join(tempDir("memo"), "plans");
        const target = "apps/a/values.yaml";
        const bytes = Buffer.from(targets[target]);
        const entries = c.files[0].entries!;
        // A planted entry under the key of these exact inputs is what planning returns: the memo is used.
        PlanMemo.at(memoFile).set(planKey(target, entries, bytes), {
            changes: [{ path: "$.planted", from: 1, to: 2 }],
            missing: [],
        });
        const app = { name: "a", path: "apps/a" };
        const planted = await planApplication(new Files({ [target]: bytes }, memoFile), "c1", app, c);
        assert.deepStrictEqual(planted.changes, [{ file: "values.yaml", path: "$.planted", from: 1, to: 2 }]);
        // One byte more, or another path: another key, so the file is planned (as it is without a memo).
        const edited = Buffer.concat([bytes, Buffer.from("# edited\n")]);
        const planned = await planApplication(new Files({ [target]: edited }, memoFile), "c1", app, c);
        const unmemoized = await planApplication(new Files({ [target]: edited }), "c1", app, c);
        assert.deepStrictEqual(plain(planned), plain(unmemoized));
        assert.ok(planned.changes.some((ch) => ch.path === "$.image.tag"));
        const moved = { name: "a2", path: "apps/a2" };
        const elsewhere = await planApplication(
            new Files({ "apps/a2/values.yaml": bytes }, memoFile),
            "c1",
            moved,
            c,
        );
        assert.ok(elsewhere.changes.some((ch) => ch.path === "$.image.tag"));
        assert.notStrictEqual(planKey(target, entries, bytes), planKey(target, entries.slice(1), bytes));
    });

    it("a file that cannot be planned is not kept, and fails the same way every time", async () => {
        const c = await candidate();
        const memoFile = path.join(tempDir("memo"), "plans");
        const repo = new Files({ "apps/x/values.yaml": "image: [unclosed\n" }, memoFile);
        for (let i = 0; i < 2; i++) {
            await assert.rejects(
                planApplication(repo, "c1", { name: "x", path: "apps/x" }, c),
                /not valid YAML/,
            );
        }
        PlanMemo.at(memoFile).flush();
        assert.ok(!fs.existsSync(memoFile), "nothing was written");
    });

    it("is read by another process; a file cut short or of another format is planned again, then replaced", async () => {
        const c = await candidate();
        const dir = tempDir("memo");
        const memoFile = path.join(dir, "plans");
        await planAll(new Files(targets, memoFile), c);
        PlanMemo.at(memoFile).flush();
        const keys = apps.map((a) => {
            const file = `${a.path}/values.yaml`;
            return planKey(file, c.files[0].entries!, Buffer.from(targets[file]));
        });
        /** How many of the keys another process finds in the file. */
        const foundElsewhere = () =>
            Number(
                execFileSync(
                    process.execPath,
                    [
                        "-e",
                        `const { PlanMemo } = require(${JSON.stringify(require.resolve("../../../provider/planMemo"))});` +
                            `const memo = PlanMemo.at(process.argv[1]);` +
                            `console.log(JSON.parse(process.argv[2]).filter((k) => memo.get(k)).length);`,
                        memoFile,
                        JSON.stringify(keys),
                    ],
                    { encoding: "utf8" },
                ).trim(),
            );
        assert.strictEqual(foundElsewhere(), apps.length);
        const whole = fs.readFileSync(memoFile);
        fs.writeFileSync(memoFile, whole.subarray(0, whole.length - 3));
        assert.strictEqual(foundElsewhere(), 0, "the one record was cut short: nothing is trusted");
        fs.writeFileSync(memoFile, "not a memo\n");
        assert.strictEqual(foundElsewhere(), 0);
        // Another file, read anew, is replaced (with its header) by the next plans kept.
        const fresh = path.join(dir, "again");
        fs.writeFileSync(fresh, "not a memo\n");
        await planAll(new Files(targets, fresh), c);
        PlanMemo.at(fresh).flush();
        assert.ok(fs.readFileSync(fresh).subarray(0, 20).toString().startsWith("promotions-plan-memo"));
    });

    it("holds at most plansInMemory plans, the least recently used dropped first", () => {
        const memo = PlanMemo.at(path.join(tempDir("memo"), "plans"));
        const plan = { changes: [], missing: [] };
        memo.set("first", plan);
        memo.set("second", plan);
        for (let i = 0; i < plansInMemory - 2; i++) {
            memo.set(`k${i}`, plan);
        }
        assert.ok(memo.get("first"), "full, nothing dropped yet; and now the most recently used");
        memo.set("one more", plan);
        assert.strictEqual(memo.get("second"), undefined, "the least recently used was dropped");
        assert.ok(memo.get("first") && memo.get("one more") && memo.get("k0"));
        memo.flush();
    });
});
