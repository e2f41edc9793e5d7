import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { CommandName } from "../../../cli/args";
import { commandSpecs } from "../../../cli/args";
import { main } from "../../../cli/main";
import { cliReference, completionScript, describe as describeOption } from "../../../cli/reference";
import type { CommandSpec } from "../../../cli/spec";

const root = path.resolve(__dirname, "../../../..");
const names = Object.keys(commandSpecs) as CommandName[];

async function run(argv: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const sink = { write: (s: string) => (out += s) };
    const code = await main(argv, { PATH: process.env.PATH ?? "/bin" }, root, { stdout: sink, stderr: sink });
    return { code, out };
}

describe("the CLI reference and completion, made from the command specs", () => {
    it("docs/cli.md is what the specs generate (run `npm run docs` after changing a command's options)", () => {
        const written = fs.readFileSync(path.join(root, "docs", "cli.md"), "utf8");
        assert.strictEqual(written, cliReference());
    });

    it("every option and positional of every command has a line of help", () => {
        const missing = names.flatMap((n) => {
            const s = commandSpecs[n] as CommandSpec;
            return [...Object.keys(s.options), ...(s.positionals ?? [])]
                .filter((o) => !describeOption(n, o))
                .map((o) => `${n} ${o}`);
        });
        assert.deepStrictEqual(missing, []);
    });

    it("`promote help CMD` says what the reference says, for every command", async () => {
        const reference = cliReference();
        for (const n of names) {
            const { code, out } = await run(["help", n]);
            assert.strictEqual(code, 0, n);
            const s = commandSpecs[n] as CommandSpec;
            assert.ok(out.includes(s.usage) && reference.includes(s.usage), `${n}: usage`);
            for (const o of Object.keys(s.options)) {
                const help = describeOption(n, o)!;
                assert.ok(out.includes(`--${o}`) && out.includes(help), `${n} --${o} in help`);
                assert.ok(reference.includes(help.replace(/\|/g, "\\|")), `${n} --${o} in the reference`);
            }
        }
        const { out } = await run(["--help"]);
        for (const n of names) {
            assert.match(
                out,
                new RegExp(
                    `^  ${n} +${(commandSpecs[n] as CommandSpec).summary.slice(0, 20).replace(/[()|.*+?[\]]/g, "\\$&")}`,
                    "m",
                ),
            );
        }
    });

    it("bash completes commands, a command's options, and fixed positional values", () => {
        const script = completionScript("bash");
        const complete = (line: string): string[] => {
            const words = line.split(" ");
            const program = [
                script,
                `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
                `COMP_CWORD=${words.length - 1}`,
                "_promote",
                'printf "%s\\n" "${COMPREPLY[@]}"',
            ].join("\n");
            return execFileSync("bash", ["-c", program], { encoding: "utf8" }).split("\n").filter(Boolean);
        };
        assert.deepStrictEqual(complete("promote tri"), ["trigger"]);
        assert.ok(complete("promote trigger --pro").includes("--product"));
        assert.ok(complete("promote --state file:///x trigger --no").includes("--no-wait"));
        assert.deepStrictEqual(complete("promote releases --").sort(), [
            "--before",
            "--config",
            "--help",
            "--json",
            "--limit",
            "--no-color",
            "--product",
            "--state",
            "--version",
        ]);
        assert.deepStrictEqual(complete("promote token "), ["create", "list", "revoke"]);
        assert.deepStrictEqual(complete("promote trigger --product "), []);
    });

    it("zsh and fish name every command and every option", () => {
        for (const shell of ["zsh", "fish"] as const) {
            const script = completionScript(shell);
            for (const n of names) {
                assert.ok(script.includes(n), `${shell}: ${n}`);
                for (const o of Object.keys((commandSpecs[n] as CommandSpec).options)) {
                    assert.ok(
                        script.includes(shell === "zsh" ? `--${o}[` : `-l ${o}`),
                        `${shell}: ${n} --${o}`,
                    );
                }
            }
        }
    });

    it("`promote completion` refuses an unknown shell, naming the ones it knows", async () => {
        const { code, out } = await run(["completion", "tcsh"]);
        assert.strictEqual(code, 2);
        assert.match(out, /unknown shell "tcsh": promote completion bash\|zsh\|fish/);
    });
});
