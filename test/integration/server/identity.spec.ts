import * as assert from "assert";
import * as path from "path";
import type { RunningCli } from "../../support/cli";
import { runCli, startCli } from "../../support/cli";
import type { GitopsRepo } from "../../support/gitops";
import { OidcIssuer } from "../../support/oidcIssuer";
import { cliScenario } from "../../support/scenario";
import { filesContaining, removeTempDirs, tempDir } from "../../support/tmp";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ship(repo: GitopsRepo, version: string): void {
    repo.edit("apps/web/dev/values.yaml", (t) => t.replace(/tag: "[^"]*"/, `tag: "${version}"`));
    repo.edit("apps/web/dev/Chart.yaml", (t) => t.replace(/appVersion: "[^"]*"/, `appVersion: "${version}"`));
}

interface Answer {
    readonly status: number;
    readonly text: string;
    readonly body: Record<string, unknown>;
}

/**
 * `promote serve` as users run it, with API tokens made by the CLI, an OIDC stand-in issuer and a trusted
 * proxy range the test's own address is not in: every bad credential is a 401 that changes nothing, good ones
 * reach /api/v1/me as the right subject, and a token never shows up in the state, the server's log or an answer.
 */
describe("promote serve: identities", function () {
    this.timeout(180_000);

    let dir: string;
    let repo: GitopsRepo;
    let args: string[];
    let env: Record<string, string>;
    let issuer: OidcIssuer;
    let serve: RunningCli;
    let base: string;
    const answers: string[] = [];
    const cliOutput: string[] = [];

    async function call(
        method: string,
        p: string,
        headers: Record<string, string>,
        body?: unknown,
    ): Promise<Answer> {
        const res = await fetch(`${base}${p}`, {
            method,
            headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        answers.push(text);
        return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
    }

    async function cli(...rest: string[]) {
        const r = await runCli([...args, ...rest], { env });
        assert.strictEqual(r.code, 0, r.stderr);
        return r;
    }

    /** A token made by `promote token create` (its stdout is the token alone): the token and its id. */
    async function createToken(user: string, ...groups: string[]): Promise<{ token: string; id: string }> {
        const r = await cli(
            "token",
            "create",
            "--user",
            user,
            ...groups.flatMap((g) => ["--group", g]),
            "--as",
            "admin",
        );
        cliOutput.push(r.stderr);
        const id = /created token (tok-[0-9a-f]+)/.exec(r.stderr)?.[1];
        assert.ok(id, r.stderr);
        return { token: r.stdout.trim(), id };
    }

    const bearer = (credential: string) => ({ Authorization: `Bearer ${credential}` });

    before(async () => {
        dir = tempDir("server-identity");
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
        ({ repo, args } = s);
        env = { ...s.env, PROMOTIONS_WEBHOOK_SECRET: "identity-spec-webhook-secret" };
        issuer = await OidcIssuer.start();
    });

    after(async () => {
        serve?.child.kill("SIGTERM");
        await serve?.done;
        serve?.killGroup();
        await issuer?.close();
        removeTempDirs();
    });

    it("good credentials are the right subject; bad ones a 401 that changes nothing; tokens never leak", async () => {
        const ci = await createToken("ci-bot", "deployers");
        assert.match(ci.token, /^pp_[A-Za-z0-9_-]{43}$/);

        serve = startCli(
            [
                ...args,
                "serve",
                "--port",
                "0",
                "--oidc-issuer",
                issuer.url,
                "--oidc-audience",
                "promotions",
                "--trusted-proxy",
                "10.20.0.0/16",
            ],
            { env },
        );
        await serve.waitFor(/listening on http:\S+/, 60_000);
        base = /listening on (http:\S+)/.exec(serve.output())![1];
        assert.match(serve.output(), /requests without credentials get 401/);

        // Good credentials: the subject each one stands for.
        assert.deepStrictEqual((await call("GET", "/api/v1/me", bearer(ci.token))).body, {
            user: "ci-bot",
            groups: ["deployers"],
            via: "token",
        });
        const jwt = await issuer.sign({
            sub: "u-1",
            preferred_username: "alice",
            groups: ["release-managers"],
        });
        assert.deepStrictEqual((await call("GET", "/api/v1/me", bearer(jwt))).body, {
            user: "alice",
            groups: ["release-managers"],
            via: "oidc",
        });

        // Revoked with the CLI: refused from the server's next read of the list (within its 5 s cache).
        cliOutput.push((await cli("token", "revoke", ci.id, "--as", "admin")).stdout);
        for (let i = 0; (await call("GET", "/api/v1/me", bearer(ci.token))).status !== 401; i++) {
            assert.ok(i < 60, "the revoked token is still accepted after 30 s");
            await sleep(500);
        }

        // Bad credentials: each a 401 naming what was wrong, on a mutating call, and nothing starts.
        ship(repo, "2.0.0");
        const tip = repo.tip();
        const now = Math.floor(Date.now() / 1000);
        const refused: [string, Record<string, string>, RegExp][] = [
            ["expired JWT", bearer(await issuer.sign({ sub: "a" }, { expiresAt: now - 300 })), /expired at/],
            [
                "wrongly signed JWT",
                bearer(await issuer.sign({ sub: "a" }, { wrongKey: true })),
                /signature does not verify/,
            ],
            ["unknown token", bearer(`pp_${"A".repeat(43)}`), /unknown API token/],
            ["revoked token", bearer(ci.token), new RegExp(`API token ${ci.id} was revoked`)],
            [
                "proxy headers from an untrusted address",
                { "X-Forwarded-User": "mallory", "X-Forwarded-Groups": "admins" },
                /from 127\.0\.0\.1 refused: that address is not a --trusted-proxy/,
            ],
            ["no credentials", {}, /no credentials/],
        ];
        for (const [name, headers, message] of refused) {
            const started = await call("POST", "/api/v1/releases", headers, { product: "web", flow: "seq" });
            assert.strictEqual(started.status, 401, `${name}: ${started.text}`);
            const error = started.body.error as { code: string; message: string };
            assert.strictEqual(error.code, "unauthenticated", name);
            assert.match(error.message, message, name);
            const retried = await call("POST", "/api/v1/releases/r-none/retry", headers);
            assert.strictEqual(retried.status, 401, name);
        }
        const none = await call("GET", "/api/v1/releases?product=web", bearer(jwt));
        assert.strictEqual(none.status, 200, none.text);
        assert.deepStrictEqual(none.body.releases, [], "no release was started");
        assert.strictEqual(repo.tip(), tip, "nothing was pushed");

        // The tokens are nowhere: not in the state, the server's log, any answer, or what the CLI printed after create.
        serve.child.kill("SIGTERM");
        await serve.done;
        const secret = ci.token.slice("pp_".length);
        assert.deepStrictEqual(filesContaining(path.join(dir, "state"), secret), [], "state");
        assert.ok(
            filesContaining(path.join(dir, "state"), ci.id).length > 0,
            "the search looks where tokens are",
        );
        assert.ok(!serve.output().includes(secret), "server log");
        assert.ok(!answers.some((a) => a.includes(secret)), "API answers");
        assert.ok(!cliOutput.some((o) => o.includes(secret)), "CLI output");
    });
});
