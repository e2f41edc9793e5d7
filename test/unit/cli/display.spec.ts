import * as assert from "assert";
import { makeStyle } from "../../../cli/context";
import { displayText, displayValue, paintStatus } from "../../../cli/display";
import { environmentStatuses, releaseStatuses, toneOf, workflowRunStatuses } from "../../../model/status";

describe("displayValue", () => {
    const cases: readonly [unknown, string][] = [
        ["1.2.3", "1.2.3"],
        ["a\nb\r\tc", "a\\nb\\r\\tc"],
        ["\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m"],
        ["\x9b2J\u202eevil", "\\u009b2J\\u202eevil"],
        [{ tag: "x\ny" }, '{"tag":"x\\ny"}'],
        [42, "42"],
        [null, "(none)"],
        [undefined, "(none)"],
        ["ünïcødé ✔", "ünïcødé ✔"],
    ];
    for (const [value, shown] of cases) {
        it(`${JSON.stringify(value) ?? "undefined"} → ${shown}`, () => {
            assert.strictEqual(displayValue(value), shown);
            assert.ok(!displayValue(value).includes("\n"));
        });
    }
    it("displayText leaves quotes and backslashes alone", () => {
        assert.strictEqual(displayText('say "hi" \\ there'), 'say "hi" \\ there');
    });
});

describe("paintStatus", () => {
    const style = makeStyle(true);
    const colours = { good: "32", bad: "31", busy: "33", waiting: "33", idle: "2" } as const;
    for (const status of new Set([...releaseStatuses, ...environmentStatuses, ...workflowRunStatuses])) {
        it(`${status} is painted as its tone (${toneOf(status)})`, () => {
            assert.strictEqual(
                paintStatus(style, status).slice(0, 5).replace(/\D+/g, ""),
                colours[toneOf(status)],
            );
        });
    }
    it("Error is red like Failed", () => {
        assert.strictEqual(paintStatus(style, "Error"), "\x1b[31mError\x1b[39m");
    });
});
