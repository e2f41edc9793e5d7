import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CommandLine, ServeCommandOptions } from "../../../cli/args";
import { buildOptions, parseCommandLine, UsageError } from "../../../cli/args";
import type { CliSettings } from "../../../cli/context";
import { settingsFrom } from "../../../cli/context";
import { InvalidInputError } from "../../../model/errors";

const parse = (argv: string[]): CommandLine => parseCommandLine(argv, () => "FULL USAGE");

function command(argv: string[]) {
    const line = parse(argv);
    assert.strictEqual(line.kind, "command");
    return line as Extract<CommandLine, { kind: "command" }>;
}

/** Settings from `env` alone: no git identity, no OS user (test/unit/cli/actor.spec.ts covers those). */
const settings = (env: NodeJS.ProcessEnv = {}): CliSettings => {
    const full = { PATH: "/bin", ...env };
    return settingsFrom({ noColor: false }, full, "/work", false, {
        env: full,
        gitIdentity: () => undefined,
        osUser: () => undefined,
    });
};

function options(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const line = command(argv);
    return buildOptions(line.command, line.values, line.positionals, settings(env));
}

const refused = (argv: string[], message: RegExp, usage: RegExp, env: NodeJS.ProcessEnv = {}) =>
    assert.throws(
        () => options(argv, env),
        (e: unknown) => e instanceof UsageError && message.test(e.message) && usage.test(e.usage),
    );

describe("parseCommandLine", () => {
    it("finds the command among global options, wherever they stand", () => {
        const line = command(["--config", "dir", "release", "abc123", "--json", "--state=file:///x"]);
        assert.strictEqual(line.command, "release");
        assert.deepStrictEqual(line.positionals, ["abc123"]);
        assert.deepStrictEqual(line.globals, { config: "dir", state: "file:///x", noColor: false });
        assert.deepStrictEqual(options(["release", "abc123", "--json"]), { id: "abc123", json: true });
    });

    it("--version, --help and help COMMAND; nothing at all is the usage", () => {
        assert.deepStrictEqual(parse(["--version"]), { kind: "version" });
        assert.deepStrictEqual(parse(["-h"]), { kind: "help" });
        assert.deepStrictEqual(parse(["graph", "--help"]), { kind: "help", command: "graph" });
        assert.deepStrictEqual(parse(["help", "serve"]), { kind: "help", command: "serve" });
        assert.deepStrictEqual(parse([]), { kind: "usage" });
    });

    it("names every unknown option at once, with the command's usage", () => {
        assert.throws(
            () => parse(["graph", "--flow", "f", "--colour", "x", "--size", "2"]),
            (e: unknown) =>
                e instanceof UsageError &&
                e.message === "unknown options --colour, --size for 'graph'" &&
                e.usage.startsWith("usage: promote graph --flow F"),
        );
        // Boolean flags belong to their command: --once is watch's, not preview's.
        assert.throws(() => parse(["preview", "--once"]), /unknown option --once for 'preview'/);
    });

    it("rejects an unknown command, an option without its value and a stray argument", () => {
        assert.throws(
            () => parse(["frobnicate"]),
            (e: unknown) =>
                e instanceof UsageError &&
                /unknown command 'frobnicate'/.test(e.message) &&
                e.usage === "FULL USAGE",
        );
        assert.throws(() => parse(["preview", "--product"]), /option --product needs a value/);
        assert.throws(() => parse(["preview", "--product", "--json"]), /option --product needs a value/);
        assert.throws(() => parse(["preview", "--json=yes"]), /option --json takes no value/);
        assert.throws(() => parse(["graph", "extra"]), /unexpected argument 'extra' for 'graph'/);
        assert.throws(() => parse(["release", "a", "b"]), /unexpected argument 'b' for 'release'/);
    });
});

