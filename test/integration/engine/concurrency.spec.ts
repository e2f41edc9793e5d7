import * as assert from "assert";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { runCli, startCli } from "../../support/cli";
import { slowPushes } from "../../support/gitops";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

function setup(name: string, concurrency: "queue" | "terminate") {
    const dir = tempDir(name);
    const { repo, args, env } = cliScenario(dir, {
        concurrency,
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod" }],
        flows: [
            {
                name: "seq",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "prod", dependsOn: ["qa"] },
                ],
            },
        ],
    });
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "5.0.0"'));
    return { dir, repo, args, env, slow: slowPushes(repo, dir) };
}

const json = (stdout: string) => JSON.parse(stdout) as ReleaseRecord;

describe("concurrent releases of one product, across processes", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("queue: the second release waits as Queued, then runs", async () => {
        const { args, env, slow } = setup("queue", "queue");
        slow.once(8);
        const first = startCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], { env });
        await first.waitFor(/qa Running/);
        const second = startCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], { env });
        await second.waitFor(/queued behind r\S+/);
        const [a, b] = await Promise.all([first.done, second.done]);
        assert.strictEqual(a.code, 0, a.stderr);
        assert.strictEqual(b.code, 0, b.stderr);
        const [ra, rb] = [json(a.stdout), json(b.stdout)];
        assert.match(second.output(), new RegExp(`queued behind ${ra.id}`));
        assert.strictEqual(rb.status, "Succeeded");
        assert.ok(
            Date.parse(rb.startedAt!) >= Date.parse(ra.finishedAt!),
            "the second ran after the first ended",
        );
        const list = await runCli([...args, "releases", "--product", "web", "--json"], { env });
        assert.deepStrictEqual(
            (JSON.parse(list.stdout) as { id: string; status: string }[]).map((r) => [r.id, r.status]),
            [
                [rb.id, "Succeeded"],
                [ra.id, "Succeeded"],
            ],
        );
    });

    it("terminate: a new release terminates the active one, which ends Terminated", async () => {
        const { args, env, slow, repo } = setup("terminate", "terminate");
        slow.once(15);
        const first = startCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], { env });
        await first.waitFor(/qa Running/);
        const second = startCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], { env });
        const [a, b] = await Promise.all([first.done, second.done]);
        const [ra, rb] = [json(a.stdout), json(b.stdout)];
        assert.strictEqual(a.code, 1, `a Terminated release exits 1:\n${a.stderr}\n---\n${b.stderr}`);
        assert.strictEqual(ra.status, "Terminated");
        assert.match(ra.error ?? "", new RegExp(`terminated by release ${rb.id}`));
        assert.strictEqual(
            ra.environments.find((e) => e.name === "prod")!.status,
            "Pending",
            "downstream stays Pending",
        );
        assert.strictEqual(b.code, 0, b.stderr);
        assert.strictEqual(rb.status, "Succeeded");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "5\.0\.0"/);
    });
});
