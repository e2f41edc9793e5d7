import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BatchReader, closeBatchReaders } from "../../../../provider/git/batchReader";
import { GitError } from "../../../../provider/git/git";
import { Repository, treeEntryMode } from "../../../../provider/git/repository";
import { gitSync } from "../../../support/gitops";
import { removeTempDirs, tempDir } from "../../../support/tmp";

/** A repository whose one commit holds `files` (a Buffer for exact bytes, `{ link }` for a symbolic link). */
function repoWith(files: Record<string, string | Buffer | { link: string }>): { dir: string; head: string } {
    const dir = path.join(tempDir("batch"), "work");
    gitSync(["init", "--quiet", "--initial-branch=main", dir]);
    for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        if (typeof content === "object" && !Buffer.isBuffer(content)) {
            fs.symlinkSync(content.link, path.join(dir, file));
        } else {
            fs.writeFileSync(path.join(dir, file), content);
        }
    }
    gitSync(["add", "-A"], dir);
    gitSync(["commit", "--quiet", "-m", "init"], dir);
    return { dir, head: gitSync(["rev-parse", "HEAD"], dir) };
}

/** Every byte value, and what a header line looks like, in one blob. */
const binary = Buffer.concat([
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    Buffer.from("\n0123456789abcdef0123456789abcdef01234567 blob 3\nabc\n\n"),
]);

/** How many `git cat-file --batch` processes run in `dir` now. */
function batchProcesses(dir: string): number {
    let n = 0;
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            if (
                cmd[1] === "cat-file" &&
                cmd[2] === "--batch" &&
                fs.readlinkSync(`/proc/${pid}/cwd`) === dir
            ) {
                n++;
            }
        } catch {
            // gone meanwhile
        }
    }
    return n;
}

