import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { TemplateBody } from "../../../components/promotionTemplate";
import { Repository } from "../../../provider/git/repository";
import type { ReleaseCandidate, RepositoryFiles } from "../../../provider/promotion";
import { planApplication, readCandidate } from "../../../provider/promotion";
import { gitSync } from "../../support/gitops";
import { removeTempDirs, tempDir } from "../../support/tmp";

type Entry = string | Buffer | { readonly link: string };

/** Files of one commit, some of them symbolic links (read as their target, as git does). */
class FakeRepository implements RepositoryFiles {
    readonly url = "file:///fake/gitops.git";
    constructor(private readonly files: Record<string, Entry>) {}

    private bytes(file: string): Buffer | undefined {
        const e = this.files[file];
        if (e === undefined) {
            return undefined;
        }
        return typeof e === "string" ? Buffer.from(e) : Buffer.isBuffer(e) ? e : Buffer.from(e.link);
    }
    async readFile(_commit: string, file: string): Promise<Buffer | undefined> {
        return this.bytes(file);
    }
    async readFiles(_commit: string, files: readonly string[]): Promise<Map<string, Buffer>> {
        const out = new Map<string, Buffer>();
        for (const f of files) {
            const b = this.bytes(f);
            if (b !== undefined) {
                out.set(f, b);
            }
        }
        return out;
    }
    async listFiles(_commit: string, dir: string): Promise<string[]> {
        return Object.keys(this.files).filter((f) => f.startsWith(`${dir}/`));
    }
    async symlinks(_commit: string, paths: readonly string[]): Promise<Set<string>> {
        return new Set(
            Object.entries(this.files)
                .filter(([, e]) => typeof e === "object" && !Buffer.isBuffer(e))
                .map(([f]) => f)
                .filter((f) => paths.some((p) => f === p || f.startsWith(`${p}/`))),
        );
    }
}

const kustomization = (argocd: string, order: "dev" | "qa") => {
    const images = [
        `  - name: quay.io/argoproj/argocd # the UI and API\n    newTag: ${argocd}\n`,
        "  - name: ghcr.io/dexidp/dex\n    newTag: v2.38.0\n",
        "  - name: redis\n    newTag: 7.0.15-alpine\n",
    ];
    return (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
        `namespace: argocd-${order}\nimages:\n` +
        (order === "dev" ? images : [images[2], images[1], images[0]]).join("")
    );
};

const argocdTag = "$.images[?(@.name == 'quay.io/argoproj/argocd')].newTag";
const kustomizeTemplate: TemplateBody = {
    versionSource: { file: "kustomization.yaml", jsonPath: argocdTag },
    promotion: { "kustomization.yaml": { jsonPaths: [argocdTag] } },
};
const dev = { application: "argocd-dev", path: "apps/dev" };
const qa = { name: "argocd-qa", path: "apps/qa" };

/** The candidate as a release record keeps it (JSON), so nothing depends on objects surviving in memory. */
async function candidateOf(repo: RepositoryFiles, template: TemplateBody): Promise<ReleaseCandidate> {
    return JSON.parse(JSON.stringify(await readCandidate(repo, "c1", dev, template))) as ReleaseCandidate;
}

async function refused(p: Promise<unknown>, ...patterns: RegExp[]): Promise<Error & { exitCode?: number }> {
    const e = await p.then(
        () => assert.fail("expected a refusal"),
        (err: unknown) => err as Error & { exitCode?: number },
    );
    assert.strictEqual(e.exitCode, 2, `${e.name}: ${e.message}`);
    for (const re of patterns) {
        assert.match(e.message, re);
    }
    return e;
}

