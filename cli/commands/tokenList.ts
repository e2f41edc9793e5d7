import type { AccessTokenInfo } from "../../engine/governance/accessTokens";
import { AccessTokens } from "../../engine/governance/accessTokens";
import type { TokenCommandOptions } from "./token.args";
import type { CliDeps } from "../context";
import { displayText } from "../display";

/** One line of `promote token list`: id, user, groups, when and by whom created, revoked. */
export function formatToken(t: AccessTokenInfo): string {
    const groups = t.groups.length > 0 ? t.groups.join(",") : "-";
    const revoked = t.revokedAt ? `revoked ${t.revokedAt} by ${t.revokedBy ?? "?"}` : "active";
    const description = t.description ? `  ${t.description}` : "";
    return displayText(
        `${t.id}  ${t.user}  ${groups}  created ${t.createdAt} by ${t.createdBy}  ${revoked}${description}`,
    );
}

/** `promote token list`: every token, newest first; never a token or its hash. */
export async function tokenList(
    opts: Extract<TokenCommandOptions, { action: "list" }>,
    deps: Pick<CliDeps, "io" | "tokens" | "clock">,
): Promise<number> {
    const list = await new AccessTokens(await deps.tokens()).list();
    if (opts.json) {
        deps.io.out(JSON.stringify(list, null, 2));
    } else if (list.length === 0) {
        deps.io.out("no API tokens (create one with 'promote token create --user NAME')");
    } else {
        list.forEach((t) => deps.io.out(formatToken(t)));
    }
    return 0;
}
