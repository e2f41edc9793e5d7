import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, fourStages } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * The state directory's file system fails under a release: it fills up, or turns read-only, while staging's
 * pre-action runs (after qa succeeded, before staging's commit is pushed and recorded). The release runs in a
 * private mount namespace where the state directory is a small tmpfs holding a copy of the real one; when it
 * ends, whatever the tmpfs holds is copied back, so later commands see exactly what the failed writes left.
 * Nothing here knows how the state is laid out: it is a directory of files.
 */
function setup(name: string, fault: "fill" | "read-only") {
    const dir = tempDir(name);
    const state = path.join(dir, "state");
    // The pre-action of staging breaks the state's file system: `fill` writes until the disk is full; `read-only`
    // asks the wrapper (outside the gate's reach: a gate cannot remount) to remount it read-only.
    const breakIt =
        fault === "fill"
            ? `dd if=/dev/zero of=${state}/filler bs=64k 2>/dev/null`
            : `touch ${dir}/remount; while [ ! -e ${dir}/remounted ]; do sleep 0.1; done`;
    const { repo, args, env } = cliScenario(dir, {
        ...fourStages,
        policies: [
            { name: "gated", priority: 1, selector: {}, policy: { action: "commit", preAction: "pre" } },
        ],
        workflows: [
            {
                kind: "local" as const,
                name: "pre",
                command: `if [ "$ENVIRONMENT" = staging ] && [ -e ${dir}/armed ]; then ${breakIt}; fi; true`,
            },
        ],
    });
    const bump = (version: string) => {
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]+"/, `tag: "${version}"`));
        repo.edit("apps/web/dev/Chart.yaml", (t) =>
            t.replace(/appVersion: "[^"]+"/, `appVersion: "${version}"`),
        );
    };
    return { dir, state, repo, args, env, bump };
}

/**
 * A shell script run by `unshare -m`: mounts a 64 MiB tmpfs over the state directory holding a copy of it, runs
 * the command, then copies the tmpfs back over the real directory (the filler left out). With `read-only`, it
 * remounts the tmpfs read-only when the gate asks.
 */
function wrapper(dir: string, state: string): string {
    const script = path.join(dir, "in-small-fs.sh");
    fs.writeFileSync(
        script,
        [
            "set -e",
            `real=${dir}/real-state`,
            'mkdir -p "$real"',
            `mount --bind ${state} "$real"`,
            `mount -t tmpfs -o size=64m tmpfs ${state}`,
            `cp -a "$real"/. ${state}/`,
            "set +e",
            '"$@" &',
            "child=$!",
            `( while kill -0 $child 2>/dev/null; do if [ -e ${dir}/remount ] && [ ! -e ${dir}/remounted ]; then mount -o remount,ro ${state} && touch ${dir}/remounted; fi; sleep 0.1; done ) &`,
            "wait $child",
            "rc=$?",
            `mount -o remount,rw ${state}`,
            `rm -f ${state}/filler`,
            'find "$real" -mindepth 1 -delete',
            `cp -a ${state}/. "$real"/`,
            "exit $rc",
            "",
        ].join("\n"),
    );
    return script;
}

const promotionCommits = (repo: GitopsRepo, id: string) =>
    repo
        .log()
        .filter((c) => c.body.includes(`Promotion-Release: ${id}`))
        .map((c) => c.subject)
        .sort();

async function releases(args: string[], env: Record<string, string>): Promise<ReleaseRecord[]> {
    const listed = await runCli([...args, "releases", "--product", "web", "--json"], { env });
    assert.strictEqual(listed.code, 0, listed.stdout + listed.stderr);
    return JSON.parse(listed.stdout) as ReleaseRecord[];
}

/** Runs `trigger` in the private mount namespace with the fault armed; returns its exit code, output and release id. */
async function faultyRelease(
    o: ReturnType<typeof setup>,
): Promise<{ code: number | null; output: string; id: string }> {
    fs.writeFileSync(path.join(o.dir, "armed"), "");
    const run = await startCli(
        [
            "-m",
            "sh",
            wrapper(o.dir, o.state),
            path.join(packageRoot, "bin", "promote"),
            ...o.args,
            "trigger",
        ].concat(["--product", "web", "--flow", "seq"]),
        { env: o.env, bin: "unshare" },
    ).done;
    fs.rmSync(path.join(o.dir, "armed"));
    const output = run.stdout + run.stderr;
    if (process.env.PROMOTIONS_TEST_VERBOSE) {
        console.log(output);
    }
    const id = /release (r\S+) \(web/.exec(output)?.[1];
    assert.ok(id, output);
    return { code: run.code, output, id };
}

/** Each environment's statuses in the order the progress printed them. */
function progressOf(output: string): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    for (const m of output.matchAll(/^\[\s*[\d.]+s\] (qa|staging|prod) (\w+)/gm)) {
        seen.set(m[1], [...(seen.get(m[1]) ?? []), m[2]]);
    }
    return seen;
}

async function record(args: string[], env: Record<string, string>, id: string): Promise<ReleaseRecord> {
    const shown = await runCli([...args, "release", id, "--json"], { env });
    assert.strictEqual(shown.code, 0, shown.stdout + shown.stderr);
    return JSON.parse(shown.stdout) as ReleaseRecord;
}

/**
 * What both faults must leave: progress that never takes back a success; after the fault, `releases` and
 * `release` read; the commit pushed before the fault either in the stored record or adopted (and said so) by the
 * retry, which finishes the release with one commit per environment; and every earlier record still there.
 */
