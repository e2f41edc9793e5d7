import * as assert from "assert";
import { checkFlags, parseArgs } from "../../../cli/args";
import { InvalidInputError } from "../../../model/errors";

describe("parseArgs", () => {
    it("separates global options, the command, flags and positionals", () => {
        const a = parseArgs(["--config", "dir", "release", "abc123", "--json", "--state=file:///x"]);
        assert.strictEqual(a.command, "release");
        assert.deepStrictEqual(a.positionals, ["abc123"]);
        assert.deepStrictEqual(a.flags, { config: "dir", json: true, state: "file:///x" });
    });

    it("rejects a flag without its value", () => {
        assert.throws(() => parseArgs(["preview", "--product"]), /--product needs a value/);
    });

    it("names every unknown flag at once", () => {
        const a = parseArgs(["graph", "--flow", "f", "--colour", "x", "--size", "2"]);
        assert.throws(
            () => checkFlags(a, ["flow", "format"]),
            (e: unknown) => e instanceof InvalidInputError && /--colour, --size/.test(e.message),
        );
    });
});
