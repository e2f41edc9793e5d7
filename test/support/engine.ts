import type { EngineLocation } from "../../engine/pulumi/engineLocator";
import { locateEngine } from "../../engine/pulumi/engineLocator";

let located: Promise<EngineLocation> | undefined;

/** The provisioned engine, located once per test process. Integration tests fail (not skip) without it. */
export function testEngine(): Promise<EngineLocation> {
    located ??= locateEngine();
    return located;
}

export const testPassphrase = "test-passphrase";