describe("BatchReader (one git cat-file --batch per repository)", () => {
    after(removeTempDirs);
    afterEach(closeBatchReaders);

    it("reads text, binary, empty and large blobs, in order, whatever is asked at once", async function () {
        this.timeout(20000);
        const large = Buffer.alloc(3 * 1024 * 1024 + 7, "x\n\0");
        const { dir, head } = repoWith({
            "a.yaml": "a: 1\n",
            "multi/line.txt": "one\ntwo\n\nthree",
            "bin.dat": binary,
            empty: "",
            "large.bin": large,
            "with space/and: colon.yaml": "b: 2\n",
        });
        const reader = new BatchReader(dir);
        try {
            const names = [
                "a.yaml",
                "multi/line.txt",
                "bin.dat",
                "empty",
                "large.bin",
                "with space/and: colon.yaml",
            ];
            // Asked all at once (twice over), answered each with its own bytes.
            const got = await Promise.all([...names, ...names].map((f) => reader.read(`${head}:${f}`)));
            const expected = [
                Buffer.from("a: 1\n"),
                Buffer.from("one\ntwo\n\nthree"),
                binary,
                Buffer.alloc(0),
                large,
                Buffer.from("b: 2\n"),
            ];
            got.forEach((o, i) => {
                assert.strictEqual(o?.type, "blob", names[i % names.length]);
                assert.ok(
                    o.content.equals(expected[i % names.length]),
                    `bytes of ${names[i % names.length]}`,
                );
            });
            assert.strictEqual(batchProcesses(dir), 1, "one git process served them all");
        } finally {
            reader.close();
        }
    });

    it("answers a missing path or object with undefined and keeps the answers after it in step", async function () {
        this.timeout(20000);
        const { dir, head } = repoWith({
            "apps/web/values.yaml": "tag: 1\n",
            "apps/api/values.yaml": "tag: 2\n",
        });
        const reader = new BatchReader(dir);
        try {
            const [web, none, noObject, api, tree, badRev] = await Promise.all([
                reader.read(`${head}:apps/web/values.yaml`),
                reader.read(`${head}:apps/nope/values.yaml`),
                reader.read("0".repeat(40)),
                reader.read(`${head}:apps/api/values.yaml`),
                reader.read(`${head}:apps`),
                reader.read("refs/remotes/origin/no-such-branch^{commit}"),
            ]);
            assert.strictEqual(web?.content.toString(), "tag: 1\n");
            assert.strictEqual(none, undefined);
            assert.strictEqual(noObject, undefined);
            assert.strictEqual(api?.content.toString(), "tag: 2\n");
            assert.strictEqual(tree?.type, "tree");
            assert.strictEqual(treeEntryMode(tree, "web"), "40000");
            assert.strictEqual(treeEntryMode(tree, "we"), undefined);
            assert.strictEqual(badRev, undefined);
        } finally {
            reader.close();
        }
    });

    it("reads a path with a line break in its name (outside the batch)", async function () {
        this.timeout(20000);
        const { dir, head } = repoWith({ "odd\nname.yaml": "c: 3\n", "cr\rname.yaml": "d: 4\n" });
        const reader = new BatchReader(dir);
        try {
            assert.strictEqual((await reader.read(`${head}:odd\nname.yaml`))?.content.toString(), "c: 3\n");
            assert.strictEqual((await reader.read(`${head}:cr\rname.yaml`))?.content.toString(), "d: 4\n");
            assert.strictEqual(await reader.read(`${head}:odd\nother.yaml`), undefined);
        } finally {
            reader.close();
        }
    });

    it("sees commits and refs made after it started, and starts again after close", async function () {
        this.timeout(20000);
        const { dir, head } = repoWith({ "a.yaml": "a: 1\n" });
        const reader = new BatchReader(dir);
        try {
            assert.strictEqual((await reader.read("refs/heads/main^{commit}"))?.oid, head);
            fs.writeFileSync(path.join(dir, "a.yaml"), "a: 2\n");
            gitSync(["commit", "--quiet", "-am", "two"], dir);
            const second = gitSync(["rev-parse", "HEAD"], dir);
            assert.strictEqual((await reader.read("refs/heads/main^{commit}"))?.oid, second);
            assert.strictEqual((await reader.read(`${second}:a.yaml`))?.content.toString(), "a: 2\n");
            // Asked, then closed before the answer: still answered; a later read starts a new process.
            const pending = reader.read(`${head}:a.yaml`);
            reader.close();
            assert.strictEqual((await pending)?.content.toString(), "a: 1\n");
            assert.strictEqual((await reader.read(`${second}:a.yaml`))?.content.toString(), "a: 2\n");
        } finally {
            reader.close();
        }
    });

    it("reads an object named by id once; a name by ref, or an object not there yet, is read again", async function () {
        this.timeout(20000);
        const { dir, head } = repoWith({ "a.yaml": "a: 1\n" });
        const reader = new BatchReader(dir);
        try {
            const [first, again] = await Promise.all([
                reader.read(`${head}:a.yaml`),
                reader.read(`${head}:a.yaml`),
            ]);
            const later = await reader.read(`${head}:a.yaml`);
            assert.strictEqual(first?.content.toString(), "a: 1\n");
            // One answer shared: the same bytes, not a copy read again.
            assert.ok(first?.content === again?.content && first?.content === later?.content);
            const byRef = await reader.read("main:a.yaml");
            assert.notStrictEqual(byRef?.content, (await reader.read("main:a.yaml"))?.content);

            const hash = (...flags: string[]) =>
                execFileSync("git", ["hash-object", ...flags, "--stdin"], { cwd: dir, input: "b: 1\n" })
                    .toString()
                    .trim();
            const blob = hash();
            assert.strictEqual(await reader.read(blob), undefined);
            hash("-w");
            assert.strictEqual((await reader.read(blob))?.content.toString(), "b: 1\n");
        } finally {
            reader.close();
        }
    });

    it("fails with a GitError (exit 3) where there is no repository, and names the directory", async function () {
        this.timeout(20000);
        const gone = path.join(tempDir("batch-gone"), "nothing-here");
        const err = await new BatchReader(gone, "file:///somewhere.git").read("HEAD").then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof GitError, String(err));
        assert.strictEqual(err.exitCode, 3);
        assert.match(err.message, /Repository "file:\/\/\/somewhere\.git".*does not exist/);

        const plain = tempDir("batch-plain");
        const notRepo = await new BatchReader(plain).read("HEAD").then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(notRepo instanceof GitError, String(notRepo));
        assert.match(notRepo.message, /cat-file --batch failed \(exit 128\): fatal: not a git repository/);
    });
});

