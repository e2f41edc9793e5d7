import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ActionRequest } from "../../../../provider/actions/action";
import { commitAction } from "../../../../provider/actions/commit";
import { GitopsRepo, gitSync, promotionRequest } from "../../../support/gitops";
import { removeTempDirs, tempDir } from "../../../support/tmp";

const envs = ["qa", "stage", "prod"];

function request(repo: GitopsRepo, cacheDir: string, environment: string): ActionRequest {
    return promotionRequest(repo, cacheDir, environment, "r1");
}

/** A repository whose server logs every push it accepts (and runs `refuse`, a shell test, on each). */
function makeRepo(dir: string, refuse = "false"): { repo: GitopsRepo; pushes: () => number } {
    const repo = GitopsRepo.create(
        dir,
        "gitops",
        Object.fromEntries(envs.map((e) => [`apps/web/${e}/values.yaml`, 'image:\n  tag: "1.0.0"\n'])),
    );
    const log = path.join(dir, "pushes");
    const hook = path.join(repo.bare, "hooks", "pre-receive");
    fs.writeFileSync(
        hook,
        `#!/bin/sh
while read old new ref; do
  if ${refuse}; then echo "refused by policy" >&2; exit 1; fi
  echo "$new" >> "${log}"
done
exit 0
`,
    );
    fs.chmodSync(hook, 0o755);
    return {
        repo,
        pushes: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").length : 0),
    };
}

describe("the commit action", () => {
    after(removeTempDirs);

    it("environments of one branch that wait together go out in one push, one commit each", async () => {
        const dir = tempDir("commit-batch");
        const { repo, pushes } = makeRepo(dir);
        const results = await Promise.all(
            envs.map((e) => commitAction.run(request(repo, path.join(dir, "cache"), e))),
        );
        assert.deepStrictEqual(
            results.map((r) => r.status),
            ["Succeeded", "Succeeded", "Succeeded"],
        );
        assert.strictEqual(pushes(), 1);
        const log = repo.log();
        assert.strictEqual(log.length, 4, "three promotion commits on the initial one");
        assert.strictEqual(repo.tip(), results[2].commitSha);
        for (const e of envs) {
            assert.match(repo.read(`apps/web/${e}/values.yaml`), /tag: "2\.0\.0"/);
        }
        // Run again (a retry after a crash): every environment finds its commit, nothing new is pushed.
        const again = await Promise.all(
            envs.map((e) => commitAction.run(request(repo, path.join(dir, "cache"), e))),
        );
        assert.deepStrictEqual(
            again.map((r) => r.commitSha),
            results.map((r) => r.commitSha),
        );
        assert.strictEqual(pushes(), 1);
    });

    it("a push the server refuses for one environment fails that environment alone", async () => {
        const dir = tempDir("commit-refused");
        // Refuses any push whose commits touch prod.
        const { repo } = makeRepo(dir, `git diff --name-only "$old" "$new" | grep -q '/prod/'`);
        const results = await Promise.allSettled(
            envs.map((e) => commitAction.run(request(repo, path.join(dir, "cache"), e))),
        );
        assert.deepStrictEqual(
            results.map((r) => r.status),
            ["fulfilled", "fulfilled", "rejected"],
        );
        const prod = results[2] as PromiseRejectedResult;
        assert.match(String((prod.reason as Error).message), /pre-receive hook declined/);
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "2\.0\.0"/);
        assert.match(repo.read("apps/web/stage/values.yaml"), /tag: "2\.0\.0"/);
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1\.0\.0"/);
        assert.strictEqual(gitSync(["rev-list", "--count", "main"], repo.bare), "3");
    });
});