describe("promotion: a Kustomize kustomization.yaml promoted by filter", () => {
    it("writes only that image's newTag, into the target's own element (another order)", async () => {
        const target = kustomization("v2.10.4", "qa");
        const repo = new FakeRepository({
            "apps/dev/kustomization.yaml": kustomization("v2.11.0", "dev"),
            "apps/qa/kustomization.yaml": target,
        });
        const candidate = await candidateOf(repo, kustomizeTemplate);
        assert.strictEqual(candidate.version, "v2.11.0");
        const plan = await planApplication(repo, "c1", qa, candidate);
        assert.deepStrictEqual(plan.changes, [
            { file: "kustomization.yaml", path: "$.images[2].newTag", from: "v2.10.4", to: "v2.11.0" },
        ]);
        assert.deepStrictEqual(plan.missing, []);
        const written = plan.files.get("apps/qa/kustomization.yaml")!.toString("utf8");
        assert.strictEqual(written, target.replace("newTag: v2.10.4", "newTag: v2.11.0"));
    });

    it("leaves a target that does not list the image alone and says so", async () => {
        const repo = new FakeRepository({
            "apps/dev/kustomization.yaml": kustomization("v2.11.0", "dev"),
            "apps/qa/kustomization.yaml": "images:\n  - name: redis\n    newTag: 7.0.15-alpine\n",
        });
        const plan = await planApplication(repo, "c1", qa, await candidateOf(repo, kustomizeTemplate));
        assert.deepStrictEqual(plan.changes, []);
        assert.deepStrictEqual(plan.missing, [
            "kustomization.yaml $.images[?(@.name == 'quay.io/argoproj/argocd')]",
        ]);
    });
});

describe("promotion: trust", () => {
    const helm: TemplateBody = {
        promotion: { "values.yaml": { jsonPaths: ["$.image.tag", "$.deps[2].version"] } },
    };

    it("keeps a line that is not UTF-8 (an ISO-8859-1 comment) byte-identical in the target", async () => {
        const latin1 = (s: string) => Buffer.from(s, "latin1");
        const target = latin1("# Einstellungen f\u00fcr die Qualit\u00e4tssicherung\nimage:\n  tag: 1.0.0\n");
        const repo = new FakeRepository({
            "apps/dev/values.yaml": "image:\n  tag: 1.1.0\n",
            "apps/qa/values.yaml": target,
        });
        const plan = await planApplication(
            repo,
            "c1",
            qa,
            await candidateOf(repo, { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } }),
        );
        const written = plan.files.get("apps/qa/values.yaml")!;
        assert.ok(
            written.equals(
                latin1("# Einstellungen f\u00fcr die Qualit\u00e4tssicherung\nimage:\n  tag: 1.1.0\n"),
            ),
        );
    });

    for (const file of ["../secret.yaml", "/etc/passwd", "a/../../secret.yaml"]) {
        it(`refuses the template file ${file}, which leaves the application's path`, async () => {
            const repo = new FakeRepository({
                "apps/secret.yaml": "password: x\n",
                "apps/dev/values.yaml": "a: 1\n",
            });
            await refused(
                readCandidate(repo, "c1", dev, { promotion: { [file]: { jsonPaths: ["$"] } } }),
                /^Application "argocd-dev": promotion file /,
                new RegExp(
                    `"${file.replace(/[.*/]/g, "\\$&")}" is outside the application's path "apps/dev"`,
                ),
                /name files relative to the application's directory/,
            );
        });
    }

    it("refuses a versionSource file outside the application, and a candidate file outside the target", async () => {
        const repo = new FakeRepository({
            "apps/dev/values.yaml": "a: 1\n",
            "apps/qa/values.yaml": "a: 2\n",
        });
        await refused(
            readCandidate(repo, "c1", dev, { versionSource: { file: "../../Chart.yaml", jsonPath: "$.v" } }),
            /Application "argocd-dev": versionSource file "\.\.\/\.\.\/Chart\.yaml" is outside/,
        );
        const stored: ReleaseCandidate = {
            sourceApplication: "argocd-dev",
            sourceRepoURL: repo.url,
            sourcePath: "apps/dev",
            sourceCommit: "c1",
            files: [{ file: "../dev/values.yaml", content: Buffer.from("a: 3\n").toString("base64") }],
        };
        await refused(
            planApplication(repo, "c1", qa, stored),
            /Application "argocd-qa": promoted file "\.\.\/dev\/values\.yaml" is outside the application's path "apps\/qa"/,
        );
    });

    it("refuses whole-file promotion of a symbolic link in the source, rather than copying it as a file", async () => {
        const repo = new FakeRepository({
            "apps/dev/values.yaml": "a: 1\n",
            "apps/dev/common.yaml": { link: "../common.yaml" },
        });
        await refused(
            readCandidate(repo, "c1", dev, {}),
            /Application "argocd-dev": apps\/dev\/common\.yaml is a symbolic link in the source; .*make it a regular file/,
        );
    });

    it("refuses to write over a symbolic link in the target (whole files and JSONPaths)", async () => {
        const repo = new FakeRepository({
            "apps/dev/values.yaml": "image:\n  tag: 1.1.0\n",
            "apps/qa/values.yaml": { link: "../shared/values.yaml" },
        });
        for (const template of [{}, helm]) {
            await refused(
                planApplication(repo, "c1", qa, await candidateOf(repo, template)),
                /Application "argocd-qa": apps\/qa\/values\.yaml is a symbolic link in the target; promotion does not follow or replace links/,
            );
        }
    });

    it("names the application, file, JSONPath and fix when a list index is missing in the target", async () => {
        const repo = new FakeRepository({
            "apps/dev/values.yaml":
                "image:\n  tag: 1.1.0\ndeps:\n  - {version: 1}\n  - {version: 2}\n  - {version: 3}\n",
            "apps/qa/values.yaml": "image:\n  tag: 1.0.0\ndeps:\n  - {version: 1}\n",
        });
        const e = await refused(
            planApplication(repo, "c1", qa, await candidateOf(repo, helm)),
            /^Application "argocd-qa": apps\/qa\/values\.yaml: cannot write \$\.deps\[2\]\.version: \$\.deps is a list of 1 item here, so index 2 is out of range/,
            /select the element with a filter/,
        );
        assert.doesNotMatch(e.message, /not a mapping/);
        assert.doesNotMatch(e.stack ?? "", /TypeError/);
    });

    it("says a UTF-16 file is UTF-16, in the source and in the target", async () => {
        const utf16 = Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            Buffer.from("image:\n  tag: 1.0.0\n", "utf16le"),
        ]);
        const template = { promotion: { "values.yaml": { jsonPaths: ["$.image.tag"] } } };
        await refused(
            readCandidate(new FakeRepository({ "apps/dev/values.yaml": utf16 }), "c1", dev, template),
            /Application "argocd-dev": apps\/dev\/values\.yaml: file apps\/dev\/values\.yaml is UTF-16; save it as UTF-8/,
        );
        const repo = new FakeRepository({
            "apps/dev/values.yaml": "image:\n  tag: 1.1.0\n",
            "apps/qa/values.yaml": utf16,
        });
        await refused(
            planApplication(repo, "c1", qa, await candidateOf(repo, template)),
            /Application "argocd-qa": apps\/qa\/values\.yaml: file apps\/qa\/values\.yaml is UTF-16; save it as UTF-8/,
        );
    });
});

