import * as assert from "assert";
import { formatDuration, parseDuration } from "../../../model/duration";

describe("durations", () => {
    const cases: [number | string, number | undefined][] = [
        [5, 300_000],
        ["5", 300_000],
        ["90s", 90_000],
        ["5m", 300_000],
        ["24h", 86_400_000],
        ["1h30m", 5_400_000],
        ["1d", 86_400_000],
        ["250ms", 250],
        [0, undefined],
        ["soon", undefined],
        ["5 m", undefined],
        ["m5", undefined],
    ];
    for (const [input, ms] of cases) {
        it(`${JSON.stringify(input)} is ${ms === undefined ? "invalid" : `${ms}ms`}`, () => {
            assert.strictEqual(parseDuration(input), ms);
        });
    }
    it("formats", () => {
        assert.deepStrictEqual([90_000, 300_000, 5_400_000, 86_400_000, 250].map(formatDuration), [
            "1m30s",
            "5m",
            "1h30m",
            "1d",
            "250ms",
        ]);
    });
});
