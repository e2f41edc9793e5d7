import type { ActionRequest } from "../../provider/actions/action";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** A Helm-style application: Chart.yaml and a commented values.yaml, as the seed scenarios use. */
export function helmApp(product: string, env: string, version = "1.0.0"): Record<string, string> {
    return {
        "Chart.yaml": `apiVersion: v2
name: ${product}
description: ${product} for ${env}
# chart version, promoted with the app
version: 0.1.0
appVersion: "${version}"
`,
        "values.yaml": `# Values for ${product} in ${env}.
replicaCount: 1 # never promoted

image:
  repository: ghcr.io/acme/${product}
  # promoted from the trigger environment
  tag: "${version}"
  pullPolicy: IfNotPresent

ingress:
  host: ${env}.example.com # environment-specific
`,
    };
}

const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: "dev",
    GIT_AUTHOR_EMAIL: "dev@example.com",
    GIT_COMMITTER_NAME: "dev",
    GIT_COMMITTER_EMAIL: "dev@example.com",
    LC_ALL: "C",
};

export function gitSync(args: string[], cwd?: string): string {
    return execFileSync("git", args, {
        cwd,
        env: gitEnv,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    }).trim();
}

/** A real bare repository with a working clone next to it, for tests to act as people pushing changes. */
export class GitopsRepo {
    readonly url: string;
    private constructor(
        readonly bare: string,
        readonly work: string,
        readonly branch: string,
    ) {
        this.url = `file://${bare}`;
    }

    /** Creates `<dir>/<name>.git` with `files` committed on `branch`. */
    static create(dir: string, name: string, files: Record<string, string>, branch = "main"): GitopsRepo {
        const bare = path.join(dir, `${name}.git`);
        const work = path.join(dir, `${name}-work`);
        gitSync(["init", "--quiet", "--bare", `--initial-branch=${branch}`, bare]);
        gitSync(["clone", "--quiet", bare, work]);
        gitSync(["checkout", "--quiet", "-b", branch], work);
        const repo = new GitopsRepo(bare, work, branch);
        repo.commit(files, "initial commit");
        return repo;
    }

    /** Writes files (path relative to the repository root) and pushes one commit; returns its SHA. */
    commit(files: Record<string, string>, message: string): string {
        this.pull();
        for (const [file, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(this.work, file)), { recursive: true });
            fs.writeFileSync(path.join(this.work, file), content);
        }
        gitSync(["add", "-A"], this.work);
        gitSync(["commit", "--quiet", "-m", message], this.work);
        this.push();
        return gitSync(["rev-parse", "HEAD"], this.work);
    }

    /**
     * Pushes the branch; when a release pushed meanwhile, rebases onto it and pushes again, as a person
     * would (a test edits the trigger environment while releases of other products commit).
     */
    private push(): void {
        for (let attempt = 1; ; attempt++) {
            try {
                gitSync(["push", "--quiet", "origin", `HEAD:${this.branch}`], this.work);
                return;
            } catch (e) {
                if (attempt >= 10) {
                    throw e;
                }
                gitSync(["pull", "--quiet", "--rebase", "origin", this.branch], this.work);
            }
        }
    }

    /** Removes files and pushes one commit; returns its SHA. */
    remove(files: readonly string[], message: string): string {
        this.pull();
        gitSync(["rm", "--quiet", ...files], this.work);
        gitSync(["commit", "--quiet", "-m", message], this.work);
        this.push();
        return gitSync(["rev-parse", "HEAD"], this.work);
    }

    /** Edits one file in place (a hand edit) and pushes. */
    edit(file: string, edit: (text: string) => string, message = `edit ${file}`): string {
        this.pull();
        const text = fs.readFileSync(path.join(this.work, file), "utf8");
        return this.commit({ [file]: edit(text) }, message);
    }

    private pull(): void {
        if (gitSync(["ls-remote", "origin", `refs/heads/${this.branch}`], this.work) !== "") {
            gitSync(["pull", "--quiet", "--ff-only", "origin", this.branch], this.work);
        }
    }

    /** A file as the remote branch has it now. */
    read(file: string): string {
        return gitSync(["show", `${this.branch}:${file}`], this.bare);
    }

    tip(): string {
        return gitSync(["rev-parse", this.branch], this.bare);
    }

    /** Commits on the branch, newest first: SHA, subject and full message. */
    log(): { sha: string; subject: string; body: string }[] {
        const out = gitSync(["log", "--format=%H%x01%s%x01%B%x02", this.branch], this.bare);
        return out
            .split("\x02")
            .map((s) => s.trim())
            .filter(Boolean)
            .map((entry) => {
                const [sha, subject, body] = entry.split("\x01");
                return { sha, subject, body };
            });
    }

    /** True if `ancestor` is an ancestor of `descendant`. */
    isAncestor(ancestor: string, descendant: string): boolean {
        try {
            gitSync(["merge-base", "--is-ancestor", ancestor, descendant], this.bare);
            return true;
        } catch {
            return false;
        }
    }
}

/** One repository holding `apps/<product>/<env>` for each environment. */
export function gitopsRepoFor(
    dir: string,
    product: string,
    envs: readonly string[],
    version = "1.0.0",
): GitopsRepo {
    const files: Record<string, string> = {};
    for (const env of envs) {
        for (const [file, content] of Object.entries(helmApp(product, env, version))) {
            files[`apps/${product}/${env}/${file}`] = content;
        }
    }
    return GitopsRepo.create(dir, "gitops", files);
}

/**
 * Makes the next push to `repo` take `seconds` longer (a server-side hook), so a release is reliably still
 * running when a test acts on it. Only that one push is slowed.
 */
export function slowPushes(repo: GitopsRepo, dir: string): { once(seconds: number): void } {
    const control = path.join(dir, "slow-push");
    const hook = path.join(repo.bare, "hooks", "pre-receive");
    fs.writeFileSync(
        hook,
        `#!/bin/sh\ncat >/dev/null\nif [ -f "${control}" ]; then s=$(cat "${control}"); rm -f "${control}"; sleep "$s"; fi\nexit 0\n`,
    );
    fs.chmodSync(hook, 0o755);
    return { once: (seconds) => fs.writeFileSync(control, String(seconds)) };
}

/** An action's request to promote web's dev values (image.tag 2.0.0) into `environment` of a GitopsRepo. */
export function promotionRequest(
    repo: GitopsRepo,
    cacheDir: string,
    environment: string,
    releaseId: string,
): ActionRequest {
    return {
        releaseId,
        product: "web",
        flow: "f",
        environment,
        repoURL: repo.url,
        targetRevision: "main",
        applications: [{ name: `web-${environment}`, path: `apps/web/${environment}` }],
        candidate: {
            sourceApplication: "web-dev",
            sourceRepoURL: repo.url,
            sourcePath: "apps/web/dev",
            sourceCommit: "0123456789abcdef0123456789abcdef01234567",
            version: "2.0.0",
            files: [{ file: "values.yaml", entries: [{ path: ["image", "tag"], value: "2.0.0" }] }],
        },
        cacheDir,
    };
}
