import { AccessTokens } from "../../engine/governance/accessTokens";
import type { TokenCommandOptions } from "./token.args";
import type { CliDeps } from "../context";

/**
 * `promote token create --user NAME [--group G]... [--description TEXT]`: a new API token, printed once (alone
 * on stdout, so `TOKEN=$(promote token create …)` works; its id and how to use it on stderr). Only its hash is
 * stored.
 */
export async function tokenCreate(
    opts: Extract<TokenCommandOptions, { action: "create" }>,
    deps: Pick<CliDeps, "io" | "tokens" | "clock">,
): Promise<number> {
    const tokens = new AccessTokens(await deps.tokens(), () => new Date(deps.clock.now()));
    const { token, info } = await tokens.create({
        user: opts.user,
        groups: opts.groups,
        ...(opts.description ? { description: opts.description } : {}),
        createdBy: opts.by,
    });
    if (opts.json) {
        deps.io.out(JSON.stringify({ ...info, token }, null, 2));
        return 0;
    }
    deps.io.out(token);
    deps.io.err(
        `created token ${info.id} for ${info.user}${info.groups.length > 0 ? ` (groups ${info.groups.join(", ")})` : ""}: ` +
            "it is shown this once and stored only as a hash; send it as 'Authorization: Bearer <token>', " +
            `revoke it with 'promote token revoke ${info.id}'`,
    );
    return 0;
}
