import { InvalidInputError } from "../../model/errors";
import type { CommandSpec, Values } from "../spec";
import { actorOf, asOption, flag, json } from "../spec";

/** `release`, `retry` and `terminate`: one release by id. */
export interface ReleaseIdCommandOptions {
    readonly id: string;
    readonly json: boolean;
    /** Who retries or terminates (appended to the release's audit, via `local`). */
    readonly by?: string;
}

export const releaseId =
    (command: string) =>
    (values: Values, positionals: readonly string[]): ReleaseIdCommandOptions => {
        const id = positionals[0];
        if (!id) {
            throw new InvalidInputError(`missing release ID: promote ${command} ID`, { path: "ID" });
        }
        return { id, json: flag(values, "json") };
    };

export const releaseSpec = {
    summary: "show one release: environments, applications, commits, changes",
    usage: "promote release ID [--json]",
    options: { ...json },
    help: {},
    positionals: ["ID"],
    build: releaseId("release"),
} satisfies CommandSpec<ReleaseIdCommandOptions>;

export const terminateSpec = {
    summary: "stop a queued or running release",
    usage: "promote terminate ID [--as USER] [--json]",
    options: { ...asOption, ...json },
    help: {},
    positionals: ["ID"],
    build: (v, positionals, s): ReleaseIdCommandOptions => ({
        ...releaseId("terminate")(v, positionals),
        by: actorOf(v, s),
    }),
} satisfies CommandSpec<ReleaseIdCommandOptions>;
