import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../../../engine/pulumi/engineLocator";
import { startCli } from "../../support/cli";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * The README's tutorial, run as written (issue 28): the shell block between `<!-- tutorial -->` and
 * `<!-- /tutorial -->`, in a directory laid out like a fresh checkout, with `npx promote` running this
 * checkout's bin/promote. Its last line (`npx promote serve`) is started apart, on a free port, and asked
 * for the release the block made.
 */
function tutorialScript(): { script: string; serve: string } {
    const readme = fs.readFileSync(path.join(packageRoot, "README.md"), "utf8");
    const block = /<!-- tutorial -->\n```sh\n([\s\S]*?)```\n<!-- \/tutorial -->/.exec(readme)?.[1];
    assert.ok(block, "README.md has a tutorial block between <!-- tutorial --> and <!-- /tutorial -->");
    const lines = block.trimEnd().split("\n");
    const serve = lines.pop()!;
    assert.match(serve, /^npx promote serve\b/, "the tutorial ends by starting the console");
    return { script: lines.join("\n"), serve };
}

describe("the README's tutorial", function () {
    this.timeout(900_000);
    after(removeTempDirs);

    it("runs as written: doctor, a repository, init, validate, graph, preview, a first release, the console", async () => {
        const { script, serve } = tutorialScript();
        // A fresh checkout as the tutorial sees it: the fixtures it copies, and no definitions yet.
        const checkout = tempDir("tutorial");
        fs.symlinkSync(path.join(packageRoot, "test"), path.join(checkout, "test"));
        const promote = path.join(packageRoot, "bin", "promote");
        const env = {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: tempDir("tutorial-home"),
            NO_COLOR: "1",
            GIT_AUTHOR_NAME: "Tutorial Reader",
            GIT_AUTHOR_EMAIL: "reader@example.com",
            GIT_COMMITTER_NAME: "Tutorial Reader",
            GIT_COMMITTER_EMAIL: "reader@example.com",
        };
        const npx = `npx() { if [ "$1" = promote ]; then shift; ${JSON.stringify(promote)} "$@"; else command npx "$@"; fi; }`;
        const run = spawnSync("bash", ["-eo", "pipefail", "-c", `${npx}\n${script}`], {
            cwd: checkout,
            env,
            encoding: "utf8",
            timeout: 600_000,
        });
        const out = `${run.stdout}${run.stderr}`;
        assert.strictEqual(run.status, 0, out);
        assert.match(out, /no definitions at \.\/promotions: run `promote init` or `npm run demo`/);
        assert.match(out, /environments: dev, qa, staging, prod, prod-asia, prod-eu/);
        assert.match(out, /product demo-trioapp: 6 applications/);
        assert.match(out, /^valid: 6 environments, 1 product \(6 applications\)/m);
        assert.match(out, /qa {2}commit {2}would change {2}after dev/);
        assert.match(out, /release r\S+ +demo-trioapp .*Succeeded/);

        // The release reached every environment after dev, in the repository itself.
        const repo = path.join(checkout, ".promotions", "tutorial", "gitops.git");
        for (const e of ["qa", "staging", "prod", "prod-asia", "prod-eu"]) {
            const values = spawnSync(
                "git",
                ["--git-dir", repo, "show", `main:demo-applications/trioapp-${e}/values.yaml`],
                { encoding: "utf8" },
            ).stdout;
            assert.match(values, /buslog:\n {2}image:\n {4}tag: main-1234567/, e);
        }

        // Step 5, as written but on a free port: the console serves the release the block made.
        const args = serve.replace(/^npx promote /, "").split(/\s+/);
        const server = startCli([...args, "--port", "0"], {
            cwd: path.join(checkout, ".promotions", "tutorial"),
            env,
        });
        try {
            await server.waitFor(/listening on http:\S+/);
            const url = /listening on (http:\S+)/.exec(server.output())![1].replace(/\/$/, "");
            const page = await fetch(`${url}/`);
            assert.strictEqual(page.status, 200);
            const body = (await (await fetch(`${url}/api/v1/releases?product=demo-trioapp`)).json()) as {
                releases?: { status: string; initiator?: { user: string } }[];
            };
            assert.deepStrictEqual(
                (body.releases ?? []).map((r) => r.status),
                ["Succeeded"],
                JSON.stringify(body),
            );
        } finally {
            server.killGroup();
        }
    });
});
