import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { publicRecord } from "../../../engine/record/releaseRecord";
import { gitopsRepoFor } from "../../support/gitops";
import { scenario, testPromoteEngine } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("another writer pushes mid-release", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("our push is retried on the new tip and lands; their commit is kept", async () => {
        const dir = tempDir("race");
        const repo = gitopsRepoFor(dir, "web", ["dev", "qa"]);
        // The first promotion push to reach the server finds that someone else pushed a moment before it:
        // the hook commits as "another writer" (an unrelated file) before git updates the branch, so git
        // rejects our push because the branch is no longer where we saw it.
        const hook = path.join(repo.bare, "hooks", "pre-receive");
        fs.writeFileSync(
            hook,
            `#!/bin/sh
marker="${path.join(dir, "raced")}"
while read old new ref; do
  if [ ! -e "$marker" ] && git log -1 --format=%B "$new" | grep -q '^Promotion-Release:'; then
    touch "$marker"
    # Write as another client would: outside the quarantine that holds the objects being pushed.
    unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
    blob=$(echo "someone else's change" | git hash-object -w --stdin)
    tree=$( (git ls-tree "$old"; printf '100644 blob %s\\tOTHER.md\\n' "$blob") | git mktree)
    theirs=$(echo "their commit" | GIT_AUTHOR_NAME=other GIT_AUTHOR_EMAIL=o@x GIT_COMMITTER_NAME=other GIT_COMMITTER_EMAIL=o@x git commit-tree "$tree" -p "$old")
    git update-ref "$ref" "$theirs" "$old"
    echo "$theirs" > "${path.join(dir, "theirs")}"
  fi
done
exit 0
`,
        );
        fs.chmodSync(hook, 0o755);
        const catalog = scenario({
            product: "web",
            repoURL: repo.url,
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                { name: "f", triggerEnvironment: "dev", steps: [{ environment: "qa", dependsOn: ["dev"] }] },
            ],
        });
        const engine = await testPromoteEngine(dir, catalog);
        repo.edit("apps/web/dev/values.yaml", (t) => t.replace('tag: "1.0.0"', 'tag: "4.0.0"'));
        const r = await engine.release({ product: "web", target: { flow: "f" } });
        assert.strictEqual(r.status, "Succeeded", JSON.stringify(publicRecord(r), null, 2));
        const theirs = fs.readFileSync(path.join(dir, "theirs"), "utf8").trim();
        const app = r.environments[0].applications[0];
        assert.strictEqual(app.pushAttempts, 2, "the first push was rejected, the second landed");
        assert.strictEqual(repo.tip(), app.commitSha);
        assert.ok(repo.isAncestor(theirs, app.commitSha!), "their commit is kept under ours");
        assert.strictEqual(repo.read("OTHER.md"), "someone else's change");
        assert.match(repo.read("apps/web/qa/values.yaml"), /tag: "4\.0\.0"/);
    });
});
