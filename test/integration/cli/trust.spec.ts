import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Definitions } from "../../../components/catalog";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { expectRefused } from "../../support/badInput";
import { runCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { cliScenario, fourStages, writeConfigModule } from "../../support/scenario";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** dev → qa → staging → prod; the pre-action fails for version 1.1.0 in staging. */
function setup(name: string) {
    const dir = tempDir(name);
    const s = cliScenario(dir, {
        ...fourStages,
        policies: [
            { name: "checked", priority: 1, selector: {}, policy: { action: "commit", preAction: "check" } },
        ],
        workflows: [
            {
                kind: "local",
                name: "check",
                command: `test "$VERSION-$ENVIRONMENT" != "1.1.0-staging" || { echo "1.1.0 is broken in staging"; exit 1; }`,
            },
        ],
    });
    return { dir, ...s, state: path.join(dir, "state") };
}

function ship(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
}

const statuses = (r: ReleaseRecord) => r.environments.map((e) => `${e.name}:${e.status}`);

describe("trust: gates cannot be bypassed, Succeeded means succeeded, no silent rollback", function () {
    this.timeout(600_000);
    after(removeTempDirs);

    it("refuses an application path that does not exist, before anything is written or run (exit 2)", async () => {
        const { dir, repo, args, env, defs, state } = setup("typo");
        ship(repo, "1.0.1");
        const typo: Definitions = {
            ...defs,
            products: defs.products!.map((p) => ({
                ...p,
                applications: p.applications!.map((a) =>
                    a.environment === "qa" ? { ...a, path: "apps/web/qaa" } : a,
                ),
            })),
        };
        fs.mkdirSync(path.join(dir, "typo"));
        const config = writeConfigModule(path.join(dir, "typo"), typo);
        const withTypo = ["--config", config, "--state", `file://${state}`];
        await expectRefused(
            {
                name: "typo in an application path",
                args: [...withTypo, "trigger", "--product", "web", "--flow", "seq"],
                env,
                exitCode: 2,
                message: [
                    /application "web-qa": path "apps\/web\/qaa" does not exist at main [0-9a-f]{12}/,
                    /spec\.source\.path/,
                ],
            },
            { repos: [repo.bare], dirs: [state] },
        );
        // And a promoted file the target lacks.
        repo.remove(["apps/web/prod/values.yaml"], "drop prod values");
        await expectRefused(
            {
                name: "a promoted file missing in the target",
                args: [...args, "preview", "--product", "web", "--flow", "seq"],
                env,
                exitCode: 2,
                message: [/application "web-prod": promoted file "apps\/web\/prod\/values\.yaml" missing/],
            },
            { repos: [repo.bare], dirs: [state] },
        );
    });

    it("keeps dependents of a failure Pending, and refuses to retry a superseded release unless --force-older", async () => {
        const { repo, args, env } = setup("supersede");
        const trigger = async () => {
            const r = await runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], {
                env,
            });
            return { code: r.code, record: JSON.parse(r.stdout) as ReleaseRecord, stderr: r.stderr };
        };

        ship(repo, "1.1.0");
        const broken = await trigger();
        assert.strictEqual(broken.code, 1, broken.stderr);
        assert.deepStrictEqual(statuses(broken.record), ["qa:Succeeded", "staging:Failed", "prod:Pending"]);

        ship(repo, "1.2.0");
        const good = await trigger();
        assert.strictEqual(good.code, 0, good.stderr);
        assert.deepStrictEqual(statuses(good.record), [
            "qa:Succeeded",
            "staging:Succeeded",
            "prod:Succeeded",
        ]);

        // The product now has earlier releases everywhere: a failure's dependents still stay Pending.
        ship(repo, "1.1.0");
        const again = await trigger();
        assert.strictEqual(again.code, 1);
        assert.deepStrictEqual(statuses(again.record), ["qa:Succeeded", "staging:Failed", "prod:Pending"]);
        const prod = again.record.environments[2].applications[0];
        assert.strictEqual(prod.commitSha, undefined, "no commit recorded for prod");
        assert.match(repo.read("apps/web/prod/values.yaml"), /tag: "1.2.0"/, "prod still runs 1.2.0");

        // Retrying the first release would write 1.1.0 over 1.2.0 in staging and prod: refused, nothing written.
        await expectRefused(
            {
                name: "retry of a superseded release",
                args: [...args, "retry", broken.record.id],
                env,
                exitCode: 2,
                message: [
                    new RegExp(`${good.record.id} \\(1\\.2\\.0\\) succeeded in qa, staging, prod`),
                    /--force-older/,
                ],
            },
            { repos: [repo.bare] },
        );

        // --force-older says so explicitly: the retry runs (and fails in staging again, as 1.1.0 does).
        const forced = await runCli([...args, "retry", broken.record.id, "--force-older", "--json"], { env });
        assert.strictEqual(forced.code, 1, forced.stderr);
        assert.deepStrictEqual(statuses(JSON.parse(forced.stdout) as ReleaseRecord), [
            "qa:Succeeded",
            "staging:Failed",
            "prod:Pending",
        ]);
    });

    it("two triggers of one product on a fresh state both succeed (one waits its turn)", async () => {
        const { repo, args, env } = setup("fresh");
        ship(repo, "1.3.0");
        const both = await Promise.all(
            [0, 1].map(() =>
                runCli([...args, "trigger", "--product", "web", "--flow", "seq", "--json"], { env }),
            ),
        );
        for (const r of both) {
            assert.strictEqual(r.code, 0, r.stdout + r.stderr);
            assert.strictEqual((JSON.parse(r.stdout) as ReleaseRecord).status, "Succeeded");
        }
    });
});
