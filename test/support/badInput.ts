import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { CliResult } from "./cli";
import { runCli } from "./cli";
import { gitSync } from "./gitops";

/**
 * What a bad-input case must leave alone: every ref of the given bare repositories and every file of the
 * given state directories, compared byte for byte before and after.
 */
export interface Untouched {
    readonly repos?: readonly string[];
    readonly dirs?: readonly string[];
}

export interface Snapshot {
    readonly refs: Map<string, string>;
    readonly files: Map<string, string>;
}

function refsOf(bare: string): string {
    try {
        return gitSync(["for-each-ref", "--format=%(refname) %(objectname)"], bare);
    } catch {
        return "(unreadable)";
    }
}

function filesOf(dir: string, into: Map<string, string>): void {
    if (!fs.existsSync(dir)) {
        return;
    }
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            filesOf(p, into);
        } else if (e.isFile()) {
            // Pulumi's own lock files come and go with every read; everything else must stay.
            if (!p.includes(`${path.sep}locks${path.sep}`)) {
                into.set(p, crypto.createHash("sha1").update(fs.readFileSync(p)).digest("hex"));
            }
        }
    }
}

export function snapshot(what: Untouched): Snapshot {
    const files = new Map<string, string>();
    for (const d of what.dirs ?? []) {
        filesOf(d, files);
    }
    return { refs: new Map((what.repos ?? []).map((r) => [r, refsOf(r)])), files };
}

const sameSnapshot = (a: Snapshot, b: Snapshot): boolean =>
    JSON.stringify([[...a.refs].sort(), [...a.files].sort()]) ===
    JSON.stringify([[...b.refs].sort(), [...b.files].sort()]);

/**
 * Waits until nothing under `what` has changed for `quietMs` (at most `timeoutMs`), and returns that snapshot:
 * the baseline after a long-running process's start-up reads and writes (a `serve` polls its trigger branches
 * and checks waiting releases as it starts), so a check that something changed nothing compares against it.
 */
export async function settledSnapshot(
    what: Untouched,
    quietMs = 2_000,
    timeoutMs = 60_000,
): Promise<Snapshot> {
    const deadline = Date.now() + timeoutMs;
    let last = snapshot(what);
    let since = Date.now();
    while (Date.now() - since < quietMs) {
        assert.ok(
            Date.now() < deadline,
            `the state under ${JSON.stringify(what)} kept changing for ${timeoutMs} ms`,
        );
        await new Promise((r) => setTimeout(r, 250));
        const now = snapshot(what);
        if (!sameSnapshot(now, last)) {
            last = now;
            since = Date.now();
        }
    }
    return last;
}

export function assertUnchanged(before: Snapshot, what: Untouched, label: string): void {
    const after = snapshot(what);
    for (const [repo, refs] of before.refs) {
        assert.strictEqual(after.refs.get(repo), refs, `${label}: the refs of ${repo} changed`);
    }
    assert.deepStrictEqual(
        [...after.files.entries()].sort(),
        [...before.files.entries()].sort(),
        `${label}: state files changed`,
    );
}

export interface BadInputCase {
    /** What the case is, as the test title. */
    readonly name: string;
    readonly args: readonly string[];
    readonly env?: Record<string, string>;
    readonly cwd?: string;
    /** The documented exit code (2 invalid input, 3 environment problem). */
    readonly exitCode: number;
    /** Each must match the CLI's stderr: the entity, the field or path, the fix. */
    readonly message: readonly RegExp[];
}

/**
 * Runs the real CLI on one bad input and asserts the exit code, that the message names what it must, that no
 * stack trace is printed, and that nothing under `untouched` changed.
 */
export async function expectRefused(c: BadInputCase, untouched: Untouched): Promise<CliResult> {
    const before = snapshot(untouched);
    const result = await runCli(c.args, { env: c.env, cwd: c.cwd });
    const out = `${result.stdout}\n${result.stderr}`;
    assert.strictEqual(result.code, c.exitCode, `${c.name}: exit code ${result.code}\n${out}`);
    for (const re of c.message) {
        assert.match(result.stderr, re, `${c.name}: message\n${result.stderr}`);
    }
    assert.doesNotMatch(out, /^\s+at .+\(.+:\d+:\d+\)$/m, `${c.name}: printed a stack trace`);
    assertUnchanged(before, untouched, c.name);
    return result;
}