describe("Repository.symlinks", () => {
    after(removeTempDirs);

    it("finds the symbolic links among files and under directories at a commit", async function () {
        this.timeout(20000);
        const dir = tempDir("symlinks");
        const work = path.join(dir, "work");
        gitSync(["init", "--quiet", "--initial-branch=main", work]);
        fs.mkdirSync(path.join(work, "apps", "qa"), { recursive: true });
        fs.writeFileSync(path.join(work, "apps", "values.yaml"), "a: 1\n");
        fs.writeFileSync(path.join(work, "apps", "qa", "Chart.yaml"), "name: x\n");
        fs.symlinkSync("../values.yaml", path.join(work, "apps", "qa", "values.yaml"));
        gitSync(["add", "-A"], work);
        gitSync(["commit", "--quiet", "-m", "init"], work);
        const repo = await Repository.open(`file://${work}`, path.join(dir, "cache"));
        await repo.fetch();
        const tip = (await repo.tip("main"))!;
        assert.deepStrictEqual([...(await repo.symlinks(tip, ["apps/qa"]))], ["apps/qa/values.yaml"]);
        assert.deepStrictEqual(
            [...(await repo.symlinks(tip, ["apps/qa/values.yaml", "apps/qa/Chart.yaml"]))],
            ["apps/qa/values.yaml"],
        );
        assert.deepStrictEqual([...(await repo.symlinks(tip, ["apps/values.yaml"]))], []);
        await refused(
            planApplication(repo, tip, qa, {
                files: [{ file: "values.yaml", entries: [{ path: ["a"], value: 2 }] }],
            }),
            /apps\/qa\/values\.yaml is a symbolic link in the target/,
        );
    });
});
