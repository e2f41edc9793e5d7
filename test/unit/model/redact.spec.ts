import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { isSecretEnvName, redact, redactDeep, secrets } from "../../../model/redact";
import { gateEnvironment } from "../../../provider/workflows/local.env";
import { removeTempDirs, tempDir } from "../../support/tmp";

describe("redact", () => {
    after(removeTempDirs);

    it("replaces every occurrence of a registered secret, and its URL-encoded form", () => {
        secrets.add("tok-en/with+chars");
        assert.strictEqual(
            redact("a tok-en/with+chars b tok-en/with+chars https://x:tok-en%2Fwith%2Bchars@host"),
            "a *** b *** https://x:***@host",
        );
    });

    it("ignores values shorter than 4 characters", () => {
        secrets.add("abc");
        secrets.add("");
        secrets.add(undefined);
        assert.strictEqual(redact("abc abcd"), "abc abcd");
    });

    it("replaces a secret containing another one whole", () => {
        secrets.add("inner-secret");
        secrets.add("outer-inner-secret-x");
        assert.strictEqual(redact("outer-inner-secret-x"), "***");
    });

    it("redactDeep redacts every string of a record, keeping keys and other values", () => {
        secrets.add("deep-secret-1");
        const record = {
            id: "r1",
            count: 3,
            ok: true,
            none: null,
            environments: [{ error: "push failed: deep-secret-1 rejected", runs: ["log deep-secret-1"] }],
        };
        assert.deepStrictEqual(redactDeep(record), {
            id: "r1",
            count: 3,
            ok: true,
            none: null,
            environments: [{ error: "push failed: *** rejected", runs: ["log ***"] }],
        });
        assert.match(record.environments[0].error, /deep-secret-1/, "the input is not changed");
    });

    it("names our credentials: the listed variables and PROMOTIONS_*TOKEN*, *SECRET*, *PASSPHRASE*", () => {
        for (const name of [
            "PROMOTIONS_GIT_TOKEN",
            "PROMOTIONS_GIT_TOKENS",
            "PULUMI_CONFIG_PASSPHRASE",
            "PULUMI_CONFIG_PASSPHRASE_FILE",
            "PULUMI_ACCESS_TOKEN",
            "PROMOTIONS_ARGOCD_TOKEN",
            "PROMOTIONS_WEBHOOK_SECRET",
            "PROMOTIONS_GITLAB_TOKEN",
            "PROMOTIONS_OTHER_SECRET_KEY",
        ]) {
            assert.ok(isSecretEnvName(name), name);
        }
        for (const name of ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "PROMOTIONS_ARGO_URL", "PATH"]) {
            assert.ok(!isSecretEnvName(name), name);
        }
    });

    it("counts the code hosts' token and webhook variables PROMOTIONS_HOSTS names as secrets: redacted, never given to a gate", () => {
        const env = {
            PROMOTIONS_HOSTS: JSON.stringify([
                {
                    prefix: "https://gitlab.example.com/",
                    kind: "gitlab",
                    tokenEnv: "CORP_GITLAB",
                    webhookSecretEnv: "CORP_HOOK",
                },
            ]),
            CORP_GITLAB: "glpat-host-token-value",
            CORP_HOOK: "host-hook-secret-value",
            PATH: "/usr/bin",
        };
        assert.ok(isSecretEnvName("CORP_GITLAB", env) && isSecretEnvName("CORP_HOOK", env));
        assert.ok(!isSecretEnvName("CORP_GITLAB", {}));
        secrets.addFromEnv(env);
        try {
            assert.strictEqual(
                redact("token glpat-host-token-value, hook host-hook-secret-value"),
                "token ***, hook ***",
            );
            assert.deepStrictEqual(gateEnvironment(env, ["CORP_*"]), { PATH: "/usr/bin" });
        } finally {
            secrets.forget("glpat-host-token-value");
            secrets.forget("host-hook-secret-value");
        }
    });

    it("is seeded from the environment when first used: tokens, each PROMOTIONS_GIT_TOKENS value, the passphrase file", () => {
        const dir = tempDir("redact");
        const passFile = path.join(dir, "passphrase");
        fs.writeFileSync(passFile, "file-passphrase\n");
        const env = {
            PATH: process.env.PATH,
            PROMOTIONS_GIT_TOKEN: "git-token-1",
            PROMOTIONS_GIT_TOKENS: JSON.stringify({ "github.com": "gh-token-2", "gitlab.com": "gl-token-3" }),
            PULUMI_CONFIG_PASSPHRASE: "state-pass-4",
            PULUMI_CONFIG_PASSPHRASE_FILE: passFile,
            PROMOTIONS_ARGO_TOKEN: "argo-token-5",
            PROMOTIONS_WEBHOOK_SECRET: "hook-secret-6",
            PROMOTIONS_CUSTOM_TOKEN_X: "custom-token-7",
            NOT_A_SECRET: "plain-value-8",
            PROMOTIONS_SCM_TOKEN: "ab", // too short
        };
        const text = Object.values(env).join(" ") + " file-passphrase";
        const out = execFileSync(
            process.execPath,
            [
                "-e",
                `process.stdout.write(require(${JSON.stringify(path.resolve(__dirname, "../../../model/redact"))}).redact(process.argv[1]))`,
                text,
            ],
            { env, encoding: "utf8" },
        );
        for (const secret of ["git-token-1", "gh-token-2", "gl-token-3", "state-pass-4", "file-passphrase"]) {
            assert.ok(!out.includes(secret), `${secret} in ${out}`);
        }
        for (const secret of ["argo-token-5", "hook-secret-6", "custom-token-7"]) {
            assert.ok(!out.includes(secret), `${secret} in ${out}`);
        }
        assert.match(out, /plain-value-8/);
        assert.match(out, / ab /);
        assert.ok(out.includes(passFile), "the passphrase file's path is no secret");
        assert.match(out, /\{"github\.com":"\*\*\*","gitlab\.com":"\*\*\*"\}/, "hosts are no secrets");
    });
});
