import * as assert from "assert";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { BadInputCase, Untouched } from "../../support/badInput";
import { assertUnchanged, expectRefused, settledSnapshot, snapshot } from "../../support/badInput";
import type { RunningCli } from "../../support/cli";
import { runCli, startCli } from "../../support/cli";
import { cliScenario } from "../../support/scenario";
import { removeTempDirs } from "../../support/tmp";

/**
 * Bad input to the real CLI: every case exits with its documented code and a message naming the flag or the
 * entity, prints no stack trace, and leaves the repository's refs and the state directory alone.
 */
describe("promote: bad input is refused", function () {
    this.timeout(120_000);
    // Made when the file loads (the cases name paths in it), so not through tempDir(): another spec's
    // removeTempDirs() runs before these cases do. This suite removes it itself.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-bad-input-"));
    after(() => {
        removeTempDirs();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const { repo, args, env } = cliScenario(dir, {
        environments: [{ name: "dev" }, { name: "qa" }, { name: "prod", kind: "production" }],
        flows: [
            {
                name: "seq",
                triggerEnvironment: "dev",
                steps: [
                    { environment: "qa", dependsOn: ["dev"] },
                    { environment: "prod", dependsOn: ["qa"] },
                ],
            },
        ],
    });
    const config = args.slice(0, 2);
    const state = path.join(dir, "state");
    const untouched: Untouched = { repos: [repo.bare], dirs: [state] };
    const secret = { PROMOTIONS_WEBHOOK_SECRET: "webhook-secret" };

    before(async () => {
        // The state exists before the cases run (reading it must not change it).
        const r = await runCli([...args, "releases", "--product", "web"], { env });
        assert.strictEqual(r.code, 0, r.stderr);
    });

    const cases: readonly (Omit<BadInputCase, "env"> & { env?: Record<string, string> })[] = [
        {
            name: "unknown command",
            args: ["frobnicate"],
            exitCode: 2,
            message: [/unknown command 'frobnicate'/, /commands:/],
        },
        {
            name: "unknown flag",
            args: ["preview", "--product", "web", "--flow", "seq", "--colour", "red"],
            exitCode: 2,
            message: [/unknown option --colour for 'preview'/, /usage: promote preview --product P/],
        },
        {
            name: "a flag of another command (--once is watch's)",
            args: ["trigger", "--product", "web", "--flow", "seq", "--once"],
            exitCode: 2,
            message: [/unknown option --once for 'trigger'/],
        },
        {
            name: "missing required flag",
            args: ["trigger", "--flow", "seq"],
            exitCode: 2,
            message: [/missing --product: the product to release/, /usage: promote trigger/],
        },
        {
            name: "flag without value",
            args: ["preview", "--flow", "seq", "--product"],
            exitCode: 2,
            message: [/option --product needs a value/],
        },
        {
            name: "boolean flag with a value",
            args: ["releases", "--product", "web", "--json=yes"],
            exitCode: 2,
            message: [/option --json takes no value/],
        },
        {
            name: "stray argument",
            args: ["releases", "--product", "web", "extra"],
            exitCode: 2,
            message: [/unexpected argument 'extra' for 'releases'/],
        },
        {
            name: "--format nonsense",
            args: ["graph", "--flow", "seq", "--format", "nonsense"],
            exitCode: 2,
            message: [/unknown --format "nonsense": text, mermaid, dot/],
        },
        {
            name: "--interval 0",
            args: ["watch", "--interval", "0"],
            exitCode: 2,
            message: [/--interval "0": a positive duration such as 30s or 5m/],
        },
        {
            name: "--port 99999",
            args: ["serve", "--port", "99999"],
            env: secret,
            exitCode: 2,
            message: [/--port "99999": a port number from 0 to 65535/],
        },
        {
            name: "--host that is not an address of this machine",
            args: ["serve", "--port", "0", "--host", "no-such-host.invalid", "--insecure-no-auth"],
            env: secret,
            exitCode: 2,
            message: [/"no-such-host\.invalid" is not an address of this machine/],
        },
        {
            name: "--host beyond loopback without --insecure-no-auth",
            args: ["serve", "--port", "0", "--host", "0.0.0.0"],
            env: secret,
            exitCode: 2,
            message: [/--host 0\.0\.0\.0 would expose the API .* add --insecure-no-auth/],
        },
        {
            name: "--action merge",
            args: ["promote", "--product", "web", "--from", "dev", "--to", "qa", "--action", "merge"],
            exitCode: 2,
            message: [/unknown --action "merge": commit, pr, none/],
        },
        {
            name: "--from = --to",
            args: ["preview", "--product", "web", "--from", "qa", "--to", "qa"],
            exitCode: 2,
            message: [/--from and --to are both "qa"/],
        },
        {
            name: "--state gopher://x",
            stateless: true,
            args: ["--state", "gopher://x", "releases", "--product", "web"],
            exitCode: 3,
            message: [
                /neither Pulumi nor the release store can use the state backend "gopher:\/\/x" \(--state\)/,
                /--state file:\/\/DIR/,
            ],
        },
        {
            name: "a --config that does not exist",
            stateless: true,
            args: ["--config", path.join(dir, "nope"), "graph", "--flow", "seq"],
            exitCode: 2,
            message: [/nope does not exist: pass --config/],
        },
        {
            name: "PROMOTIONS_GIT_TOKENS that is not JSON",
            args: ["releases", "--product", "web"],
            env: { PROMOTIONS_GIT_TOKENS: "github.com=abc" },
            exitCode: 2,
            message: [/PROMOTIONS_GIT_TOKENS must be JSON/],
        },
        {
            name: "unknown product",
            args: ["preview", "--product", "nope", "--flow", "seq"],
            exitCode: 2,
            message: [/unknown product "nope": one of web/],
        },
        {
            name: "unknown product for watch",
            args: ["watch", "--once", "--product", "web,nope"],
            exitCode: 2,
            message: [/unknown product "nope" \(--product\): one of web/],
        },
        {
            name: "unknown flow",
            args: ["trigger", "--product", "web", "--flow", "nope"],
            exitCode: 2,
            message: [/unknown flow "nope": one of seq/],
        },
        {
            name: "unknown flow for graph",
            args: ["graph", "--flow", "nope"],
            exitCode: 2,
            message: [/unknown flow "nope" \(--flow\): one of seq/],
        },
        {
            name: "unknown environment",
            args: ["promote", "--product", "web", "--from", "dev", "--to", "nowhere"],
            exitCode: 2,
            message: [/unknown environment "nowhere"/],
        },
        {
            name: "--source-commit not in the repository",
            args: [
                "preview",
                "--product",
                "web",
                "--flow",
                "seq",
                "--source-commit",
                "0123456789abcdef0123456789abcdef01234567",
            ],
            exitCode: 2,
            message: [
                /source commit "0123456789abcdef0123456789abcdef01234567" is not in file:\/\/\S+gitops\.git/,
            ],
        },
        {
            name: "release of an unknown id",
            args: ["release", "r-nope"],
            exitCode: 2,
            message: [/no release "r-nope"/],
        },
        {
            name: "retry of an unknown id",
            args: ["retry", "r-nope"],
            exitCode: 2,
            message: [/no release "r-nope"/],
        },
        {
            name: "terminate without an id",
            args: ["terminate"],
            exitCode: 2,
            message: [/missing release ID: promote terminate ID/],
        },
    ].map((c) => ({
        ...c,
        args: "stateless" in c && c.stateless ? [...config, ...c.args] : [...args, ...c.args],
    }));

    for (const c of cases) {
        it(c.name, async () => {
            await expectRefused({ ...c, env: { ...env, ...c.env } }, untouched);
        });
    }

    it("serve on a busy port: exit 3 naming the port", async () => {
        const busy = net.createServer();
        await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
        try {
            const port = (busy.address() as AddressInfo).port;
            await expectRefused(
                {
                    name: "busy port",
                    args: [...args, "serve", "--port", String(port)],
                    env: { ...env, ...secret },
                    exitCode: 3,
                    message: [new RegExp(`127\\.0\\.0\\.1:${port}: the port is already in use`)],
                },
                untouched,
            );
        } finally {
            busy.close();
        }
    });

    describe("webhooks against a running serve", () => {
        let server: RunningCli;
        let port: number;

        before(async () => {
            server = startCli([...args, "serve", "--port", "0"], { env: { ...env, ...secret } });
            await server.waitFor(/listening on (http:\S+)/);
            port = Number(new URL(/listening on (http:\S+)/.exec(server.output())![1]).port);
            // serve reads its trigger branches and its waiting releases as it starts; compare against the state
            // once that is done.
            await settledSnapshot(untouched);
        });

        after(async () => {
            server.child.kill("SIGTERM");
            const done = await server.done;
            assert.strictEqual(done.code, 0, done.stderr);
        });

        /** POSTs `body` (or `size` bytes) and resolves with the status; the server may close while we still send. */
        function post(headers: http.OutgoingHttpHeaders, body: Buffer): Promise<number | undefined> {
            return new Promise((resolve) => {
                const req = http.request({
                    host: "127.0.0.1",
                    port,
                    path: "/webhooks/github",
                    method: "POST",
                    headers: { "Content-Length": body.length, "X-GitHub-Event": "push", ...headers },
                    agent: false,
                });
                req.on("response", (res) => {
                    res.resume();
                    resolve(res.statusCode);
                });
                req.on("error", () => resolve(undefined));
                req.end(body);
            });
        }
        const sign = (body: Buffer) =>
            `sha256=${createHmac("sha256", secret.PROMOTIONS_WEBHOOK_SECRET).update(body).digest("hex")}`;
        const big = Buffer.alloc(2 * 1024 * 1024, "x");
        const payload = Buffer.from(JSON.stringify({ ref: "refs/heads/main", marker: "PAYLOAD-MARKER" }));

        const hooks: readonly {
            name: string;
            headers: () => http.OutgoingHttpHeaders;
            body: Buffer;
            status: number;
            log: RegExp;
        }[] = [
            {
                name: "unsigned",
                headers: () => ({ "X-GitHub-Delivery": "d-unsigned" }),
                body: payload,
                status: 401,
                log: /rejected webhook delivery d-unsigned: bad or missing X-Hub-Signature-256/,
            },
            {
                name: "a malformed signature",
                headers: () => ({ "X-GitHub-Delivery": "d-malformed", "X-Hub-Signature-256": "sha1=abc" }),
                body: payload,
                status: 401,
                log: /rejected webhook delivery d-malformed: bad or missing X-Hub-Signature-256/,
            },
            {
                name: "a bad signature",
                headers: () => ({
                    "X-GitHub-Delivery": "d-forged",
                    "X-Hub-Signature-256": `sha256=${"0".repeat(64)}`,
                }),
                body: payload,
                status: 401,
                log: /rejected webhook delivery d-forged: bad or missing X-Hub-Signature-256/,
            },
            {
                name: "a signed body over 1 MiB",
                headers: () => ({ "X-GitHub-Delivery": "d-large", "X-Hub-Signature-256": sign(big) }),
                body: big,
                status: 413,
                log: /rejected webhook delivery d-large: body of 2097152 bytes, over 1048576/,
            },
        ];
        for (const h of hooks) {
            it(`${h.name} webhook: ${h.status}`, async () => {
                const before = snapshot(untouched);
                assert.strictEqual(await post(h.headers(), h.body), h.status);
                await server.waitFor(h.log, 10_000);
                assert.ok(!server.output().includes("PAYLOAD-MARKER"), "the payload is never logged");
                assert.doesNotMatch(server.output(), /reading trigger branches/, "nothing was triggered");
                assertUnchanged(before, untouched, h.name);
            });
        }
    });
});