describe("Repository reads through the batch reader", () => {
    after(removeTempDirs);
    afterEach(closeBatchReaders);

    it("readFile, readFiles, objectTypes, tip and symlinks agree with git", async function () {
        this.timeout(20000);
        const { dir, head } = repoWith({
            "apps/web/values.yaml": "tag: 1\n",
            "apps/web/bin.dat": binary,
            "apps/link.yaml": { link: "web/values.yaml" },
            "apps/linked": { link: "web" },
            "apps/deep/nested/inner.yaml": { link: "../../web/values.yaml" },
            "top.yaml": { link: "apps/web/values.yaml" },
        });
        const repo = await Repository.open(`file://${dir}`, path.join(path.dirname(dir), "cache"));
        await repo.fetch();
        assert.strictEqual(await repo.tip("main"), head);
        assert.strictEqual(await repo.tip("nope"), undefined);
        assert.ok((await repo.readFile(head, "apps/web/bin.dat"))?.equals(binary));
        assert.strictEqual(await repo.readFile(head, "apps/web"), undefined, "a directory is not a file");
        const files = await repo.readFiles(head, [
            "apps/web/values.yaml",
            "apps/none.yaml",
            "apps/web/bin.dat",
        ]);
        assert.deepStrictEqual([...files.keys()], ["apps/web/values.yaml", "apps/web/bin.dat"]);
        assert.deepStrictEqual(
            Object.fromEntries(await repo.objectTypes(head, [".", "apps/web/", "apps/web/values.yaml", "x"])),
            { ".": "tree", "apps/web/": "tree", "apps/web/values.yaml": "blob" },
        );
        const links = async (paths: string[]) => [...(await repo.symlinks(head, paths))].sort();
        assert.deepStrictEqual(await links(["apps/link.yaml", "apps/web/values.yaml", "top.yaml"]), [
            "apps/link.yaml",
            "top.yaml",
        ]);
        assert.deepStrictEqual(await links(["apps/linked", "apps/linked/values.yaml", "apps/none"]), [
            "apps/linked",
        ]);
        assert.deepStrictEqual(await links(["apps/deep"]), ["apps/deep/nested/inner.yaml"]);
        assert.deepStrictEqual(await links(["."]), [
            "apps/deep/nested/inner.yaml",
            "apps/link.yaml",
            "apps/linked",
            "top.yaml",
        ]);
    });

    it("fetches once for callers asking while a fetch is queued", async function () {
        this.timeout(20000);
        const { dir } = repoWith({ "a.yaml": "a: 1\n" });
        const repo = await Repository.open(`file://${dir}`, path.join(path.dirname(dir), "cache"));
        const log = path.join(path.dirname(dir), "fetches.log");
        // Count the fetches through the trace git writes for each command it runs.
        process.env.GIT_TRACE = log;
        try {
            await Promise.all(Array.from({ length: 10 }, () => repo.fetch()));
        } finally {
            delete process.env.GIT_TRACE;
        }
        const fetches = fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter((l) => /built-in: git fetch /.test(l));
        assert.strictEqual(fetches.length, 1, fetches.join("\n"));
        assert.ok(!/maintenance/.test(fs.readFileSync(log, "utf8")), "no maintenance run after the fetch");
    });
});
