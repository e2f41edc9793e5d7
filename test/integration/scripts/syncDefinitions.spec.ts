import * as assert from "assert";
import { execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { GitHttpServer } from "../../support/gitHttpServer";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

const script = path.join(packageRoot, "scripts", "sync-definitions");
const run = promisify(execFile);

function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}

/** A bare repository `defs.git` under `root` with promotions/products.yaml saying `text`, and its work clone. */
function repository(root: string, text: string): { bare: string; work: string } {
    const bare = path.join(root, "defs.git");
    const work = path.join(root, "work");
    git(root, "init", "-q", "--bare", "-b", "main", bare);
    git(root, "clone", "-q", bare, work);
    fs.mkdirSync(path.join(work, "promotions"));
    fs.writeFileSync(path.join(work, "promotions", "products.yaml"), text);
    git(work, "add", "-A");
    git(work, "commit", "-qm", "definitions");
    git(work, "push", "-q", "origin", "main");
    return { bare, work };
}

function push(work: string, text: string): void {
    fs.writeFileSync(path.join(work, "promotions", "products.yaml"), text);
    git(work, "commit", "-qam", "change");
    git(work, "push", "-q", "origin", "main");
}

/** The chart's sync container: scripts/sync-definitions with the environment the chart gives it. */
function sync(mode: string, env: Record<string, string>) {
    return run("sh", [script, mode], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
}

describe("definitions kept in sync from git (scripts/sync-definitions, the chart's git sidecar)", function () {
    this.timeout(60_000);
    after(removeTempDirs);

    it("clones, then moves to a newer commit only when there is one", async () => {
        const root = tempDir("sync-defs");
        const { bare, work } = repository(root, "first\n");
        const dir = path.join(root, "definitions", "repo");
        fs.mkdirSync(path.dirname(dir));
        const env = { REPOSITORY: `file://${bare}`, REF: "main", DIR: dir };
        const cloned = await sync("clone", env);
        assert.match(cloned.stderr, /cloned main at [0-9a-f]{7}/);
        assert.strictEqual(fs.readFileSync(path.join(dir, "promotions", "products.yaml"), "utf8"), "first\n");

        const unchanged = await sync("sync", env);
        assert.strictEqual(unchanged.stderr, "", "a sync with nothing new is silent");

        push(work, "second\n");
        const moved = await sync("sync", env);
        assert.match(moved.stderr, /moved main from [0-9a-f]{7} to [0-9a-f]{7}/);
        assert.strictEqual(
            fs.readFileSync(path.join(dir, "promotions", "products.yaml"), "utf8"),
            "second\n",
        );
        // A second clone (the init container after a pod restart, the emptyDir kept) syncs instead.
        push(work, "third\n");
        await sync("clone", env);
        assert.strictEqual(fs.readFileSync(path.join(dir, "promotions", "products.yaml"), "utf8"), "third\n");
    });

    it("restarts promote serve (SIGTERM) when the definitions changed, with RESTART_ON_CHANGE=1", async () => {
        const root = tempDir("sync-restart");
        const { bare, work } = repository(root, "first\n");
        const dir = path.join(root, "repo");
        // The pattern names this test's process only: other promote serve processes on the machine are left alone.
        const unique = path.basename(root);
        const env = {
            REPOSITORY: `file://${bare}`,
            DIR: dir,
            RESTART_ON_CHANGE: "1",
            SERVE_MATCH: `*/${unique}/dist/cli/main.js*serve*`,
        };
        await sync("clone", env);
        // A process whose command line is promote serve's (node .../dist/cli/main.js serve ...), which
        // records the signal it gets.
        const marker = path.join(root, "signal");
        const serve = spawn(
            process.execPath,
            [
                "-e",
                `process.on("SIGTERM", () => { require("fs").writeFileSync(${JSON.stringify(marker)}, "TERM"); process.exit(0); }); setInterval(() => {}, 1000);`,
                `/${unique}/dist/cli/main.js`,
                "serve",
            ],
            { stdio: "ignore" },
        );
        const exited = new Promise<void>((resolve) => serve.on("exit", () => resolve()));
        try {
            await new Promise((r) => setTimeout(r, 300));
            await sync("sync", env);
            assert.ok(!fs.existsSync(marker), "serve was signalled though nothing changed");
            push(work, "second\n");
            const moved = await sync("sync", env);
            assert.match(moved.stderr, /restarting promote serve \(pid \d+\)/);
            await exited;
            assert.strictEqual(fs.readFileSync(marker, "utf8"), "TERM");
        } finally {
            serve.kill("SIGKILL");
        }
    });

    it("a token reaches git as a header only: not in the clone's config, the output or any file", async () => {
        const root = tempDir("sync-token");
        const served = tempDir("sync-token-served");
        const { work } = repository(served, "private\n");
        const token = "tok-sync-7f3a9c1e";
        const server = await GitHttpServer.start(served, token);
        try {
            const dir = path.join(root, "repo");
            const env = {
                REPOSITORY: server.url("defs.git"),
                DIR: dir,
                PROMOTIONS_GIT_TOKENS: JSON.stringify({ [server.host]: token }),
            };
            const cloned = await sync("clone", env);
            assert.strictEqual(
                fs.readFileSync(path.join(dir, "promotions", "products.yaml"), "utf8"),
                "private\n",
            );
            push(work, "changed\n");
            const moved = await sync("sync", env);
            assert.strictEqual(
                fs.readFileSync(path.join(dir, "promotions", "products.yaml"), "utf8"),
                "changed\n",
            );
            assert.ok(server.requests.some((r) => r.authorized));
            for (const out of [cloned.stdout, cloned.stderr, moved.stdout, moved.stderr]) {
                assert.ok(!out.includes(token), "the token is in the output");
            }
            assert.deepStrictEqual(filesContaining(root, token), []);
            // Without the token the server refuses: the header is what let it in.
            await assert.rejects(
                sync("clone", { REPOSITORY: server.url("defs.git"), DIR: path.join(root, "other") }),
                /Authentication failed|could not read Username|401/,
            );
        } finally {
            await server.stop();
        }
    });
});
