import * as assert from "assert";
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import type { ActorSources } from "../../../cli/actor";
import { ciActorVariables, resolveActor, systemActorSources } from "../../../cli/actor";
import { buildOptions, parseCommandLine } from "../../../cli/args";
import { settingsFrom } from "../../../cli/context";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** Sources that answer from what the test gives them, counting the git and OS lookups. */
function sources(
    env: Record<string, string>,
    git?: { name?: string; email?: string },
    osUser?: string,
): ActorSources & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        env,
        gitIdentity: () => {
            asked.push("git");
            return git;
        },
        osUser: () => {
            asked.push("os");
            return osUser;
        },
    };
}

/** An environment where git reads no global or system configuration. */
function isolatedGitEnv(home: string): Record<string, string> {
    return {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: path.join(home, "no-gitconfig"),
    };
}

describe("who acts: the initiator", () => {
    after(removeTempDirs);

    it("takes --as first, then the CI's actor, then git's user.name and user.email, then the OS user", () => {
        const all = sources({ GITHUB_ACTOR: "octocat" }, { name: "Dana", email: "dana@example.com" }, "dana");
        assert.strictEqual(resolveActor("me", all), "me");
        assert.deepStrictEqual(all.asked, [], "--as needs no lookup");
        assert.strictEqual(resolveActor(undefined, all), "octocat");
        assert.deepStrictEqual(all.asked, [], "the CI's actor needs no git");

        const local = sources({}, { name: "Dana", email: "dana@example.com" }, "dana");
        assert.strictEqual(resolveActor(undefined, local), "Dana <dana@example.com>");
        assert.strictEqual(resolveActor("", local), "Dana <dana@example.com>", "an empty --as is no --as");
        assert.strictEqual(resolveActor(undefined, sources({}, { name: "Dana" }, "dana")), "Dana");
        assert.strictEqual(
            resolveActor(undefined, sources({}, { email: "dana@example.com" }, "dana")),
            "dana@example.com",
        );

        const noGit = sources({}, undefined, "dana");
        assert.strictEqual(resolveActor(undefined, noGit), "dana");
        assert.deepStrictEqual(noGit.asked, ["git", "os"]);
        assert.strictEqual(resolveActor(undefined, sources({}, { name: "  " }, "dana")), "dana");
        assert.strictEqual(resolveActor(undefined, sources({}, {}, undefined)), "unknown");
        assert.strictEqual(resolveActor(undefined, sources({ GITHUB_ACTOR: "" }, undefined, "")), "unknown");
    });

    it("knows the documented actor of each major CI, in order; a generic name counts only in its CI", () => {
        const expected: [Record<string, string>, string][] = [
            [{ GITHUB_ACTOR: "gh", GITLAB_USER_LOGIN: "gl" }, "gh"],
            [{ GITLAB_USER_LOGIN: "gl", BUILDKITE_BUILD_CREATOR: "bk" }, "gl"],
            [{ BUILDKITE_BUILD_CREATOR: "Keith Builder" }, "Keith Builder"],
            [{ CIRCLE_USERNAME: "circle" }, "circle"],
            [{ TF_BUILD: "True", BUILD_REQUESTEDFOR: "Ada Azure" }, "Ada Azure"],
            [{ CODEBUILD_INITIATOR: "codepipeline/deploy" }, "codepipeline/deploy"],
            [{ BITBUCKET_STEP_TRIGGERER_UUID: "{8d9b1f3e}" }, "{8d9b1f3e}"],
        ];
        for (const [env, who] of expected) {
            assert.strictEqual(
                resolveActor(undefined, sources(env, { name: "git" }, "os")),
                who,
                JSON.stringify(env),
            );
        }
        // BUILD_REQUESTEDFOR outside Azure Pipelines is someone else's variable.
        assert.strictEqual(
            resolveActor(undefined, sources({ BUILD_REQUESTEDFOR: "x" }, { name: "git" }, "os")),
            "git",
        );
        assert.deepStrictEqual(
            ciActorVariables.map((v) => v.ci),
            [
                "GitHub Actions",
                "GitLab CI/CD",
                "Buildkite",
                "CircleCI",
                "Azure Pipelines",
                "AWS CodeBuild",
                "Bitbucket Pipelines",
            ],
        );
    });

    it("reads git's configuration where the CLI runs, and the OS account when USER is unset", () => {
        const home = tempDir("actor-home");
        const repo = tempDir("actor-repo");
        const env = isolatedGitEnv(home);
        execFileSync("git", ["init", "--quiet", repo], { env });
        const real = systemActorSources(env, repo);
        assert.strictEqual(real.gitIdentity()?.name, undefined, "no identity configured yet");
        assert.strictEqual(resolveActor(undefined, real), os.userInfo().username);

        execFileSync("git", ["config", "user.name", "Dana Developer"], { cwd: repo, env });
        execFileSync("git", ["config", "user.email", "dana@example.com"], { cwd: repo, env });
        assert.strictEqual(resolveActor(undefined, real), "Dana Developer <dana@example.com>");
        assert.strictEqual(
            resolveActor(undefined, systemActorSources({ ...env, GITLAB_USER_LOGIN: "gl" }, repo)),
            "gl",
        );
        assert.strictEqual(resolveActor(undefined, systemActorSources({ ...env, USER: "u" }, home)), "u");
        // No git on PATH is no identity from git, not an error.
        assert.strictEqual(
            resolveActor(undefined, systemActorSources({ ...env, PATH: home, LOGNAME: "l" }, repo)),
            "l",
        );
    });

    it("is what the CLI records without --as: trigger's initiator comes from git here", () => {
        const home = tempDir("actor-cli-home");
        const repo = tempDir("actor-cli-repo");
        const env = isolatedGitEnv(home);
        execFileSync("git", ["init", "--quiet", repo], { env });
        execFileSync("git", ["config", "user.name", "Dana Developer"], { cwd: repo, env });
        const line = parseCommandLine(["trigger", "--product", "web", "--flow", "f"], () => "USAGE");
        assert.strictEqual(line.kind, "command");
        const l = line as Extract<typeof line, { kind: "command" }>;
        const opts = buildOptions(
            l.command,
            l.values,
            l.positionals,
            settingsFrom({ noColor: false }, env, repo, false),
        );
        assert.strictEqual((opts as { by?: string }).by, "Dana Developer");
    });
});
