import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { GitError } from "../../../../provider/git/git";
import { ensureClone, readyMarker, Repository } from "../../../../provider/git/repository";
import { GitHttpServer } from "../../../support/gitHttpServer";
import { GitopsRepo, gitSync } from "../../../support/gitops";
import { removeTempDirs, tempDir } from "../../../support/tmp";

function leftovers(cache: string): string[] {
    return fs.readdirSync(cache).filter((n) => /\.(tmp|broken)-/.test(n));
}

describe("Repository", () => {
    after(removeTempDirs);

    describe("credentials", () => {
        let server: GitHttpServer | undefined;
        afterEach(async () => server?.stop());

        it("a later caller's token is used even when an earlier caller opened the clone without one", async () => {
            const dir = tempDir("repo-creds");
            const token = "ghp_REPOTOKEN0123456789SECRET";
            const origin = GitopsRepo.create(dir, "gitops", { "a.txt": "a\n" });
            server = await GitHttpServer.start(dir, token);
            const url = server.url("gitops.git");
            const cache = path.join(dir, "cache");

            const anonymous = await Repository.open(url, cache);
            const refused = await anonymous.fetch().then(
                () => undefined,
                (e: unknown) => e,
            );
            assert.ok(refused instanceof GitError, String(refused));
            assert.strictEqual(refused.exitCode, 3);

            const wrong = `${token}-wrong`;
            const denied = await Repository.open(url, cache, { tokens: { [server.host]: wrong } });
            const deniedErr = await denied.fetch().then(
                () => undefined,
                (e: unknown) => e,
            );
            assert.ok(deniedErr instanceof GitError);
            assert.ok(!JSON.stringify({ m: deniedErr.message, e: deniedErr }).includes(wrong), "no token");

            const authorized = await Repository.open(url, cache, { tokens: { [server.host]: token } });
            await authorized.fetch();
            assert.strictEqual(await authorized.tip("main"), origin.tip());
            assert.ok(
                server.requests.some((r) => r.authorized),
                "the token was sent",
            );
            assert.strictEqual(anonymous.dir, authorized.dir, "one clone on disk");
        });
    });

    describe("the clone cache", () => {
        it("two makers racing on an empty cache both succeed with one complete clone", async () => {
            const dir = tempDir("repo-race");
            const origin = GitopsRepo.create(dir, "gitops", { "a.txt": "a\n" });
            const cache = path.join(dir, "cache");
            const target = Repository.dirFor(cache, origin.url);
            const made = await Promise.all([
                ensureClone(origin.url, target),
                ensureClone(origin.url, target),
            ]);
            assert.deepStrictEqual(made, [true, true]);
            assert.ok(fs.existsSync(path.join(target, readyMarker)));
            assert.deepStrictEqual(leftovers(cache), [], "the loser's temporary clone is gone");
            const repo = await Repository.open(origin.url, cache);
            await repo.fetch();
            assert.strictEqual(await repo.tip("main"), origin.tip());
        });

        it("two processes opening one repository at once on an empty cache both succeed", async () => {
            const dir = tempDir("repo-procs");
            const origin = GitopsRepo.create(dir, "gitops", { "a.txt": "a\n" });
            const cache = path.join(dir, "cache");
            const module = path.resolve(__dirname, "../../../../provider/git/repository.js");
            const script = `
                const { Repository } = require(${JSON.stringify(module)});
                (async () => {
                    const repo = await Repository.open(${JSON.stringify(origin.url)}, ${JSON.stringify(cache)});
                    await repo.fetch();
                    process.stdout.write(String(await repo.tip("main")));
                })().catch((e) => { process.stderr.write(String(e && e.message)); process.exit(3); });
            `;
            const run = () =>
                new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
                    const child = spawn(process.execPath, ["-e", script]);
                    let out = "";
                    let err = "";
                    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
                    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
                    child.on("close", (code) => resolve({ code, out, err }));
                });
            const results = await Promise.all([run(), run()]);
            for (const r of results) {
                assert.strictEqual(r.code, 0, r.err);
                assert.strictEqual(r.out, origin.tip());
            }
            assert.deepStrictEqual(leftovers(cache), []);
        });

        for (const [what, make] of [
            ["an empty directory", (d: string) => fs.mkdirSync(d, { recursive: true })],
            [
                "a bare repository killed before its remote was added",
                (d: string) => gitSync(["init", "--quiet", "--bare", d]),
            ],
            [
                "a directory with junk in it",
                (d: string) => {
                    fs.mkdirSync(d, { recursive: true });
                    fs.writeFileSync(path.join(d, "HEAD"), "garbage");
                },
            ],
        ] as const) {
            it(`a half-made entry (${what}) is rebuilt`, async () => {
                const dir = tempDir("repo-broken");
                const origin = GitopsRepo.create(dir, "gitops", { "a.txt": "a\n" });
                const cache = path.join(dir, "cache");
                make(Repository.dirFor(cache, origin.url));
                const repo = await Repository.open(origin.url, cache);
                await repo.fetch();
                assert.strictEqual(await repo.tip("main"), origin.tip());
                assert.deepStrictEqual(leftovers(cache), []);
            });
        }

        it("an entry deleted under a running process is made again", async () => {
            const dir = tempDir("repo-deleted");
            const origin = GitopsRepo.create(dir, "gitops", { "a.txt": "a\n" });
            const cache = path.join(dir, "cache");
            const first = await Repository.open(origin.url, cache);
            await first.fetch();
            fs.rmSync(first.dir, { recursive: true, force: true });
            const again = await Repository.open(origin.url, cache);
            await again.fetchIfStale("main", 60_000);
            assert.strictEqual(await again.tip("main"), origin.tip());
        });

        it("what a killed process left beside the entry is swept; a live process's is kept", async () => {
            const dir = tempDir("repo-sweep");
            const origin = GitopsRepo.create(dir, "gitops", { "a.txt": "a\n" });
            const cache = path.join(dir, "cache");
            const target = Repository.dirFor(cache, origin.url);
            const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
            const deadTmp = `${target}.tmp-${dead}-abc`;
            const liveTmp = `${target}.tmp-${process.ppid}-def`;
            for (const d of [deadTmp, liveTmp]) {
                fs.mkdirSync(d, { recursive: true });
            }
            await Repository.open(origin.url, cache);
            assert.ok(!fs.existsSync(deadTmp), "a dead process's temporary clone is removed");
            assert.ok(fs.existsSync(liveTmp), "a live process's is not touched");
        });
    });

    describe("commits written by this process", () => {
        it("give the same trees and message as git's own commands, and fsck clean", async () => {
            const dir = tempDir("repo-objects");
            const origin = GitopsRepo.create(dir, "gitops", {
                "apps/web/dev/values.yaml": "tag: 1\n",
                "apps/web/prod/values.yaml": "tag: 1\n",
                "apps/web-x/a.yaml": "a\n",
                "apps/web.yaml": "w\n",
                "only/one.yaml": "1\n",
                "run.sh": "#!/bin/sh\n",
                "top.txt": "t\n",
            });
            fs.chmodSync(path.join(origin.work, "run.sh"), 0o755);
            gitSync(["commit", "--quiet", "-am", "executable"], origin.work);
            gitSync(["push", "--quiet", "origin", "HEAD:main"], origin.work);
            const repo = await Repository.open(origin.url, path.join(dir, "cache"));
            await repo.fetch();
            const parent = (await repo.tip("main"))!;
            const cases: Record<string, string | null>[] = [
                { "apps/web/prod/values.yaml": "tag: 2\n" },
                { "apps/web/dev/values.yaml": "tag: 3\n", "apps/web/prod/values.yaml": "tag: 3\n" },
                { "run.sh": "#!/bin/sh\necho\n", "top.txt": null },
                // New entries among names that sort differently as trees and as files.
                {
                    "apps/web/new/values.yaml": "n\n",
                    "apps/web-a.yaml": "x\n",
                    "apps/web0": "0\n",
                    "ü/ä.yaml": "u\n",
                },
                // The last file of a directory removed: the directory goes.
                { "only/one.yaml": null },
                {
                    "apps/web/dev/values.yaml": null,
                    "apps/web/prod/values.yaml": null,
                    "apps/web-x/a.yaml": null,
                },
            ];
            const message = "promote\n\nbody line\n\nPromotion-Release: r1\n";
            for (const files of cases) {
                const changes = new Map(
                    Object.entries(files).map(([f, c]) => [f, c === null ? null : Buffer.from(c)] as const),
                );
                const ours = await repo.commit(parent, changes, message);
                const theirs = await repo.commitWithIndex(parent, changes, message);
                const tree = (sha: string) => gitSync(["rev-parse", `${sha}^{tree}`], repo.dir);
                assert.strictEqual(tree(ours), tree(theirs), JSON.stringify(files));
                const body = (sha: string) =>
                    gitSync(["cat-file", "commit", sha], repo.dir).replace(/^(author|committer) .*$/gm, "$1");
                assert.strictEqual(body(ours), body(theirs));
                assert.strictEqual(gitSync(["rev-parse", `${ours}^`], repo.dir), parent);
            }
            gitSync(["fsck", "--strict", "--no-dangling"], repo.dir);
        });
    });
});
