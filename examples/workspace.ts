import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../engine/pulumi/engineLocator";

const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: "Dana Developer",
    GIT_AUTHOR_EMAIL: "dana@example.com",
    GIT_COMMITTER_NAME: "Dana Developer",
    GIT_COMMITTER_EMAIL: "dana@example.com",
};
const tty = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined;

/**
 * A scratch area for a runnable example under `.promotions/<name>/` in this checkout (recreated on each
 * run): a GitOps repository with a Helm-style application per environment, a developer's clone of it, and
 * the real `promote` CLI.
 */
export class ExampleWorkspace {
    readonly root: string;
    readonly bare: string;
    private readonly work: string;

    constructor(name: string) {
        this.root = path.join(packageRoot, ".promotions", name);
        this.bare = path.join(this.root, "gitops.git");
        this.work = path.join(this.root, "developer");
        fs.rmSync(this.root, { recursive: true, force: true });
        fs.mkdirSync(this.root, { recursive: true });
    }

    git(args: string[], cwd = this.work): string {
        return execFileSync("git", args, {
            cwd,
            env: gitEnv,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        }).trim();
    }

    /** The repository: `apps/<product>/<env>/{Chart.yaml,values.yaml}` at 1.0.0 for every environment. */
    createRepository(product: string, environments: readonly string[]): void {
        this.git(["init", "--quiet", "--bare", "--initial-branch=main", this.bare], this.root);
        this.git(["clone", "--quiet", this.bare, this.work], this.root);
        this.git(["checkout", "--quiet", "-b", "main"]);
        for (const env of environments) {
            this.write(
                `apps/${product}/${env}/Chart.yaml`,
                `apiVersion: v2\nname: ${product}\ndescription: ${product} in ${env}\n# the chart and app versions are promoted\nversion: 0.1.0\nappVersion: "1.0.0"\n`,
            );
            this.write(
                `apps/${product}/${env}/values.yaml`,
                `# ${product} values for ${env}\nreplicaCount: ${env.startsWith("prod") ? 3 : 1} # per environment, never promoted\n\n` +
                    `image:\n  repository: ghcr.io/acme/${product}\n  # promoted from dev\n  tag: "1.0.0"\n  pullPolicy: IfNotPresent\n\n` +
                    `ingress:\n  host: ${env}.${product}.example.com # environment-specific\n`,
            );
        }
        this.git(["add", "-A"]);
        this.git(["commit", "--quiet", "-m", `${product} 1.0.0 in ${environments.join(", ")}`]);
        this.git(["push", "--quiet", "origin", "main"]);
    }

    private write(file: string, text: string): void {
        fs.mkdirSync(path.dirname(path.join(this.work, file)), { recursive: true });
        fs.writeFileSync(path.join(this.work, file), text);
    }

    /** A developer changes the version in one environment's application and pushes. */
    ship(product: string, env: string, version: string): void {
        for (const file of ["values.yaml", "Chart.yaml"]) {
            const p = path.join(this.work, "apps", product, env, file);
            fs.writeFileSync(p, fs.readFileSync(p, "utf8").replace(/"1\.0\.0"/, `"${version}"`));
        }
        this.git(["commit", "--quiet", "-am", `${product} ${version} in ${env}`]);
        this.git(["push", "--quiet", "origin", "main"]);
    }

    /** Copies a definitions directory, filling in `${REPO_URL}` and `${EXAMPLE_DIR}`; returns the copy's path. */
    definitions(from: string): string {
        const to = path.join(this.root, "promotions");
        fs.cpSync(from, to, { recursive: true });
        for (const f of fs.readdirSync(to, { recursive: true, encoding: "utf8" })) {
            const p = path.join(to, f);
            if (fs.statSync(p).isFile()) {
                fs.writeFileSync(
                    p,
                    fs
                        .readFileSync(p, "utf8")
                        .replaceAll("${REPO_URL}", `file://${this.bare}`)
                        .replaceAll("${EXAMPLE_DIR}", to),
                );
            }
        }
        return to;
    }

    heading(text: string): void {
        process.stdout.write(tty ? `\n\x1b[1m== ${text}\x1b[0m\n` : `\n== ${text}\n`);
    }

    /** Runs the real CLI (bin/promote) with these definitions; returns its exit code. */
    promote(config: string, args: readonly string[]): number {
        process.stdout.write(
            tty ? `\x1b[2m$ promote ${args.join(" ")}\x1b[0m\n` : `$ promote ${args.join(" ")}\n`,
        );
        const r = spawnSync(path.join(packageRoot, "bin", "promote"), ["--config", config, ...args], {
            stdio: "inherit",
            env: {
                ...process.env,
                PROMOTIONS_GIT_CACHE: path.join(this.root, "git-cache"),
                EXAMPLE_REPO_URL: `file://${this.bare}`,
            },
        });
        return r.status ?? 1;
    }

    /** The newest commits of the repository. */
    log(n: number): string {
        return this.git(["log", "--format=%h %s", "-n", String(n), "main"], this.bare);
    }
}