describe("command options", () => {
    it("builds each command's options object", () => {
        assert.deepStrictEqual(options(["preview", "--product", "web", "--from", "dev", "--to", "qa"]), {
            product: "web",
            target: { from: "dev", to: "qa" },
            json: false,
            engine: false,
        });
        assert.deepStrictEqual(options(["preview", "--product", "web", "--flow", "seq", "--engine"]), {
            product: "web",
            target: { flow: "seq" },
            json: false,
            engine: true,
        });
        assert.deepStrictEqual(
            options(["stack", "--product", "web", "--flow", "seq", "--json"], {
                PROMOTIONS_GIT_CACHE: "/c/git",
            }),
            {
                product: "web",
                flow: "seq",
                configPath: "/work/promotions",
                gitCacheDir: "/c/git",
                json: true,
            },
        );
        assert.deepStrictEqual(
            options([
                "promote",
                "--product",
                "web",
                "--from",
                "dev",
                "--to",
                "qa",
                "--action",
                "none",
                "--pre-action",
                "w",
            ]),
            {
                product: "web",
                from: "dev",
                to: "qa",
                overrides: { action: "none", preAction: "w" },
                json: false,
                by: "unknown",
            },
        );
        assert.deepStrictEqual(options(["watch", "--product", "a,b", "--interval", "30s"]), {
            products: ["a", "b"],
            intervalMs: 30_000,
            once: false,
        });
        const { git, readiness, logFormat, ...serve } = options(["serve", "--port", "0"], {
            PROMOTIONS_WEBHOOK_SECRET: "s",
            PROMOTIONS_GIT_TOKEN: "tok-en",
        }) as ServeCommandOptions;
        assert.deepStrictEqual(serve, { port: 0, host: "127.0.0.1", secret: "s" });
        assert.strictEqual(logFormat, "json", "stdout is not a terminal here: JSON lines");
        assert.strictEqual(readiness?.stateUrl.startsWith("file://"), true);
        assert.strictEqual(
            (options(["serve", "--log-format", "text"]) as ServeCommandOptions).logFormat,
            "text",
        );
        assert.throws(
            () => options(["serve", "--log-format", "yaml"]),
            /--log-format "yaml": json \(one JSON object a line\) or text/,
        );
        // The path prefix: --base-path, else PROMOTIONS_BASE_PATH; normalised; a bad one names where it came from.
        const basePath = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
            (options(["serve", ...argv], env) as ServeCommandOptions).basePath;
        assert.strictEqual(basePath([]), undefined);
        assert.strictEqual(basePath(["--base-path", "/promotions/"]), "/promotions");
        assert.strictEqual(basePath([], { PROMOTIONS_BASE_PATH: "/tools/promotions" }), "/tools/promotions");
        assert.strictEqual(basePath(["--base-path", "/a"], { PROMOTIONS_BASE_PATH: "/b" }), "/a");
        assert.strictEqual(basePath(["--base-path", "/"], { PROMOTIONS_BASE_PATH: "/b" }), undefined);
        assert.throws(() => basePath(["--base-path", "promotions"]), /--base-path "promotions": a URL path/);
        assert.throws(
            () => basePath([], { PROMOTIONS_BASE_PATH: "/a/../b" }),
            /PROMOTIONS_BASE_PATH "\/a\/\.\.\/b"/,
        );
        assert.strictEqual(
            (options(["serve"]) as ServeCommandOptions).secret,
            undefined,
            "no secret: webhooks off",
        );
        assert.deepStrictEqual(git?.tokens, { "*": "tok-en" });
        const limited = options(
            ["serve", "--max-connections", "100", "--request-timeout", "10s", "--idle-timeout", "2m"],
            { PROMOTIONS_WEBHOOK_SECRET: "s" },
        ) as ServeCommandOptions;
        assert.deepStrictEqual(limited.limits, {
            maxConnections: 100,
            requestTimeoutMs: 10_000,
            idleTimeoutMs: 120_000,
        });
        assert.deepStrictEqual(options(["graph", "--flow", "f"]), { flow: "f", format: "text" });
    });

    it("refuses bad values naming the flag, with the usage", () => {
        refused(["preview", "--flow", "f"], /missing --product/, /usage: promote preview/);
        refused(
            ["graph", "--flow", "f", "--format", "nonsense"],
            /unknown --format "nonsense": text, mermaid, dot/,
            /graph/,
        );
        refused(["watch", "--interval", "0"], /--interval "0": a positive duration/, /watch/);
        refused(["serve", "--port", "99999"], /--port "99999": a port number from 0 to 65535/, /serve/, {
            PROMOTIONS_WEBHOOK_SECRET: "s",
        });
        refused(["serve", "--port", "http"], /--port "http"/, /serve/, { PROMOTIONS_WEBHOOK_SECRET: "s" });
        const secret = { PROMOTIONS_WEBHOOK_SECRET: "s" };
        refused(
            ["serve", "--max-connections", "0"],
            /--max-connections "0": a positive number/,
            /serve/,
            secret,
        );
        refused(["serve", "--idle-timeout", "5s"], /--idle-timeout "5s": at least 30s/, /serve/, secret);
        refused(
            ["serve", "--request-timeout", "soon"],
            /--request-timeout "soon": a positive duration/,
            /serve/,
            secret,
        );
        refused(
            ["promote", "--product", "w", "--from", "qa", "--to", "qa"],
            /--from and --to are both "qa"/,
            /promote/,
        );
        refused(
            ["promote", "--product", "w", "--from", "a", "--to", "b", "--action", "merge"],
            /unknown --action "merge"/,
            /promote/,
        );
        assert.throws(() => options(["release"]), /missing release ID: promote release ID/);
    });
});

