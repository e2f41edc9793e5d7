import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { giteaBinary, giteaHome } from "../../support/gitea";
import { removeTempDirs, tempDir } from "../../support/tmp";

const script = path.join(packageRoot, "scripts", "provision-gitea.sh");

/** Runs scripts/provision-gitea.sh with its cache and install log in a fresh directory. */
function provision(env: Record<string, string>) {
    const dir = tempDir("provision-gitea");
    const log = path.join(dir, "install.log");
    const r = spawnSync("/bin/bash", [script], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: process.env.HOME ?? os.homedir(),
            PULUMI_PROMOTIONS_CACHE: path.join(dir, "cache"),
            PROMOTIONS_INSTALL_LOG: log,
            ...env,
        },
    });
    return { ...r, dir, log };
}

/** A PATH with the tools the script uses and no `go`, wherever go is installed on this machine. */
function pathWithoutGo(): string {
    const bin = tempDir("no-go-bin");
    for (const tool of ["bash", "node", "dirname", "cat", "mkdir", "rm", "sed", "tail", "mv", "head", "cp"]) {
        const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        assert.ok(found, `${tool} is not on PATH`);
        fs.symlinkSync(found, path.join(bin, tool));
    }
    return bin;
}

describe("Gitea for the pull-request tests (scripts/provision-gitea.sh)", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    it("a Gitea already cached for the version (binary, templates, options) is used as it is, without Go", () => {
        const built = giteaBinary();
        const dir = tempDir("gitea-cached");
        const root = path.join(dir, "gitea", "v1.27.3");
        fs.mkdirSync(root, { recursive: true });
        for (const name of ["gitea", "templates", "options"]) {
            fs.symlinkSync(path.join(giteaHome(), name), path.join(root, name));
        }
        assert.strictEqual(fs.realpathSync(path.join(root, "gitea")), fs.realpathSync(built));
        const r = provision({ PULUMI_PROMOTIONS_CACHE: dir, PATH: pathWithoutGo() });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            `[gitea] cached gitea v1.27.3\n[gitea] gitea v1.27.3 at ${path.join(root, "gitea")}\n`,
        );
    });

    it("a cached binary without its templates is not taken for an install", () => {
        const dir = tempDir("gitea-no-templates");
        const root = path.join(dir, "gitea", "v1.27.3");
        fs.mkdirSync(root, { recursive: true });
        fs.symlinkSync(giteaBinary(), path.join(root, "gitea"));
        const r = provision({ PULUMI_PROMOTIONS_CACHE: dir, PATH: pathWithoutGo() });
        assert.strictEqual(r.status, 3, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /Gitea v1\.27\.3 is needed for the pull-request tests against a real git host, and Go is not available/,
        );
    });

    it("a version the module proxy does not have exits 3 with go's answer in the log's last lines", () => {
        const r = provision({ PROMOTIONS_GITEA_VERSION: "v9.9.9" });
        assert.strictEqual(r.status, 3, r.stdout + r.stderr);
        assert.match(r.stdout, /^\[gitea\] building Gitea v9\.9\.9 from its Go module/);
        assert.match(
            r.stderr,
            /error: fetching Gitea's Go module at v9\.9\.9 failed \(exit \d+, after \d+s\)\. The last lines of /,
        );
        assert.match(r.stderr, / {4}=== \[gitea\] go mod download -json code\.gitea\.io\/gitea@v9\.9\.9\n/);
        assert.match(r.stderr, /"Error": "code\.gitea\.io\/gitea@v9\.9\.9: /);
        assert.match(r.stderr, /what to do: check the version, GOPROXY/);
        assert.ok(r.stderr.includes(`(the whole log: ${r.log})`), r.stderr);
        assert.ok(
            !fs.existsSync(path.join(r.dir, "cache", "gitea", "v9.9.9", "gitea")),
            "no binary left behind",
        );
    });

    it("without Go and without a cached Gitea it says what to install and exits 3", () => {
        const r = provision({ PATH: pathWithoutGo() });
        assert.strictEqual(r.status, 3, r.stdout + r.stderr);
        assert.match(r.stderr, /install Go >= 1\.26\.4 with access to a Go module proxy/);
    });
});
