import type { TokenCommandOptions } from "./token.args";
import type { CliDeps } from "../context";
import { tokenCreate } from "./tokenCreate";
import { tokenList } from "./tokenList";
import { tokenRevoke } from "./tokenRevoke";

/** `promote token create|list|revoke`: API tokens for `promote serve` (stored only as hashes in --state). */
export function token(
    opts: TokenCommandOptions,
    deps: Pick<CliDeps, "io" | "tokens" | "clock">,
): Promise<number> {
    switch (opts.action) {
        case "create":
            return tokenCreate(opts, deps);
        case "list":
            return tokenList(opts, deps);
        case "revoke":
            return tokenRevoke(opts, deps);
    }
}
