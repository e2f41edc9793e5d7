import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { removeTempDirs, tempDir } from "../../support/tmp";

const script = path.join(packageRoot, "scripts", "provision-helm.sh");

/** Runs scripts/provision-helm.sh with its cache and install log in a fresh directory. */
function provision(env: Record<string, string>) {
    const dir = tempDir("provision-helm");
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
    for (const tool of ["bash", "node", "dirname", "cat", "mkdir", "rm", "sed", "tail", "mv", "head"]) {
        const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        assert.ok(found, `${tool} is not on PATH`);
        fs.symlinkSync(found, path.join(bin, tool));
    }
    return bin;
}

/** The Helm install.sh built (test/integration/chart needs it as well). */
function builtHelm(): string {
    const cache =
        process.env.PULUMI_PROMOTIONS_CACHE ??
        path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-promotions");
    return path.join(cache, "helm", "v4.3.2", "helm");
}

describe("Helm for the chart's tests (scripts/provision-helm.sh)", function () {
    this.timeout(120_000);
    after(removeTempDirs);

    it("a Helm already cached for the version is used as it is, without Go", () => {
        assert.ok(fs.existsSync(builtHelm()), `no Helm at ${builtHelm()}: run 'bash scripts/install.sh'`);
        const dir = tempDir("helm-cached");
        const cached = path.join(dir, "helm", "v4.3.2", "helm");
        fs.mkdirSync(path.dirname(cached), { recursive: true });
        fs.copyFileSync(builtHelm(), cached);
        fs.chmodSync(cached, 0o755);
        // No go on PATH: node and the shell's tools only.
        const r = provision({
            PULUMI_PROMOTIONS_CACHE: dir,
            PATH: path.dirname(process.execPath) + ":/usr/bin:/bin",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, `[helm] cached helm v4.3.2\n[helm] helm v4.3.2 at ${cached}\n`);
    });

    it("a build that cannot fetch Helm's module exits 3 with the log's last lines and what to do", () => {
        const r = provision({ PROMOTIONS_HELM_VERSION: "v4.99.0" });
        assert.strictEqual(r.status, 3, r.stdout + r.stderr);
        assert.match(r.stdout, /^\[helm\] building Helm v4\.99\.0 from its Go module/);
        assert.match(
            r.stderr,
            /error: fetching Helm's Go module at v4\.99\.0 failed \(exit \d+, after \d+s\)\. The last lines of /,
        );
        assert.match(r.stderr, / {4}=== \[helm\] go get helm\.sh\/helm\/v4\/cmd\/helm@v4\.99\.0\n/);
        assert.match(r.stderr, /what to do: check GOPROXY/);
        assert.ok(r.stderr.includes(`(the whole log: ${r.log})`), r.stderr);
        assert.ok(
            !fs.existsSync(path.join(r.dir, "cache", "helm", "v4.99.0", "helm")),
            "no binary left behind",
        );
    });

    it("without Go and without a cached Helm it says what to install and exits 3", () => {
        const r = provision({ PATH: pathWithoutGo() });
        assert.strictEqual(r.status, 3, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /Helm v4\.3\.2 is needed for the chart tests, and Go is not available to build it/,
        );
        assert.match(r.stderr, /install Go >= 1\.26\.0/);
    });
});
