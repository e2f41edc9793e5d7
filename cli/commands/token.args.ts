import { InvalidInputError } from "../../model/errors";
import type { CliSettings } from "../context";
import type { CommandSpec, Values } from "../spec";
import { actorOf, asOption, flag, json, required, text, texts } from "../spec";

/** `promote token create|list|revoke`. */
export type TokenCommandOptions =
    | {
          readonly action: "create";
          readonly user: string;
          readonly groups: readonly string[];
          readonly description?: string;
          readonly by: string;
          readonly json: boolean;
      }
    | { readonly action: "list"; readonly json: boolean }
    | { readonly action: "revoke"; readonly id: string; readonly by: string; readonly json: boolean };

const tokenActions = ["create", "list", "revoke"] as const;

function tokenOptions(v: Values, positionals: readonly string[], s: CliSettings): TokenCommandOptions {
    const action = positionals[0];
    if (!(tokenActions as readonly string[]).includes(action ?? "")) {
        throw new InvalidInputError(
            `${action === undefined ? "missing action" : `unknown action "${action}"`}: promote token create|list|revoke`,
            { path: "--action" },
        );
    }
    const onlyCreate = ["user", "group", "description"].filter((n) => v[n] !== undefined);
    if (action !== "create" && onlyCreate.length > 0) {
        throw new InvalidInputError(`--${onlyCreate[0]} is for 'promote token create' only`, {
            path: `--${onlyCreate[0]}`,
        });
    }
    if (action !== "revoke" && positionals[1] !== undefined) {
        throw new InvalidInputError(
            `unexpected argument '${positionals[1]}': only 'token revoke' takes an ID`,
            {
                path: "--id",
            },
        );
    }
    const json = flag(v, "json");
    switch (action) {
        case "create":
            return {
                action,
                user: required(v, "user", "the user the token stands for"),
                groups: texts(v, "group"),
                ...(text(v, "description") ? { description: text(v, "description") } : {}),
                by: actorOf(v, s),
                json,
            };
        case "list":
            return { action, json };
        default: {
            const id = positionals[1];
            if (!id) {
                throw new InvalidInputError(
                    "missing token ID: promote token revoke ID (see 'promote token list')",
                    {
                        path: "--id",
                    },
                );
            }
            return { action: "revoke", id, by: actorOf(v, s), json };
        }
    }
}

export const tokenSpec = {
    summary: "API tokens for the server: create one (printed once), list them, revoke one",
    usage:
        "promote token create --user NAME [--group G]... [--description TEXT] [--as USER] [--json] | " +
        "promote token list [--json] | promote token revoke ID [--as USER] [--json]",
    options: {
        user: { type: "string" },
        group: { type: "string", multiple: true },
        description: { type: "string" },
        ...asOption,
        ...json,
    },
    help: {
        ACTION: "create, list or revoke",
        ID: "the token to revoke (see `promote token list`)",
        user: "create: the user the token stands for",
        group: "create: a group the token's user belongs to; repeatable",
        description: "create: what the token is for",
    },
    positionals: ["ACTION", "ID"],
    choices: { ACTION: tokenActions },
    build: tokenOptions,
} satisfies CommandSpec<TokenCommandOptions>;
