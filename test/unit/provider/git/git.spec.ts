import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EnvironmentError, exitCodes, InvalidInputError } from "../../../../model/errors";
import { git, GitError, redact } from "../../../../provider/git/git";
import { Repository } from "../../../../provider/git/repository";
import { removeTempDirs, tempDir } from "../../../support/tmp";

describe("git", () => {
    after(removeTempDirs);

    it("a failure is an environment problem (exit 3) naming the repository, git's words and exit code", async () => {
        const dir = tempDir("git-error");
        const url = `file://${path.join(dir, "missing.git")}`;
        const err = await git(["ls-remote", url], { repoURL: url }).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof GitError, String(err));
        assert.ok(err instanceof EnvironmentError);
        assert.strictEqual(err.exitCode, exitCodes.environment);
        assert.strictEqual(err.gitExitCode, 128);
        assert.strictEqual(err.entity, `Repository ${JSON.stringify(url)}`);
        assert.strictEqual(err.repoURL, url);
        assert.match(err.message, /^Repository ".*missing\.git": git ls-remote .* failed \(exit 128\): .*/);
    });

    it("a git that cannot start is reported with the fix", async () => {
        const err = await git(["status"], { cwd: path.join(tempDir("git-nocwd"), "absent") }).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof GitError);
        assert.strictEqual(err.gitExitCode, null);
        assert.match(err.message, /cannot run git status: the directory .*absent does not exist/);
    });

    it("messages hide tokens and passwords written into URLs", async () => {
        const token = "ghp_SECRET0123456789";
        const url = `https://user:${token}@127.0.0.1:1/acme/gitops.git`;
        const err = await git(["ls-remote", url], {
            repoURL: url,
            env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
            credentials: { tokens: { "*": token } },
        }).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof GitError);
        assert.ok(!err.message.includes(token), err.message);
        assert.ok(!JSON.stringify(err).includes(token));
        assert.ok(!(err.entity ?? "").includes(token));
        assert.strictEqual(err.repoURL, "https://user:***@127.0.0.1:1/acme/gitops.git");
        assert.strictEqual(
            redact(`see ${url}`, undefined),
            "see https://user:***@127.0.0.1:1/acme/gitops.git",
        );
        assert.strictEqual(redact(`a ${token} b`, { tokens: { h: token } }), "a *** b");
    });

    for (const url of ["--upload-pack=touch pwned", "-c", ""]) {
        it(`a repository URL git would misread (${JSON.stringify(url)}) is refused before git runs`, async () => {
            const cache = tempDir("git-dash");
            const err = await Repository.open(url, cache).then(
                () => undefined,
                (e: unknown) => e,
            );
            assert.ok(err instanceof InvalidInputError, String(err));
            assert.strictEqual(err.exitCode, exitCodes.invalidInput);
            assert.match(err.message, new RegExp(`Repository ${JSON.stringify(url)}: not a repository URL`));
            assert.deepStrictEqual(fs.readdirSync(cache), [], "nothing was made in the cache");
        });
    }
});
