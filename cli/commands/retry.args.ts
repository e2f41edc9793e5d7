import type { CommandSpec, NoWaitOption } from "../spec";
import { actorOf, asOption, flag, json, noWait, noWaitOf } from "../spec";
import type { ReleaseIdCommandOptions } from "./release.args";
import { releaseId } from "./release.args";

export interface RetryCommandOptions extends ReleaseIdCommandOptions, NoWaitOption {
    /** Retry even though newer releases succeeded in some of its environments (it rolls them back). */
    readonly forceOlder: boolean;
}

export const retrySpec = {
    summary: "resume a Failed or Terminated release from where it stopped (same id)",
    usage: "promote retry ID [--force-older] [--as USER] [--no-wait] [--json]",
    options: { "force-older": { type: "boolean" }, ...asOption, ...noWait, ...json },
    help: {
        "force-older":
            "retry although newer releases succeeded in some of its environments (it rolls them back)",
    },
    positionals: ["ID"],
    build: (v, positionals, s): RetryCommandOptions => ({
        ...releaseId("retry")(v, positionals),
        by: actorOf(v, s),
        forceOlder: flag(v, "force-older"),
        ...noWaitOf(v),
    }),
} satisfies CommandSpec<RetryCommandOptions>;
