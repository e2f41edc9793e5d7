import { AccessTokens, tokenCacheMs } from "../../engine/governance/accessTokens";
import type { TokenCommandOptions } from "./token.args";
import type { CliDeps } from "../context";
import { formatToken } from "./tokenList";

/** `promote token revoke ID`: the server refuses the token from its next look at the list (within seconds). */
export async function tokenRevoke(
    opts: Extract<TokenCommandOptions, { action: "revoke" }>,
    deps: Pick<CliDeps, "io" | "tokens" | "clock">,
): Promise<number> {
    const tokens = new AccessTokens(await deps.tokens(), () => new Date(deps.clock.now()));
    const info = await tokens.revoke(opts.id, opts.by);
    if (opts.json) {
        deps.io.out(JSON.stringify(info, null, 2));
    } else {
        deps.io.out(formatToken(info));
        deps.io.err(`a running 'promote serve' refuses it within ${tokenCacheMs / 1000} s`);
    }
    return 0;
}
