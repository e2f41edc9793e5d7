import * as path from "path";
import type { CommandSpec } from "../spec";
import { flag, required, text } from "../spec";

export interface InitCommandOptions {
    readonly repo: string;
    readonly branch?: string;
    /** Absolute: where the definitions are written. */
    readonly out: string;
    /** Write over existing definitions. */
    readonly force: boolean;
    readonly credentials?: { readonly tokens: Readonly<Record<string, string>> };
}

export const initSpec = {
    summary:
        "propose definitions from your GitOps repository (Argo CD Applications, Helm and Kustomize folders)",
    usage: "promote init --repo URL|DIR [--branch B] [--out DIR] [--force]",
    options: {
        repo: { type: "string" },
        branch: { type: "string" },
        out: { type: "string" },
        force: { type: "boolean" },
    },
    help: {
        repo: "the GitOps repository to read: a Git URL (cloned; PROMOTIONS_GIT_TOKEN for a private one) or a directory",
        branch: "read this branch instead of the default one",
        out: "where to write the definitions (default: --config, else ./promotions)",
        force: "write over definitions already there",
    },
    build: (v, _p, s): InitCommandOptions => ({
        repo: required(v, "repo", "the GitOps repository to read: a Git URL or a directory"),
        // A private repository is cloned with PROMOTIONS_GIT_TOKEN(S), as releases clone it.
        ...(Object.keys(s.gitTokens).length > 0 ? { credentials: { tokens: s.gitTokens } } : {}),
        ...(text(v, "branch") ? { branch: text(v, "branch") } : {}),
        // By default where the other commands look for definitions (--config, else ./promotions).
        out: text(v, "out") ? path.resolve(text(v, "out")!) : s.configDir,
        force: flag(v, "force"),
    }),
} satisfies CommandSpec<InitCommandOptions>;
