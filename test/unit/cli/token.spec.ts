import * as assert from "assert";
import type { TokenCommandOptions } from "../../../cli/args";
import { buildOptions, parseCommandLine, UsageError } from "../../../cli/args";
import { terminate } from "../../../cli/commands/terminate";
import { token } from "../../../cli/commands/token";
import { trigger } from "../../../cli/commands/trigger";
import type { CliEngine, Terminal } from "../../../cli/context";
import { makeStyle, settingsFrom } from "../../../cli/context";
import { hashToken } from "../../../engine/governance/accessTokens";
import type { ReleaseOptions, TerminateOptions } from "../../../engine/promoteEngine";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import { FakeTokenStore } from "../../support/fakeTokenStore";

const t0 = Date.parse("2026-11-23T12:00:00Z");

function terminal(): Terminal & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return {
        stdout,
        stderr,
        out: (l) => stdout.push(l),
        err: (l) => stderr.push(l),
        errRaw: () => undefined,
        interactive: false,
        style: makeStyle(false),
    };
}

function options(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const line = parseCommandLine(argv, () => "FULL USAGE");
    assert.strictEqual(line.kind, "command");
    if (line.kind !== "command") {
        throw new Error("unreachable");
    }
    return buildOptions(
        line.command,
        line.values,
        line.positionals,
        settingsFrom(line.globals, env, "/work", false),
    );
}

describe("promote token", () => {
    it("parses create, list and revoke; --group repeats; who acts is --as, else the CI's actor", () => {
        assert.deepStrictEqual(
            options(
                [
                    "token",
                    "create",
                    "--user",
                    "ci-bot",
                    "--group",
                    "a",
                    "--group",
                    "b",
                    "--description",
                    "CI",
                ],
                {
                    GITHUB_ACTOR: "octocat",
                },
            ),
            {
                action: "create",
                user: "ci-bot",
                groups: ["a", "b"],
                description: "CI",
                by: "octocat",
                json: false,
            },
        );
        assert.deepStrictEqual(options(["token", "list", "--json"]), { action: "list", json: true });
        assert.deepStrictEqual(options(["token", "revoke", "tok-1", "--as", "carol"]), {
            action: "revoke",
            id: "tok-1",
            by: "carol",
            json: false,
        });
        assert.throws(() => options(["token"]), /missing action: promote token create\|list\|revoke/);
        assert.throws(() => options(["token", "mint"]), /unknown action "mint"/);
        assert.throws(
            () => options(["token", "create"]),
            (e: unknown) => e instanceof UsageError && /missing --user/.test(e.message),
        );
        assert.throws(
            () => options(["token", "list", "--user", "x"]),
            /--user is for 'promote token create' only/,
        );
        assert.throws(() => options(["token", "revoke"]), /missing token ID: promote token revoke ID/);
        assert.throws(() => options(["token", "list", "extra"]), /unexpected argument 'extra'/);
    });

    it("create prints the token alone on stdout, once; list and revoke never print a token or hash", async () => {
        const store = new FakeTokenStore();
        const deps = { io: terminal(), tokens: async () => store, clock: { now: () => t0 } };
        const create: TokenCommandOptions = {
            action: "create",
            user: "ci-bot",
            groups: ["deployers"],
            by: "alice",
            json: false,
        };
        assert.strictEqual(await token(create, deps), 0);
        const [secret] = deps.io.stdout;
        assert.match(secret, /^pp_[A-Za-z0-9_-]{43}$/);
        assert.strictEqual(deps.io.stdout.length, 1);
        assert.match(
            deps.io.stderr.join("\n"),
            /created token tok-[0-9a-f]{12} for ci-bot \(groups deployers\): it is shown this once/,
        );
        assert.ok(!deps.io.stderr.join("\n").includes(secret));
        const [stored] = await store.list();
        assert.strictEqual(stored.hash, hashToken(secret));

        const json = { ...deps, io: terminal() };
        assert.strictEqual(await token({ ...create, json: true }, json), 0);
        const printed = JSON.parse(json.io.stdout.join("\n")) as { token: string; id: string; hash?: string };
        assert.match(printed.token, /^pp_/);
        assert.strictEqual(printed.hash, undefined);

        const list = { ...deps, io: terminal() };
        assert.strictEqual(await token({ action: "list", json: false }, list), 0);
        assert.strictEqual(list.io.stdout.length, 2);
        assert.match(
            list.io.stdout[0],
            /^tok-[0-9a-f]{12} {2}ci-bot {2}deployers {2}created 2026-11-23T12:00:00\.000Z by alice {2}active$/,
        );
        const revoke = { ...deps, io: terminal() };
        assert.strictEqual(
            await token({ action: "revoke", id: stored.id, by: "carol", json: false }, revoke),
            0,
        );
        assert.match(
            revoke.io.stdout[0],
            new RegExp(`^${stored.id} .* revoked 2026-11-23T12:00:00\\.000Z by carol$`),
        );
        assert.match(revoke.io.stderr[0], /refuses it within 5 s/);
        const listJson = { ...deps, io: terminal() };
        await token({ action: "list", json: true }, listJson);
        const out = [...list.io.stdout, ...revoke.io.stdout, ...listJson.io.stdout].join("\n");
        for (const t of await store.list()) {
            assert.ok(!out.includes(t.hash), "no hash printed");
        }
        assert.ok(!out.includes(secret) && !out.includes(printed.token));
    });

    it("trigger and terminate record who acts (--as) as the release's initiator, via local", async () => {
        const calls: { released?: ReleaseOptions; terminated?: TerminateOptions } = {};
        const result: ReleaseRecord = {
            id: "r1",
            product: "web",
            flow: "seq",
            status: "Terminated",
            createdAt: new Date(t0).toISOString(),
            sourceApplication: "web-dev",
            sourceCommit: "a".repeat(40),
            environments: [],
            candidate: {
                sourceApplication: "web-dev",
                sourceRepoURL: "file:///r",
                sourcePath: "p",
                sourceCommit: "a",
                files: [],
            },
            plan: { trigger: "dev", timeoutMs: 1000, concurrency: "queue", environments: [] },
            attempts: 1,
        };
        const engine = {
            release: async (o: ReleaseOptions) => ((calls.released = o), { ...result, status: "Succeeded" }),
            terminate: async (_id: string, o?: TerminateOptions) => ((calls.terminated = o), result),
        } as unknown as CliEngine;
        const deps = { io: terminal(), engine: async () => engine, clock: { now: () => t0 } };
        const opts = options(["trigger", "--product", "web", "--flow", "seq", "--as", "dana"]);
        await trigger(opts as never, deps);
        assert.deepStrictEqual(calls.released?.initiator, { user: "dana", via: "local" });
        await terminate(options(["terminate", "r1"], { USER: "erin" }) as never, deps);
        assert.deepStrictEqual(calls.terminated?.initiator, { user: "erin", via: "local" });
    });
});
