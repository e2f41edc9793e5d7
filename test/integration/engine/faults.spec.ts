import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, fourStages } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gated three-environment release: dev → qa → staging → prod, each with a pre- and a post-action. */
function setup(name: string) {
    const dir = tempDir(name);
    const marks = path.join(dir, "marks");
    fs.writeFileSync(marks, "");
    // Each gate notes "<env> <kind> <pid>" and takes 3 s: the pid is the process that must not outlive the CLI.
    const gate = (kind: string) => ({
        kind: "local" as const,
        name: kind,
        command: `echo "$ENVIRONMENT ${kind} $$" >> ${marks}; exec sleep 3`,
    });
    const { repo, args, env } = cliScenario(dir, {
        ...fourStages,
        policies: [
            {
                name: "gated",
                priority: 1,
                selector: {},
                policy: { action: "commit", preAction: "pre", postAction: "post" },
            },
        ],
        workflows: [gate("pre"), gate("post")],
    });
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "7.0.0"'));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace('appVersion: "1.0.0"', 'appVersion: "7.0.0"'));
    return { repo, args, env, marks };
}

const promotionCommits = (repo: GitopsRepo, id: string) =>
    repo
        .log()
        .filter((c) => c.body.includes(`Promotion-Release: ${id}`))
        .map((c) => c.subject)
        .sort();

function gatePids(marks: string): number[] {
    return fs
        .readFileSync(marks, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => Number(l.split(" ")[2]));
}

/** Running: a zombie (dead, not yet reaped by an init that may never reap it) does not count. */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

async function until(what: string, check: () => boolean, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await sleep(100);
    }
}

/** The moments a release is killed at (SIGKILL of the CLI's whole process group). */
const points: {
    name: string;
    reached: (o: { output: string; marks: string; repo: GitopsRepo }) => boolean;
}[] = [
    { name: "as the release is created", reached: (o) => /release r\S+ \(web/.test(o.output) },
    { name: "during qa's pre-action", reached: (o) => o.marks.includes("qa pre") },
    {
        name: "right after qa's commit is pushed",
        reached: (o) => o.repo.log().some((c) => c.subject === "promote web 7.0.0 to qa"),
    },
    { name: "during staging's post-action", reached: (o) => o.marks.includes("staging post") },
    { name: "during prod's pre-action", reached: (o) => o.marks.includes("prod pre") },
];

describe("faults: SIGKILL at five points of a gated release, then retry", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    for (const [i, point] of points.entries()) {
        it(`killed ${point.name}: retry finishes it, one commit per environment, no orphan gate`, async () => {
            const { repo, args, env, marks } = setup(`fault${i}`);
            const cli = startCli([...args, "trigger", "--product", "web", "--flow", "seq"], { env });
            let id: string;
            try {
                await until(point.name, () => {
                    if (cli.child.exitCode !== null) {
                        throw new Error(`the release ended before ${point.name}:\n${cli.output()}`);
                    }
                    return point.reached({
                        output: cli.output(),
                        marks: fs.readFileSync(marks, "utf8"),
                        repo,
                    });
                });
                id = /release (r\S+) \(web/.exec(cli.output())![1];
                cli.killGroup();
                await cli.done;
            } finally {
                cli.killGroup();
            }
            // Gates die with the process that started them: one killed with it had just started and would run
            // 3 s, so 1.5 s later an orphan would still be there.
            await sleep(1500);
            assert.deepStrictEqual(
                gatePids(marks).filter(alive),
                [],
                "no gate outlives the CLI that started it",
            );

            const before = await runCli([...args, "releases", "--product", "web", "--json"], { env });
            assert.strictEqual(before.code, 0, before.stderr);
            const listed = (JSON.parse(before.stdout) as ReleaseRecord[]).find((r) => r.id === id);
            assert.ok(listed, `release ${id} is listed`);
            assert.ok(
                listed.status === "Running"
                    ? /promote retry/.test(listed.stale ?? "")
                    : listed.status !== "Succeeded",
                `a killed release reads as such: ${JSON.stringify(listed)}`,
            );

            const retried = await runCli([...args, "retry", id, "--json"], { env });
            assert.strictEqual(retried.code, 0, retried.stdout + retried.stderr);
            const done = JSON.parse(retried.stdout) as ReleaseRecord;
            assert.strictEqual(done.id, id);
            assert.strictEqual(done.status, "Succeeded");
            assert.deepStrictEqual(
                done.environments.map((e) => [e.name, e.status]),
                [
                    ["qa", "Succeeded"],
                    ["staging", "Succeeded"],
                    ["prod", "Succeeded"],
                ],
            );
            assert.deepStrictEqual(
                promotionCommits(repo, id),
                ["promote web 7.0.0 to prod", "promote web 7.0.0 to qa", "promote web 7.0.0 to staging"],
                "exactly one commit per environment",
            );
            const after = await runCli([...args, "releases", "--product", "web", "--json"], { env });
            const final = (JSON.parse(after.stdout) as ReleaseRecord[]).find((r) => r.id === id);
            assert.strictEqual(final?.status, "Succeeded");
            assert.strictEqual(final?.stale, undefined);
        });
    }
});
