import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { assertUnchanged, snapshot } from "../../support/badInput";
import { runCli } from "../../support/cli";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * Commands that only read (issue 23, item 13) write nothing to the state: not a records stack for a product that
 * has none yet, not for an id that is a path. The state directory is compared file by file before and after.
 */
describe("promote: read commands write nothing", function () {
    this.timeout(300_000);

    let args: string[];
    let env: Record<string, string>;
    let state: string;

    before(async () => {
        const dir = tempDir("read-only");
        const s = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        });
        ({ args, env } = s);
        state = path.join(dir, "state");
        // A state in use (an API token in it), where no product has released yet.
        const made = await runCli([...args, "token", "create", "--user", "ci", "--as", "admin"], { env });
        assert.strictEqual(made.code, 0, made.stderr);
        assert.ok(fs.existsSync(path.join(state, ".promotions", "store", "access")));
    });

    after(() => removeTempDirs());

    const reads: { args: string[]; code: number; stderr?: RegExp }[] = [
        { args: ["validate"], code: 0 },
        { args: ["graph", "--flow", "seq"], code: 0 },
        { args: ["doctor"], code: 0 },
        { args: ["token", "list"], code: 0 },
        { args: ["releases", "--product", "web"], code: 0 },
        { args: ["holds", "--product", "web"], code: 0 },
        { args: ["preview", "--product", "web", "--flow", "seq"], code: 0 },
        // A real `pulumi preview`: on a scratch stack, since the product has no promote stack yet.
        { args: ["preview", "--product", "web", "--flow", "seq", "--engine"], code: 0 },
        {
            args: ["release", "../../../../etc/passwd"],
            code: 2,
            stderr: /"\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" is not a release id: ids are letters, digits/,
        },
        { args: ["release", "r20261123-120000-1a2b"], code: 2, stderr: /no release "r20261123-120000-1a2b"/ },
        { args: ["release", "r20261123-120000-1a2b", "--json"], code: 2 },
    ];

    for (const read of reads) {
        it(`${read.args.join(" ")}: exit ${read.code}, the state unchanged`, async () => {
            const before = snapshot({ dirs: [state] });
            const r = await runCli([...args, ...read.args], { env });
            assert.strictEqual(r.code, read.code, `${r.stdout}\n${r.stderr}`);
            if (read.stderr) {
                assert.match(r.stderr, read.stderr);
            }
            assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
            assertUnchanged(before, { dirs: [state] }, read.args.join(" "));
            assert.ok(
                !fs.existsSync(path.join(state, ".promotions", "store", "releases")),
                "a record was written",
            );
            for (const project of ["promotions-releases", "promotions"]) {
                assert.ok(
                    !fs.existsSync(path.join(state, ".pulumi", "stacks", project)),
                    `a stack of ${project} was created`,
                );
            }
        });
    }
});
