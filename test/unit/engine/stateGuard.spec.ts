import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkStacks, DamagedStateError, readStackResources } from "../../../engine/pulumi/stateBackend";
import { guardedWrite } from "../../../engine/pulumi/stateGuard";

/**
 * A write cut short as Pulumi's file backend leaves it on a full disk (its checkpoint, then its `.bak`, replaced by
 * a partial copy): the real engine does it in test/integration/engine/stateFaults.spec.ts; here the writer only
 * truncates, so each rule is checked alone.
 */
describe("state guard: a failed write leaves the last good checkpoint readable", () => {
    let dir: string;
    let url: string;
    let stacks: string;
    let file: string;
    const checkpoint = (id: string) =>
        JSON.stringify({
            version: 3,
            checkpoint: { latest: { resources: [{ urn: `urn:${id}`, type: "t" }] } },
        });
    const at = (f: string, seconds: number) => fs.utimesSync(f, seconds, seconds);
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-guard-"));
        url = `file://${dir}`;
        stacks = path.join(dir, ".pulumi", "stacks", "p");
        fs.mkdirSync(stacks, { recursive: true });
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml"), "version: 1\n");
        file = path.join(stacks, "s.json");
        fs.writeFileSync(file, checkpoint("good"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Replaces `f` by a partial copy through a rename, as gocloud's WriteAll does after ENOSPC. */
    const cutShort = (f: string, text: string) => {
        fs.writeFileSync(`${f}.tmp`, text.slice(0, 20));
        fs.renameSync(`${f}.tmp`, f);
    };

    it("puts the checkpoint from before the write back when the write cut it and its .bak short", async () => {
        await assert.rejects(
            guardedWrite(url, "p", "s", () => {
                cutShort(`${file}.bak`, checkpoint("good"));
                cutShort(file, checkpoint("new"));
                return Promise.reject(new Error("no space left on device"));
            }),
            /no space left on device/,
        );
        assert.deepStrictEqual(await readStackResources(url, "p", "s"), [{ urn: "urn:good", type: "t" }]);
        assert.deepStrictEqual(
            fs.readdirSync(stacks).filter((f) => f.includes(".keep-")),
            [],
            "no copy is left behind",
        );
    });

    it("prefers a readable .bak newer than the checkpoint before the write (a later good state of that update)", async () => {
        at(file, 1000);
        await assert.rejects(
            guardedWrite(url, "p", "s", () => {
                fs.writeFileSync(`${file}.bak`, checkpoint("step1"));
                cutShort(file, checkpoint("step2"));
                return Promise.reject(new Error("no space left on device"));
            }),
        );
        assert.deepStrictEqual(await readStackResources(url, "p", "s"), [{ urn: "urn:step1", type: "t" }]);
    });

    it("keeps what a write that succeeded wrote, and removes its copy", async () => {
        await guardedWrite(url, "p", "s", () => {
            fs.writeFileSync(`${file}.tmp`, checkpoint("new"));
            fs.renameSync(`${file}.tmp`, file);
            return Promise.resolve();
        });
        assert.deepStrictEqual(await readStackResources(url, "p", "s"), [{ urn: "urn:new", type: "t" }]);
        assert.deepStrictEqual(fs.readdirSync(stacks).sort(), ["s.json"]);
    });

    it("does not write over a damaged checkpoint; the error names the file and the command restoring its newest good copy", async () => {
        const backups = path.join(dir, ".pulumi", "backups", "p", "s");
        fs.mkdirSync(backups, { recursive: true });
        fs.writeFileSync(path.join(backups, "s.1.json"), checkpoint("older"));
        fs.writeFileSync(path.join(backups, "s.2.json"), checkpoint("newest"));
        fs.writeFileSync(path.join(backups, "s.3.json"), checkpoint("cut").slice(0, 10));
        at(path.join(backups, "s.1.json"), 1000);
        at(path.join(backups, "s.2.json"), 2000);
        at(path.join(backups, "s.3.json"), 3000);
        fs.writeFileSync(`${file}.bak`, "");
        fs.writeFileSync(file, checkpoint("x").slice(0, 30));
        let wrote = false;
        const expected = (e: unknown) => {
            assert.ok(e instanceof DamagedStateError);
            assert.strictEqual(e.exitCode, 3);
            assert.ok(e.message.includes(`${file} is damaged`), e.message);
            assert.ok(e.message.includes(`cp '${path.join(backups, "s.2.json")}' '${file}'`), e.message);
            return true;
        };
        await assert.rejects(
            guardedWrite(url, "p", "s", () => {
                wrote = true;
                return Promise.resolve();
            }),
            expected,
        );
        assert.strictEqual(wrote, false);
        await assert.rejects(readStackResources(url, "p", "s"), expected);
        const checked = await checkStacks(url, ["p", "q"]);
        assert.strictEqual(checked?.read, 0);
        assert.deepStrictEqual(
            checked?.damaged.map((d) => [d.stack, d.where, d.goodCopy]),
            [["p/s", file, path.join(backups, "s.2.json")]],
        );
    });

    it("says when no good copy is left", async () => {
        fs.writeFileSync(file, "{");
        await assert.rejects(
            readStackResources(url, "p", "s"),
            /no good copy of it was found \(looked in .*s\.json\.bak/,
        );
    });
});