async function recoversWithNothingLost(
    o: ReturnType<typeof setup>,
    earlier: ReleaseRecord,
    failed: { output: string; id: string },
): Promise<void> {
    const { repo, args, env } = o;
    const { output, id } = failed;
    for (const [name, statuses] of progressOf(output)) {
        const succeeded = statuses.indexOf("Succeeded");
        assert.ok(
            succeeded < 0 || statuses.slice(succeeded).every((s) => s === "Succeeded"),
            `${name} was shown ${statuses.join(", then ")}:\n${output}`,
        );
    }
    assert.deepStrictEqual(
        (await releases(args, env)).map((r) => r.id).sort(),
        [earlier.id, id].sort(),
        "both releases are listed",
    );
    const pushed = repo
        .log()
        .find(
            (c) =>
                c.subject === "promote web 8.0.0 to staging" && c.body.includes(`Promotion-Release: ${id}`),
        );
    assert.ok(pushed, `staging's commit was pushed before the fault stopped the release:\n${output}`);
    const stored = (await record(args, env, id)).environments.find((e) => e.name === "staging")!;

    const retried = await runCli([...args, "retry", id, "--json"], { env });
    assert.strictEqual(retried.code, 0, retried.stdout + retried.stderr);
    const done = JSON.parse(retried.stdout) as ReleaseRecord;
    assert.strictEqual(done.status, "Succeeded");
    assert.deepStrictEqual(
        promotionCommits(repo, id),
        ["promote web 8.0.0 to prod", "promote web 8.0.0 to qa", "promote web 8.0.0 to staging"],
        "exactly one commit per environment",
    );
    const staging = done.environments.find((e) => e.name === "staging")!.applications[0];
    assert.strictEqual(staging.commitSha, pushed.sha);
    assert.ok(
        (stored.status === "Succeeded" && stored.applications[0].commitSha === pushed.sha) || staging.adopted,
        `the pushed commit is in the stored record (${JSON.stringify(stored)}) or the retry says it adopted it`,
    );
    assert.deepStrictEqual(
        (await releases(args, env)).map((r) => [r.id, r.status]).sort(),
        [
            [earlier.id, "Succeeded"],
            [id, "Succeeded"],
        ].sort(),
        "no record is lost",
    );
}

/** A first release on a healthy state: its record must survive the fault. */
async function firstRelease(o: ReturnType<typeof setup>): Promise<ReleaseRecord> {
    o.bump("7.0.0");
    const first = await runCli([...o.args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
        env: o.env,
    });
    assert.strictEqual(first.code, 0, first.stdout + first.stderr);
    o.bump("8.0.0");
    return JSON.parse(first.stdout) as ReleaseRecord;
}

describe("faults of the state's file system mid-release", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    before(function () {
        if (spawnSync("unshare", ["-m", "true"]).status !== 0) {
            throw new Error("this test needs `unshare -m` (root, util-linux) for a private mount namespace");
        }
    });

    it("a full disk: no state file is left unreadable; once there is space, releases and retry work and nothing is lost", async () => {
        const o = setup("disk-full", "fill");
        const earlier = await firstRelease(o);
        const failed = await faultyRelease(o);
        assert.notStrictEqual(failed.code, 0, failed.output);
        const error = failed.output.split("\n").find((l) => l.startsWith("error:")) ?? "";
        assert.match(error, /no space left on device/, failed.output);
        assert.ok(error.includes(o.state), `the error names the file:\n${failed.output}`);

        const doctor = await runCli([...o.args, "doctor"], { env: o.env });
        assert.match(
            doctor.stdout,
            /ok\s+state files\s+\d+ stacks? .*; \d+ release store documents read/,
            doctor.stdout + doctor.stderr,
        );
        await recoversWithNothingLost(o, earlier, failed);
    });

    it("a state file cut short outside our writes: releases and doctor name it and say how to recover", async () => {
        const o = setup("damaged", "fill");
        const earlier = await firstRelease(o);
        // Every file that holds the release's record, wherever the store keeps it, cut to half its size.
        const cut: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const f = path.join(d, e.name);
                if (e.isDirectory()) {
                    walk(f);
                } else if (fs.readFileSync(f, "utf8").includes(earlier.id)) {
                    fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
                    cut.push(f);
                }
            }
        };
        walk(o.state);
        assert.ok(cut.length > 0, "the record is in the state directory");
        const listed = await runCli([...o.args, "releases", "--product", "web"], { env: o.env });
        assert.strictEqual(listed.code, 3, listed.stdout + listed.stderr);
        const named = cut.filter((f) => listed.stderr.includes(f));
        assert.ok(named.length > 0, `the error names a damaged file:\n${listed.stderr}`);
        assert.match(listed.stderr, /To recover, .*restore/);
        assert.doesNotMatch(listed.stderr, /\n\s+at /, "no stack trace");
        const doctor = await runCli([...o.args, "doctor"], { env: o.env });
        assert.strictEqual(doctor.code, 3, doctor.stdout);
        assert.match(doctor.stdout, /FAIL\s+state files/);
        assert.ok(
            named.every((f) => doctor.stdout.includes(f)),
            doctor.stdout,
        );
    });

    it("a read-only state: the whole error with its path, no success taken back, the pushed commit accounted for", async () => {
        const o = setup("read-only", "read-only");
        const earlier = await firstRelease(o);
        const failed = await faultyRelease(o);
        assert.notStrictEqual(failed.code, 0, failed.output);
        const error = failed.output.split("\n").find((l) => l.startsWith("error:")) ?? "";
        assert.match(error, /read-only file system/, failed.output);
        assert.ok(error.includes(o.state), `the error names the file:\n${failed.output}`);
        assert.doesNotMatch(error, /occurred:\s*$/, "the errors of a multi-error are all there");
        await recoversWithNothingLost(o, earlier, failed);
    });
});