describe("settingsFrom", () => {
    it("reads the state passphrase from PULUMI_CONFIG_PASSPHRASE, else PULUMI_CONFIG_PASSPHRASE_FILE, as Pulumi does", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pp-")), "passphrase");
        fs.writeFileSync(file, "from-the-file\n");
        const at = (env: Record<string, string>) =>
            settingsFrom({ noColor: true }, env, "/work", false).passphrase;
        assert.strictEqual(at({ PULUMI_CONFIG_PASSPHRASE_FILE: file }), "from-the-file");
        assert.strictEqual(
            at({ PULUMI_CONFIG_PASSPHRASE: "direct", PULUMI_CONFIG_PASSPHRASE_FILE: file }),
            "direct",
        );
        assert.strictEqual(at({}), "promotions-local");
        assert.throws(
            () => at({ PULUMI_CONFIG_PASSPHRASE_FILE: `${file}.nope` }),
            /PULUMI_CONFIG_PASSPHRASE_FILE .* cannot be read/,
        );
    });

    it("PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS bounds the wait for notifications at exit: 5 s by default, 0 allowed, a bad value named", () => {
        const wait = (v?: string) =>
            settingsFrom(
                { noColor: true },
                v === undefined ? {} : { PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS: v },
                "/work",
                false,
            ).notificationsWaitMs;
        assert.strictEqual(wait(), 5000);
        assert.strictEqual(wait("0"), 0);
        assert.strictEqual(wait("1.5"), 1500);
        for (const bad of ["-1", "soon"]) {
            assert.throws(
                () => wait(bad),
                /PROMOTIONS_NOTIFICATIONS_WAIT_SECONDS must be a number of seconds, 0 or more \(got "[^"]+"\): how long a command waits at exit for notifications \(default 5\)/,
            );
        }
    });

    it("maps flags and the environment once: flags first, then PROMOTIONS_*, then defaults", () => {
        const s = settingsFrom(
            { config: "defs", noColor: false },
            {
                PROMOTIONS_STATE: "s3://b",
                PROMOTIONS_GIT_TOKENS: '{"github.com":"t"}',
                PROMOTIONS_GIT_TOKEN: "any",
                PROMOTIONS_COMMIT_STATUS: "yes",
                PROMOTIONS_PR_POLL_SECONDS: "2",
                PROMOTIONS_ARGOCD_URL: "https://cd",
                PULUMI_PROMOTIONS_CACHE: "/cache",
            },
            "/work",
            true,
        );
        assert.strictEqual(s.configPath, "/work/defs");
        assert.strictEqual(s.stateUrl, "s3://b");
        assert.strictEqual(s.gitCacheDir, "/cache/git");
        assert.deepStrictEqual(s.gitTokens, { "github.com": "t", "*": "any" });
        assert.deepStrictEqual(s.scm, { commitStatus: true, pollIntervalMs: 2000 });
        assert.deepStrictEqual(s.argocd, { url: "https://cd" });
        assert.strictEqual(s.passphrase, "promotions-local");
        assert.strictEqual(s.colour, true);
        const local = settingsFrom({ noColor: true }, { NO_COLOR: "1" }, "/work", true);
        assert.strictEqual(local.stateUrl, "file:///work/promotions/.promotions/state");
        assert.strictEqual(local.colour, false);
        assert.throws(
            () => settingsFrom({ noColor: false }, { PROMOTIONS_GIT_TOKENS: "nope" }, "/", false),
            (e: unknown) =>
                e instanceof InvalidInputError && /PROMOTIONS_GIT_TOKENS must be JSON/.test(e.message),
        );
    });
});

describe("releases and prune options", () => {
    it("pages with --limit and --before; --keep is a count or an age", () => {
        assert.deepStrictEqual(options(["releases", "--product", "web", "--limit", "50", "--before", "r1"]), {
            product: "web",
            json: false,
            limit: 50,
            before: "r1",
        });
        refused(
            ["releases", "--product", "web", "--limit", "0"],
            /--limit "0": a whole number/,
            /promote releases/,
        );
        const keep = (k: string) =>
            (options(["prune", "--product", "web", "--keep", k]) as { keep: unknown }).keep;
        assert.deepStrictEqual(keep("500"), { count: 500 });
        assert.deepStrictEqual(keep("9m"), { maxAgeMs: 9 * 30 * 86_400_000 });
        assert.deepStrictEqual(keep("2w"), { maxAgeMs: 14 * 86_400_000 });
        refused(
            ["prune", "--product", "web", "--keep", "soon"],
            /--keep "soon": a number of releases/,
            /promote prune/,
        );
        refused(["prune", "--product", "web"], /missing --keep/, /promote prune/);
    });
});

describe("init options", () => {
    it("needs --repo; writes where the other commands read definitions unless --out says otherwise", () => {
        refused(["init"], /missing --repo: the GitOps repository to read/, /promote init --repo URL\|DIR/);
        assert.deepStrictEqual(options(["init", "--repo", "https://h/o/r.git"]), {
            repo: "https://h/o/r.git",
            out: "/work/promotions",
            force: false,
        });
        assert.deepStrictEqual(
            options(["init", "--repo", "d", "--branch", "b", "--force"], { PROMOTIONS_CONFIG: "defs" }),
            {
                repo: "d",
                branch: "b",
                out: "/work/defs",
                force: true,
            },
        );
        assert.strictEqual(
            (options(["init", "--repo", "d", "--out", "elsewhere"]) as { out: string }).out,
            path.resolve("elsewhere"),
        );
    });
});
