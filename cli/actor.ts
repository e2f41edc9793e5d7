import { execFileSync } from "child_process";
import * as os from "os";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The variable each CI documents for the person who started the run, in the order they are asked. `when`
 * names the variable that says the CI is the one running, for the CIs whose actor variable has a generic name.
 */
export const ciActorVariables: readonly {
    readonly ci: string;
    readonly actor: string;
    readonly when?: string;
}[] = [
    { ci: "GitHub Actions", actor: "GITHUB_ACTOR" },
    { ci: "GitLab CI/CD", actor: "GITLAB_USER_LOGIN" },
    { ci: "Buildkite", actor: "BUILDKITE_BUILD_CREATOR" },
    { ci: "CircleCI", actor: "CIRCLE_USERNAME" },
    { ci: "Azure Pipelines", actor: "BUILD_REQUESTEDFOR", when: "TF_BUILD" },
    { ci: "AWS CodeBuild", actor: "CODEBUILD_INITIATOR" },
    { ci: "Bitbucket Pipelines", actor: "BITBUCKET_STEP_TRIGGERER_UUID" },
];

/** Where the CLI looks for who is acting when `--as` is not given (the real ones: {@link systemActorSources}). */
export interface ActorSources {
    readonly env: Env;
    /** git's `user.name` and `user.email` as `git config` reads them here; undefined without git. */
    readonly gitIdentity: () => { readonly name?: string; readonly email?: string } | undefined;
    /** The operating system's name for the user running this process; undefined when it has none. */
    readonly osUser: () => string | undefined;
}

const present = (s: string | undefined): string | undefined => {
    const t = s?.trim();
    return t ? t : undefined;
};

/** The CI's actor, when a CI that documents one is running. */
export function ciActor(env: Env): string | undefined {
    for (const v of ciActorVariables) {
        const actor = present(env[v.actor]);
        if (actor !== undefined && (v.when === undefined || present(env[v.when]) !== undefined)) {
            return actor;
        }
    }
    return undefined;
}

/** `Name <email>`, or whichever of the two git has. */
export function gitActor(
    id: { readonly name?: string; readonly email?: string } | undefined,
): string | undefined {
    const name = present(id?.name);
    const email = present(id?.email);
    return name && email ? `${name} <${email}>` : (name ?? email);
}

/**
 * Who is acting, as releases, holds, approvals and tokens record it: `--as`, else the CI's actor, else git's
 * `user.name` and `user.email`, else the OS user; "unknown" only when none of these exists.
 */
export function resolveActor(given: string | undefined, sources: ActorSources): string {
    return (
        present(given) ??
        ciActor(sources.env) ??
        gitActor(sources.gitIdentity()) ??
        present(sources.osUser()) ??
        "unknown"
    );
}

/** git's identity from its configuration (repository, global, system) as seen from `cwd`. */
function gitConfigIdentity(cwd: string, env: Env): { name?: string; email?: string } | undefined {
    let out: string;
    try {
        out = execFileSync("git", ["config", "--get-regexp", "^user\\.(name|email)$"], {
            cwd,
            env: env as NodeJS.ProcessEnv,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            timeout: 5_000,
        });
    } catch {
        // Exit 1: neither is set. Anything else (no git, a cwd that is gone) also means no identity from git.
        return undefined;
    }
    const id: { name?: string; email?: string } = {};
    for (const line of out.split("\n")) {
        const m = /^user\.(name|email) (.*)$/i.exec(line);
        if (m) {
            id[m[1].toLowerCase() as "name" | "email"] = m[2];
        }
    }
    return id;
}

/** The OS user: USER or LOGNAME as the login shell set them, else the account of this process's uid. */
function osUserName(env: Env): string | undefined {
    const named = present(env.USER) ?? present(env.LOGNAME);
    if (named !== undefined) {
        return named;
    }
    try {
        return os.userInfo().username;
    } catch {
        // A uid with no passwd entry (common in containers) has no name.
        return undefined;
    }
}

/** The real sources: this environment, git run in `cwd`, the OS account. */
export function systemActorSources(env: Env, cwd: string): ActorSources {
    return { env, gitIdentity: () => gitConfigIdentity(cwd, env), osUser: () => osUserName(env) };
}
