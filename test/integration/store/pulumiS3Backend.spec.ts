import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { enginePath, packageRoot } from "../../../engine/pulumi/engineLocator";
import { s3Store } from "../../../engine/store/s3";
import { testEngine } from "../../support/engine";
import type { S3Server } from "../../support/s3Server";
import { startS3Server } from "../../support/s3Server";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

const passphrase = "s3-backend-test-passphrase";
const secret = "tiny-secret-value-81c3";

/** A one-resource program: a dynamic resource (so the engine runs a provider) and a secret config value. */
function writeProgram(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: tiny\nruntime: nodejs\n");
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "tiny", private: true, main: "index.js" }),
    );
    fs.writeFileSync(
        path.join(dir, "index.js"),
        [
            `"use strict";`,
            `const pulumi = require("@pulumi/pulumi");`,
            `const provider = { async create(inputs) { return { id: "tiny-1", outs: inputs }; } };`,
            `class Tiny extends pulumi.dynamic.Resource {`,
            `    constructor(name, args, opts) { super(provider, name, args, opts); }`,
            `}`,
            `const tiny = new Tiny("tiny", { message: "hello from s3" });`,
            `exports.message = tiny.message;`,
            `exports.tokenLength = new pulumi.Config().requireSecret("token").apply((t) => t.length);`,
            ``,
        ].join("\n"),
    );
    fs.symlinkSync(path.join(packageRoot, "node_modules"), path.join(dir, "node_modules"));
}

describe("Pulumi's own DIY backend on the S3-compatible server (versitygw)", function () {
    this.timeout(600_000);
    let s: S3Server;

    before(async () => {
        s = await startS3Server("pulumi-state");
    });
    after(async () => {
        await s?.stop();
        removeTempDirs();
    });

    it("logs in to s3://… with an endpoint override; stack init, up and stack ls work; the store's objects sit beside", async () => {
        const engine = await testEngine();
        const dir = tempDir("s3-backend");
        const program = path.join(dir, "program");
        writeProgram(program);
        // The SDK v1 form that Pulumi translates (scheme-less endpoint, disableSSL) and the gocloud.dev v2 form.
        const legacyUrl = `s3://${s.bucket}?endpoint=127.0.0.1:${s.port}&disableSSL=true&s3ForcePathStyle=true&region=${s.region}`;
        const v2Url = `s3://${s.bucket}?endpoint=${encodeURIComponent(s.endpoint)}&use_path_style=true&region=${s.region}`;
        const env: Record<string, string> = {
            PATH: enginePath(engine, process.env.PATH ?? ""),
            HOME: path.join(dir, "home"),
            PULUMI_HOME: path.join(dir, "pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            ...s.env,
        };
        const pulumi = (args: string[], extra: Record<string, string> = {}) => {
            const r = spawnSync(engine.pulumi, [...args, "--non-interactive"], {
                cwd: program,
                env: { ...env, ...extra },
                encoding: "utf8",
            });
            assert.strictEqual(
                r.status,
                0,
                `pulumi ${args.join(" ")}:\n${r.stdout}\n${r.stderr}\n(versitygw: ${s.log()})`,
            );
            return r.stdout;
        };

        pulumi(["login", legacyUrl]);
        pulumi(["stack", "init", "dev"]);
        pulumi(["config", "set", "--secret", "token", secret]);
        pulumi(["up", "--yes", "--skip-preview"]);
        const outputs = JSON.parse(pulumi(["stack", "output", "--json", "--show-secrets"])) as Record<
            string,
            unknown
        >;
        assert.deepStrictEqual(outputs, { message: "hello from s3", tokenLength: secret.length });

        const stacks = JSON.parse(pulumi(["stack", "ls", "--json"])) as {
            name: string;
            resourceCount?: number;
        }[];
        assert.deepStrictEqual(
            stacks.map((x) => [x.name, x.resourceCount]),
            [["dev", 3]],
            "the stack, its provider and the resource",
        );
        // The same state through the v2 URL form (PULUMI_BACKEND_URL overrides the login).
        const viaV2 = JSON.parse(pulumi(["stack", "ls", "--json"], { PULUMI_BACKEND_URL: v2Url })) as {
            name: string;
        }[];
        assert.deepStrictEqual(
            viaV2.map((x) => x.name),
            ["dev"],
        );

        // Pulumi's objects are in the bucket (versitygw's posix backend keeps them as files), its secret encrypted.
        const bucketDir = path.join(s.dataDir, s.bucket);
        assert.ok(fs.existsSync(path.join(bucketDir, ".pulumi", "stacks", "tiny", "dev.json")));
        assert.deepStrictEqual(
            filesContaining(bucketDir, secret),
            [],
            "the secret is never stored in plain text",
        );

        // The coordination store on the very same URL keeps its objects beside .pulumi/, and Pulumi is undisturbed.
        const store = s3Store(legacyUrl, s.env);
        const v = await store.put("releases/tiny/r1", { status: "Succeeded" }, { ifAbsent: true });
        assert.ok(v !== undefined);
        assert.ok(fs.existsSync(path.join(bucketDir, ".promotions", "releases", "tiny", "r1")));
        pulumi(["up", "--yes", "--skip-preview"]);
        const after = JSON.parse(pulumi(["stack", "history", "--json"])) as {
            kind: string;
            result: string;
        }[];
        assert.deepStrictEqual(
            after.map((u) => [u.kind, u.result]),
            [
                ["update", "succeeded"],
                ["update", "succeeded"],
            ],
        );
        assert.deepStrictEqual(await store.get("releases/tiny/r1"), {
            value: { status: "Succeeded" },
            version: v,
        });
    });
});
