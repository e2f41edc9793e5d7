import { InvalidInputError } from "../../model/errors";
import type { CliSettings } from "../context";
import type { CommandSpec, Values } from "../spec";
import { flag, json, required, text } from "../spec";

/** `approve` and `reject`: a decision on an environment of a release waiting for approval. */
export interface DecisionCommandOptions {
    readonly id: string;
    readonly environment: string;
    readonly comment?: string;
    /** Who decides: `--as`, else the CI's actor, git's identity or the OS user (cli/actor.ts). */
    readonly by: string;
    /** `--group G[,H]`: the groups the local identity claims (direct state access is only as strong as the backend's). */
    readonly groups: readonly string[];
    readonly json: boolean;
}

const decisionOptions = {
    environment: { type: "string" },
    comment: { type: "string" },
    as: { type: "string" },
    group: { type: "string" },
    ...json,
} as const;

/** `approve|reject ID --environment E [--comment TEXT] [--as USER] [--group G[,H]]`. */
const decision =
    (verb: "approve" | "reject") =>
    (v: Values, positionals: readonly string[], s: CliSettings): DecisionCommandOptions => {
        const id = positionals[0];
        if (!id) {
            throw new InvalidInputError(`missing release ID: promote ${verb} ID --environment E`, {
                path: "ID",
            });
        }
        const comment = text(v, "comment");
        return {
            id,
            environment: required(v, "environment", `the environment to ${verb}`),
            ...(comment ? { comment } : {}),
            by: text(v, "as") || s.actor,
            groups: (text(v, "group") ?? "")
                .split(",")
                .map((g) => g.trim())
                .filter(Boolean),
            json: flag(v, "json"),
        };
    };

const decisionHelp = (verb: string) => ({
    environment: `the environment to ${verb}`,
    comment: "a comment, kept with the decision in the release's audit",
    group: "the groups the acting identity claims, comma-separated (when acting on the state directly)",
});

export const approveSpec = {
    summary: "approve an environment of a release waiting for approval",
    usage: "promote approve ID --environment E [--comment TEXT] [--as USER] [--group G[,H]] [--json]",
    options: decisionOptions,
    help: decisionHelp("approve"),
    positionals: ["ID"],
    build: decision("approve"),
} satisfies CommandSpec<DecisionCommandOptions>;

export const rejectSpec = {
    summary: "reject an environment of a release waiting for approval (it fails, left untouched)",
    usage: "promote reject ID --environment E [--comment TEXT] [--as USER] [--group G[,H]] [--json]",
    options: decisionOptions,
    help: decisionHelp("reject"),
    positionals: ["ID"],
    build: decision("reject"),
} satisfies CommandSpec<DecisionCommandOptions>;
