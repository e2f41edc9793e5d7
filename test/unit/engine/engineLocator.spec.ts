import * as assert from "assert";
import { versionFits } from "../../../engine/pulumi/engineLocator";

describe("versionFits", () => {
    const cases: [string, string, boolean][] = [
        ["v3.259.0", "v3.259.0", true],
        ["v3.260.1", "v3.259.0", true],
        ["v3.259.1", "v3.259.0", true],
        ["v3.258.9", "v3.259.0", false],
        ["v4.0.0", "v3.259.0", false],
        ["3.259.0", "v3.259.0", true],
        ["", "v3.259.0", false],
        ["v3.259.0-dev.0", "v3.259.0", true],
    ];
    for (const [got, want, fits] of cases) {
        it(`${got || "(empty)"} ${fits ? "fits" : "does not fit"} ${want}`, () => {
            assert.strictEqual(versionFits(got, want), fits);
        });
    }
});
