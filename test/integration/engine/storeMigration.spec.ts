import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { legacyAccessProject, legacyAccessStack, legacyRecordsProject } from "../../../engine/store/migrate";
import { openStack } from "../../../engine/pulumi/workspace";
import { tokens } from "../../../model/tokens";
import { runCli } from "../../support/cli";
import { testEngine } from "../../support/engine";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** A finished release as the versions before the release store kept it. */
function oldRecord(n: number): ReleaseRecord {
    return {
        id: `r20261101-12000${n}-00a${n}`,
        product: "web",
        flow: "seq",
        status: "Succeeded",
        createdAt: `2026-11-01T12:00:0${n}.000Z`,
        finishedAt: `2026-11-01T12:00:0${n}.500Z`,
        sourceApplication: "web-dev",
        sourceCommit: "0".repeat(40),
        environments: [],
        candidate: {},
        plan: { environments: [] },
        attempts: 1,
    } as unknown as ReleaseRecord;
}

/** A component with the outputs the old stacks' resources had. */
class Old extends pulumi.ComponentResource {
    constructor(type: string, name: string, outputs: Record<string, unknown>) {
        super(type, name, {});
        this.registerOutputs(outputs);
    }
}

/**
 * State written by the version before the release store (records, holds and cursors in `promotions-releases`
 * stacks, tokens in `promotions-access`) is copied into the store the first time it is used, once, saying so;
 * the old stacks are left as they were.
 */
describe("release store: state of the version before it", function () {
    this.timeout(300_000);
    after(removeTempDirs);

    it("records, an archive page, a hold, a cursor and a token are read, copied once, and the old stacks kept", async () => {
        const dir = tempDir("store-migration");
        const { args, env } = cliScenario(dir, {
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        });
        const backendUrl = `file://${path.join(dir, "state")}`;
        const engine = await testEngine();
        const write = async (project: string, stack: string, program: () => void) => {
            const s = await openStack({
                engine,
                backendUrl,
                passphrase: env.PULUMI_CONFIG_PASSPHRASE,
                projectName: project,
                stackName: stack,
                program: async () => {
                    program();
                    return {};
                },
            });
            await s.up();
        };
        await write(legacyRecordsProject, "web", () => {
            new Old("promotions:index:ReleaseRecord", oldRecord(3).id, { record: oldRecord(3) });
            new Old(tokens.Hold, "hold.qa", {
                hold: {
                    product: "web",
                    environment: "qa",
                    active: true,
                    reason: "freeze",
                    by: "ana",
                    at: "2026-11-01T00:00:00Z",
                },
            });
            new Old("promotions:index:WatchCursor", "cursor.web-dev", { sha: "c".repeat(40) });
        });
        await write(legacyRecordsProject, "web.archive-20261101T120002000Z-r1", () => {
            for (const n of [1, 2]) {
                new Old("promotions:index:ReleaseRecord", oldRecord(n).id, { record: oldRecord(n) });
            }
        });
        await write(legacyAccessProject, legacyAccessStack, () => {
            new Old(tokens.AccessToken, "t1", {
                token: {
                    id: "t1",
                    user: "ci",
                    groups: [],
                    hash: "h".repeat(64),
                    createdAt: "2026-11-01T00:00:00Z",
                    createdBy: "admin",
                },
            });
        });
        const oldStacks = path.join(dir, "state", ".pulumi", "stacks", legacyRecordsProject);
        const before = fs.readdirSync(oldStacks).sort();

        const listed = await runCli([...args, "releases", "--product", "web", "--json"], { env });
        assert.strictEqual(listed.code, 0, listed.stderr);
        assert.deepStrictEqual(
            (JSON.parse(listed.stdout) as ReleaseRecord[]).map((r) => r.id),
            [3, 2, 1].map((n) => oldRecord(n).id),
        );
        assert.match(
            listed.stderr,
            /note: product web: copied 3 release record\(s\), 1 hold\(s\), 1 watch cursor\(s\) from the stack\(s\) (web, web\.archive-\S+|web\.archive-\S+, web) into the release store/,
        );
        const holds = await runCli([...args, "holds", "--product", "web", "--json"], { env });
        assert.match(holds.stdout, /freeze/);
        const tokensListed = await runCli([...args, "token", "list", "--json"], { env });
        assert.strictEqual(tokensListed.code, 0, tokensListed.stderr);
        assert.match(tokensListed.stdout, /"t1"/);
        assert.match(tokensListed.stderr, /note: API tokens: copied 1 token\(s\)/);

        // Once: the next command copies nothing and says nothing; the old stacks are as they were.
        const again = await runCli([...args, "releases", "--product", "web", "--json"], { env });
        assert.strictEqual((JSON.parse(again.stdout) as unknown[]).length, 3);
        assert.doesNotMatch(again.stderr, /copied/);
        assert.deepStrictEqual(fs.readdirSync(oldStacks).sort(), before);
    });
});
